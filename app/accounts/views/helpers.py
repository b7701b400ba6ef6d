"""Small helpers shared by the auth views."""
from flask import url_for
from flask_login import current_user

from app.accounts import captcha
from app.accounts.sessions import client_ip
from app.core import ratelimit
from app.core.extensions import db
from app.core.models import Industry, Province


def choices():
    """所属省份 and 所属行业 options for the selects."""
    provinces = db.session.execute(db.select(Province).order_by(Province.code)).scalars().all()
    industries = db.session.execute(db.select(Industry).order_by(Industry.code)).scalars().all()
    return {"provinces": provinces, "industries": industries}


def safe_next(value):
    r"""A local path to go to after login, or None (no open redirects).

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\t/evil.example"
    or "/\\evil.example" would leave the site: any control character, space or backslash is refused.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(ch) <= 32 or ord(ch) == 127 for ch in value):
        return None
    return value


def home_url(user=None):
    """Each role's first page."""
    user = user or current_user
    if user.must_change_password:
        return url_for("auth.change_password")
    if user.is_secretariat:
        return url_for("admin.dashboard")
    if user.is_expert:
        return url_for("review.index")
    return url_for("main.index")


def within_limit(name, limit, seconds):
    """Count one event of this client address; False once over the limit (commit is the caller's)."""
    return ratelimit.hit(f"{name}:{client_ip() or '-'}", limit, seconds)


# Every captcha (the pages' and 换图) is a row until housekeeping purges it: an address gets this many
# per window.
CAPTCHA_LIMIT = 120
CAPTCHA_WINDOW = 600


def fresh_captcha():
    """A new captcha for this address, or captcha.LIMITED past CAPTCHA_LIMIT in the last CAPTCHA_WINDOW."""
    if not within_limit("captcha", CAPTCHA_LIMIT, CAPTCHA_WINDOW):
        return captcha.LIMITED
    return captcha.new_challenge()


def typed(form, *exclude):
    """What the user typed, to refill a form (passwords and captcha left out)."""
    hidden = {"password", "password2", "old_password", "new_password", "new_password2", "captcha",
              "captcha_id", "csrf_token", *exclude}
    return {k: v for k, v in form.items() if k not in hidden}
