"""Configuration classes, read from the environment first."""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name, default=False):
    """Read a boolean environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url):
    """Accept Heroku-style postgres:// URLs and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def development_secret_key(instance_dir):
    """Generate a secret key once and keep it in instance/ (mode 0600)."""
    path = Path(instance_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    Path(instance_dir).mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Settings shared by every environment."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'app.sqlite3'}"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # 5 MB files plus form overhead; larger gets 413
    MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    MAX_IMPORT_ROWS = int(os.environ.get("MAX_IMPORT_ROWS", "50000"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "qccpcif@126.com")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "6"))
    MAIL_SENDER_THREAD = _bool("MAIL_SENDER_THREAD", True)
    # Purges (expired captchas and sessions, stale staged uploads, ...) run before a request now and then,
    # once per HOUSEKEEPING_SECONDS across every worker and host; `flask housekeeping` runs them from cron.
    HOUSEKEEPING_ON_REQUESTS = _bool("HOUSEKEEPING_ON_REQUESTS", True)
    HOUSEKEEPING_SECONDS = int(os.environ.get("HOUSEKEEPING_SECONDS", "600"))

    # The ICP filing number in the footer, as the manual's pages carry it; empty hides the line.
    ICP_LICENSE = os.environ.get("ICP_LICENSE", "京ICP证040822号-14")

    ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD")
    CAPTCHA_TEST_ANSWER = os.environ.get("CAPTCHA_TEST_ANSWER")
    BASE_URL = os.environ.get("BASE_URL")  # used in emails; falls back to the request host

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "qcsession"
    REMEMBER_COOKIE_DURATION = 0
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the server-side session
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    SQLALCHEMY_ENGINE_OPTIONS = {}

    # Shown in the footer of every page (from the operation manual and the annual notice).
    SECRETARIAT_CONTACT = {
        "org": "中国石油和化学工业联合会 质量工作委员会",
        "address": "北京市朝阳区安慧里四区16号楼507室",
        "postcode": "100723",
        "people": "质量工作委员会秘书处 丁士育、潘蕊",
        "phone": "010-84885418、84885009",
        # the same numbers as tap-to-call links: (as shown, as dialled)
        "phone_links": (("010-84885418", "+861084885418"), ("84885009", "+861084885009")),
        "email": "qccpcif@126.com",
        "qq": "QQ群1：153678847　QQ群2：594736453",
        "wechat": "cpcif-quality",
    }


class DevelopmentConfig(Config):
    """Local development: `make run`."""


class TestingConfig(Config):
    """The test suite; the database comes from TEST_DATABASE_URL or a temp SQLite file."""

    TESTING = True
    MAIL_SENDER_THREAD = False
    MAIL_SERVER = None
    HOUSEKEEPING_ON_REQUESTS = False  # a purge in the middle of a test would change its queries


class ProductionConfig(Config):
    """Real deployments: secrets must come from the environment."""

    SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
