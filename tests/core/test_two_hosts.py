"""Two hosts, one PostgreSQL: two gunicorn instances (own ports, own instance folders and control sockets) on
one DATABASE_URL and one UPLOAD_DIR behave as one site behind a load balancer. Runs when TEST_DATABASE_URL is
set.

One browser's cookies go to both hosts (the cookie of 127.0.0.1 ignores the port, as a site's cookie ignores
which backend answered)."""
import hashlib
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.captcha import ALPHABET, LENGTH
from app.accounts.services import MAX_ACCOUNT_FAILURES
from app.commands import load_reference_data
from app.core import outbox
from app.core.extensions import db
from app.models import CaptchaChallenge, OutboxMail, QcGroupFiling, Unit
from tests.accounts.conftest import registration_data
from tests.conftest import POSTGRESQL_ONLY, free_port
from tests.factories import PASSWORD, Factory
from tests.filings.conftest import group_rows, xlsx_bytes
from tests.security.conftest import png_bytes

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="two hosts share a PostgreSQL database (TEST_DATABASE_URL)")

ROOT = Path(__file__).resolve().parents[2]
SECRET = "two-hosts-shared-secret"
TEST_CAPTCHA = "QC2024"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep 3xx answers as they are (their cookies and Location matter here)."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Answer:
    """Status, headers and text of one HTTP answer."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.text = status, headers, body.decode("utf-8", "replace")


class Browser:
    """One browser: its cookies (sent to both hosts) and the CSRF token of the last full page."""

    def __init__(self):
        self.cookies, self.csrf = {}, None

    def send(self, url, method="GET", data=None, files=None):
        """One request; unsafe ones go as htmx with the CSRF header, like the pages send them."""
        headers = {}
        body = None
        if method != "GET":
            headers.update({"HX-Request": "true", "X-CSRFToken": self.csrf or ""})
            body, headers["Content-Type"] = _encode(data or {}, files or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            response = OPENER.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        answer = Answer(response.status, response.headers, response.read())
        found = CSRF.search(answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def login(self, host, username, password=PASSWORD, captcha=TEST_CAPTCHA, captcha_id=""):
        """登录 through a host (a page first, for the CSRF token; /register makes no captcha)."""
        self.send(f"{host}/register")
        return self.send(f"{host}/login", "POST", {"role": "unit", "username": username, "password": password,
                                                    "captcha": captcha, "captcha_id": captcha_id})


def _encode(data, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in data.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Host:
    """One gunicorn instance as `make run` starts it (gunicorn.conf.py), with its own instance folder."""

    def __init__(self, name, tmp, database_url, upload_dir, smtp_port):
        self.port = free_port()
        self.instance = tmp / f"instance-{name}"
        self.log = tmp / f"gunicorn-{name}.log"
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, APP_ENV="development",
                   INSTANCE_PATH=str(self.instance), UPLOAD_DIR=str(upload_dir), PORT=str(self.port),
                   WORKERS="2", THREADS="2", ACCESS_LOG="/dev/null", CAPTCHA_TEST_ANSWER=TEST_CAPTCHA,
                   MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_SENDER_THREAD="1",
                   BASE_URL="http://qc.example.com")
        env.pop("GUNICORN_CONTROL_SOCKET", None)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/static/favicon.ico", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-2000:]}")

    def stop(self):
        """Terminate our gunicorn (by its own pid only)."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def shared_database(app):
    """A fresh PostgreSQL database for the two hosts (made from the models), dropped afterwards."""
    base = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"twohosts_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def site(shared_database, tmp_path, smtp_server):
    """Hosts A and B on the shared database and upload folder; `site.local` is an app on the same database."""
    uploads = tmp_path / "shared-uploads"
    uploads.mkdir()
    local = create_app("testing", SQLALCHEMY_DATABASE_URI=shared_database, SECRET_KEY=SECRET,
                       UPLOAD_DIR=str(uploads))
    with local.app_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
    hosts = [Host(name, tmp_path, shared_database, uploads, smtp_server.port) for name in "ab"]
    try:
        for host in hosts:
            host.wait_ready()
        yield type("Site", (), {"a": hosts[0], "b": hosts[1], "local": local, "uploads": uploads,
                                "make": Factory(local), "smtp": smtp_server})
    finally:
        for host in hosts:
            host.stop()
        with local.app_context():
            db.engine.dispose()


def _solve(local, challenge_id):
    """The answer of a captcha, found from its stored hash (4 characters of a 25-letter alphabet)."""
    with local.app_context():
        stored = db.session.get(CaptchaChallenge, challenge_id).answer_hash
    for letters in itertools.product(ALPHABET, repeat=LENGTH):
        answer = "".join(letters)
        if hashlib.sha256(f"{challenge_id}:{answer}".encode()).hexdigest() == stored:
            return answer
    raise AssertionError("captcha not solved")


