"""Application factory: create_app() reads as a table of contents."""
import logging
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.extensions import csrf, db, login_manager, mail, migrate
from config import CONFIGS, INSTANCE_DIR, development_secret_key, normalize_database_url


def create_app(config_name=None, **overrides):
    """Build the Flask app for the given environment name (APP_ENV by default)."""
    config_name = config_name or os.environ.get("APP_ENV", "development")
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    configure_app(app, config_name)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    register_mail_sender(app)
    register_housekeeping(app)
    return app


def configure_app(app, config_name):
    """Check secrets, set database engine options, create instance folders."""
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    production = config_name == "production"
    if production:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("APP_ENV=production 时必须设置 SECRET_KEY 环境变量。")
        if app.config.get("CAPTCHA_TEST_ANSWER"):
            raise RuntimeError("APP_ENV=production 时不得设置 CAPTCHA_TEST_ANSWER。")
        if not app.config.get("BASE_URL"):
            raise RuntimeError("APP_ENV=production 时必须设置 BASE_URL（邮件中的链接地址，例如 https://www.qccpcif.com）。")
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
    uri = app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one INFO line per printed page


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL, foreign keys and a busy timeout on every connection."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-32000")  # 32 MB: the filing indexes of a large unit stay in memory
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def register_extensions(app):
    """Attach the unbound extensions."""
    from app import models  # noqa: F401  (every table known to Alembic)
    from app.accounts import sessions

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "main.index"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = None  # sessions are server-side rows, see accounts/sessions.py
    login_manager.user_loader(sessions.load_user)
    login_manager.unauthorized_handler(sessions.unauthorized)


def register_blueprints(app):
    """Register each feature's blueprint (ids in URLs are bounded to the database's integer range)."""
    from app.core.routing import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter
    from app.accounts.views import bp as auth_bp
    from app.declarations.views import bp as declarations_bp
    from app.filings.views import groups_bp, teams_bp
    from app.invitations.views import bp as invite_bp
    from app.main.views import bp as main_bp
    from app.review import unit_results_views  # noqa: F401  (the 评审结果 routes of results_bp)
    from app.review.unit_blueprint import results_bp
    from app.review.views import bp as review_bp
    from app.secretariat.views import bp as admin_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(invite_bp, url_prefix="/invite")
    app.register_blueprint(groups_bp, url_prefix="/groups")
    app.register_blueprint(teams_bp, url_prefix="/teams")
    app.register_blueprint(declarations_bp, url_prefix="/declarations")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(results_bp)


def register_errorhandlers(app):
    """Chinese error pages, full page or htmx fragment."""
    from app.core.errors import register

    register(app)


def register_security(app):
    """Security headers on every response."""
    from app.core.security import register

    register(app)


def register_template_helpers(app):
    """Filters and globals used by the templates."""
    from app.core.template_helpers import register

    register(app)


def register_commands(app):
    """The `flask` commands an operator uses instead of editing the database."""
    from app.commands import register

    register(app)


def register_mail_sender(app):
    """Start the background mail sender thread when configured (see core/outbox.py)."""
    from app import housekeeping
    from app.core import outbox

    outbox.init_app(app, housekeeping=housekeeping.run_if_due)


def register_housekeeping(app):
    """Purges now and then before a request, whatever else is configured (see app/housekeeping.py)."""
    from app import housekeeping

    housekeeping.init_app(app)
