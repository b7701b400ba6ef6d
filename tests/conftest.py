"""Fixtures: app (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), db, client, login, factories."""
import os
import threading
from datetime import datetime, timedelta, timezone
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, text

from app import create_app
from app.accounts import sessions
from app.commands import load_reference_data
from app.core.extensions import db as _db
from app.core.tokens import hash_token, new_token
from tests import factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# For a test that only means something on PostgreSQL: @pytest.mark.parametrize("app", POSTGRESQL_ONLY, indirect=True)
POSTGRESQL_ONLY = [backend for backend in BACKENDS if backend == "postgresql"]
KEEP_TABLES = {"province", "industry", "alembic_version"}
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "build" / "screenshots"


class FrozenClock:
    """The time app.core.clock.utcnow answers while frozen; advance(**timedelta) moves it on."""

    def __init__(self, now):
        self.now = now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


def freeze_clock(monkeypatch, now=None):
    """Freeze app.core.clock.utcnow (and so china_today, the limiter and sessions) at `now` (default: now)."""
    import app.core.clock as core_clock

    frozen = FrozenClock(now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0))
    monkeypatch.setattr(core_clock, "utcnow", lambda: frozen.now)
    return frozen


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request, like the pages do.

    Pass csrf=False to send none (to test the refusal).
    """

    def open(self, *args, **kwargs):
        send_token = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if send_token and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self):
        """The signed CSRF token for this client's session (creating the raw token if needed)."""
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if not raw:
                raw = session["csrf_token"] = new_token(20)
        serializer = URLSafeTimedSerializer(self.application.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)


def _database_url(backend, tmp_path_factory):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    return os.environ["TEST_DATABASE_URL"]


def reset_schema(app):
    """Drop everything and create the models' tables (PostgreSQL: a fresh public schema)."""
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
        _db.create_all()
        load_reference_data()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    """The app on one backend; tables created once per backend."""
    upload_dir = tmp_path_factory.mktemp("uploads")
    application = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=_database_url(request.param, tmp_path_factory),
        UPLOAD_DIR=str(upload_dir),
        SECRET_KEY="test-secret-key",
        SERVER_NAME=None,
    )
    application.test_client_class = CsrfClient
    reset_schema(application)
    yield application
    with application.app_context():
        _db.engine.dispose()


def _clean(app):
    with app.app_context():
        tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        if _db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            with _db.engine.begin() as conn:
                for table in tables:
                    conn.execute(table.delete())
                # ids restart at 1 in the next test, as RESTART IDENTITY does on PostgreSQL (AUTOINCREMENT
                # remembers the largest id ever used in sqlite_sequence)
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(autouse=True)
def db(app):
    """The database, emptied after each test (reference data kept)."""
    yield _db
    _clean(app)


@pytest.fixture
def client(app):
    """A test client that sends CSRF tokens like a browser page does."""
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An application context for code that touches db.session directly."""
    with app.app_context():
        yield


class AuthActions:
    """Log a client in as a user without going through the login form."""

    def __init__(self, app):
        self.app = app

    def login(self, client, user):
        """Start a server-side session for user and put its token in the client's cookie."""
        token = new_token()
        with self.app.app_context():
            _db.session.add(sessions.UserSession(token_hash=hash_token(token), user_id=user.id))
            _db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return token


@pytest.fixture
def auth(app):
    """Login helper: auth.login(client, user)."""
    return AuthActions(app)


@pytest.fixture
def make(app):
    """Factories bound to the app: make.unit(), make.secretariat(), make.group(unit) ..."""
    return factories.Factory(app)


@contextmanager
def _count_queries(app):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO", "PRAGMA")):
            statements.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries(app):
    """Context manager collecting the SQL statements run inside it."""
    return lambda: _count_queries(app)


# ---- live server and real browser ---------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """The app served by a real WSGI server in a thread, on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never skipped: a missing browser is an error)."""
    from playwright.sync_api import expect, sync_playwright

    # The machine is shared (2 cores, both backends' servers in this process): give assertions the same
    # 15 s as actions instead of Playwright's 5 s default, so load never turns a correct page into a failure.
    expect.set_options(timeout=15000)

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(executable).exists():
        raise RuntimeError(f"{executable} is missing: run `make test`, which installs Debian's chromium.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageWatcher:
    """Collects console errors, CSP violations and page errors of a page."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page at desktop width; page.watcher.errors lists console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.watcher = PageWatcher(pg)
    pg.base_url = live_server.url
    yield pg
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory for extra pages in their own contexts (e.g. a phone-sized anonymous visitor)."""
    contexts = []

    def factory(width=1280, height=900, mobile=False):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      is_mobile=mobile, has_touch=mobile, accept_downloads=True)
        context.set_default_timeout(15000)
        contexts.append(context)
        pg = context.new_page()
        pg.watcher = PageWatcher(pg)
        pg.base_url = live_server.url
        return pg

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot under build/screenshots/<test>-<name>.png (look at them)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(pg, name):
        safe = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
        path = SCREENSHOT_DIR / f"{safe}-{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


def browser_login(pg, app, user):
    """Log a browser page in as user by planting a server-side session cookie."""
    from flask.sessions import SecureCookieSessionInterface

    token = new_token()
    with app.app_context():
        _db.session.add(sessions.UserSession(token_hash=hash_token(token), user_id=user.id))
        _db.session.commit()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": token, "_fresh": True})
    pg.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie,
                             "url": pg.base_url, "httpOnly": True, "sameSite": "Lax"}])
    return token


@pytest.fixture
def login_browser(app):
    """browser login helper: login_browser(page, user)."""
    return lambda pg, user: browser_login(pg, app, user)


# ---- a real SMTP server on loopback -------------------------------------------------------------

def free_port():
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler keeping every received message."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.original_content, policy=default)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (free port); .messages holds what arrived."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    # aiosmtpd 1.4.6 cannot start with port=0 (its readiness check connects to port 0): pick a free port.
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.messages = sink.messages
    yield controller
    controller.stop()


def deliver_to(app, smtp_server):
    """Deliver the outbox's due mails to the test SMTP server; returns how many were sent."""
    from app.core import outbox

    old = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    try:
        with app.app_context():
            return outbox.deliver_due()["sent"]
    finally:
        app.config.update(old)