def _in_threads(calls):
    results, errors = [None] * len(calls), []
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.parametrize("app", POSTGRESQL_ONLY, indirect=True)  # two hosts share a PostgreSQL database
def test_two_hosts_behave_as_one(site):
    a, b, local, make = site.a.url, site.b.url, site.local, site.make
    # each instance has its own gunicorn control socket, in its own instance folder
    sockets = [host.instance / f"gunicorn-{host.port}.ctl" for host in (site.a, site.b)]
    assert all(path.is_socket() for path in sockets), sockets

    # registration: the license uploaded through A, the form submitted through B
    visitor = Browser()
    visitor.send(f"{a}/register/form")
    upload = visitor.send(f"{a}/register/license", "POST", files={"license": ("执照.png", png_bytes())})
    key = re.search(r'name="license_key" value="([^"]+)"', upload.text).group(1)
    visitor.send(f"{b}/register/form")
    data = registration_data(license_key=key, captcha=TEST_CAPTCHA)
    done = visitor.send(f"{b}/register/form", "POST", data)
    assert done.status == 204 and done.headers["HX-Redirect"] == "/register/done", done.text[:500]
    with local.app_context():
        unit = db.session.scalars(select(Unit).where(Unit.credit_code == data["credit_code"].upper())).one()
        assert unit.license_file is not None and unit.license_file.staging_key_hash is None
        stored = unit.license_file
        assert hashlib.sha256((site.uploads / stored.stored_name).read_bytes()).hexdigest() == stored.sha256

    # a captcha fetched from A is accepted by B once, and only once
    member = make.unit(username="twohosts1")
    fragment = Browser().send(f"{a}/captcha").text
    challenge = re.search(r'name="captcha_id" value="([^"]+)"', fragment).group(1)
    answer = _solve(local, challenge)
    first = Browser().login(b, member.user.username, captcha=answer, captcha_id=challenge)
    assert first.status == 204, first.text[:300]
    again = Browser().login(a, member.user.username, captcha=answer, captcha_id=challenge)
    assert again.status == 422 and "验证码错误或已过期" in again.text

    # login failures count across both hosts: the lock comes after MAX_ACCOUNT_FAILURES in all, holds on both
    target = make.unit(username="twohosts2")
    attacker = Browser()
    for attempt in range(1, MAX_ACCOUNT_FAILURES + 1):
        failed = attacker.login((a, b)[attempt % 2], target.user.username, password="wrong-password")
        assert failed.status == 422
    assert "已被锁定" in failed.text
    for host in (a, b):
        assert "已被锁定" in Browser().login(host, target.user.username).text

    # a rate limit (live checks per address) counts across both hosts
    checker = Browser()
    for _ in range(400):
        if checker.send(f"{a}/register/check-username?username=abc").status == 429:
            break
    else:
        raise AssertionError("no rate limit on the live checks")
    assert checker.send(f"{b}/register/check-username?username=abc").status == 429

    # a session made on A is valid on B; logging out on B ends it on A
    user = Browser()
    assert user.login(a, member.user.username).status == 204
    assert user.send(f"{b}/groups/").status == 200
    assert user.send(f"{a}/groups/").status == 200
    assert user.send(f"{b}/logout", "POST").status == 204
    after = user.send(f"{a}/groups/")
    assert after.status in (302, 303) and "next=" in after.headers["Location"]

    # imports and form saves on both hosts at once: every 注册编号 once, none skipped
    clerks = []
    for host in (a, b, a, b, a, b):
        clerk = Browser()
        assert clerk.login(host, member.user.username).status == 204
        clerk.send(f"{host}/groups/")
        clerks.append((clerk, host))
    files = [xlsx_bytes("group", [dict(row, 小组名称=f"{side}号{row['小组名称']}") for row in group_rows(150)])
             for side in "AB"]

    def importer(clerk, host, content):
        return lambda: clerk.send(f"{host}/groups/import", "POST", files={"file": ("备案.xlsx", content)})

    def saver(clerk, host, n):
        def save():
            answers = []
            for i in range(4):
                answers.append(clerk.send(f"{host}/groups/new", "POST", {
                    "enterprise_name": member.name, "group_name": f"表单QC小组{n}-{i}", "topic": "降低能耗",
                    "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
                    "contact": "王五", "mobile": "13912345678", "submission_key": uuid.uuid4().hex}).status)
            return answers
        return save

    results = _in_threads([importer(*clerks[0], files[0]), importer(*clerks[1], files[1])]
                          + [saver(clerk, host, n) for n, (clerk, host) in enumerate(clerks[2:])])
    assert [r.status for r in results[:2]] == [200, 200], [r.text[:300] for r in results[:2]]
    assert results[2:] == [[204] * 4] * 4
    with local.app_context():
        numbers = db.session.scalars(select(QcGroupFiling.reg_no)).all()
        year = db.session.scalar(select(func.max(QcGroupFiling.year)))
    assert len(numbers) == 316 and len(set(numbers)) == 316
    assert sorted(numbers) == [f"QC-{year}-{i:06d}" for i in range(1, 317)]

    # the outbox is sent exactly once, with a sender running in every worker of both hosts
    with local.app_context():
        for i in range(20):
            outbox.queue_mail(f"twohosts{i}@example.com", f"邮件{i}", "正文")
        db.session.commit()
    for host in (a, b, a, b, a, b, a, b):  # every worker has had a request, so every sender runs
        Browser().send(f"{host}/register")
    deadline = time.time() + 30
    while time.time() < deadline:
        with local.app_context():
            pending = db.session.scalar(select(func.count()).select_from(OutboxMail)
                                        .where(OutboxMail.status != "sent"))
            total = db.session.scalar(select(func.count()).select_from(OutboxMail))
        if pending == 0:
            break
        time.sleep(0.5)
    assert pending == 0
    time.sleep(1)  # a duplicate would arrive now
    recipients = [str(message["To"]) for message in site.smtp.messages]
    assert len(recipients) == total and len(set(recipients)) == total
    assert {f"twohosts{i}@example.com" for i in range(20)} <= set(recipients)
    assert json.dumps(sorted(set(recipients)))  # readable on failure
