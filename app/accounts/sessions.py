"""Server-side login sessions: the cookie holds a random token, the database its hash.

A session ends on the server after IDLE_LIMIT without a request and ABSOLUTE_LIMIT after it began, whatever
the cookie says: both are measured on the row (created_at never moves; last_seen_at is written at most once
per TOUCH_INTERVAL), so a cookie that is re-signed, copied or replayed cannot keep a session alive.
"""
from datetime import timedelta

from flask import flash, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, update
from sqlalchemy.orm import joinedload

from app.accounts.models import User, UserSession
from app.core import clock
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx
from app.core.tokens import hash_token, new_token

IDLE_LIMIT = timedelta(hours=2)
ABSOLUTE_LIMIT = timedelta(hours=12)
TOUCH_INTERVAL = timedelta(minutes=1)
EXPIRED_MESSAGE = "登录已超时，请重新登录。"


def is_live(row, now):
    """True while a session row is within both the idle and the absolute limit."""
    return row.created_at > now - ABSOLUTE_LIMIT and row.last_seen_at > now - IDLE_LIMIT


def load_user(token):
    """Flask-Login user loader: the user of a live server-side session, else None.

    An expired session is noted in g (refresh_session ends it); a touch that is due is noted likewise.
    """
    if not token:
        return None
    row = db.session.execute(
        db.select(UserSession).where(UserSession.token_hash == hash_token(token))
        .options(joinedload(UserSession.user).joinedload(User.unit))  # one query per request, not three
    ).scalar_one_or_none()
    if row is None or not row.user.is_enabled:
        return None
    now = clock.utcnow()
    if not is_live(row, now):
        g.expired_session_id = row.id
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        g.touch_session_id = row.id
    user = row.user
    user.session_token = token
    return user


def refresh_session():
    """Before each request with a login cookie: end an expired session (the next page says so) and record
    activity at most once per TOUCH_INTERVAL. Commits its own small unit of work before the view runs."""
    if request.endpoint == "static" or not session.get("_user_id"):
        return
    current_user._get_current_object()  # runs load_user once for this request
    expired = g.pop("expired_session_id", None)
    touch = g.pop("touch_session_id", None)
    if expired is not None:
        db.session.execute(db.delete(UserSession).where(UserSession.id == expired))
        db.session.commit()
        session.pop("_user_id", None)
        session.pop("_fresh", None)
        flash(EXPIRED_MESSAGE, "warning")
    elif touch is not None:
        db.session.execute(update(UserSession).where(UserSession.id == touch)
                           .values(last_seen_at=clock.utcnow()).execution_options(synchronize_session=False))
        db.session.commit()


def purge_expired(now=None):
    """Delete session rows past the idle or the absolute limit (housekeeping)."""
    now = now or clock.utcnow()
    db.session.execute(db.delete(UserSession).where(or_(UserSession.created_at <= now - ABSOLUTE_LIMIT,
                                                        UserSession.last_seen_at <= now - IDLE_LIMIT)))


def start_session(user):
    """Log the user in with a fresh session (new token, cleared cookie data)."""
    session.clear()
    token = new_token()
    now = clock.utcnow()
    db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id, ip=client_ip(),
                               created_at=now, last_seen_at=now))
    user.last_login_at = now
    user.session_token = token
    login_user(user)
    return token


def end_session(user):
    """Log out: the server-side row goes, so the old cookie no longer works."""
    token = getattr(user, "session_token", None)
    if token:
        db.session.execute(db.delete(UserSession).where(UserSession.token_hash == hash_token(token)))
    logout_user()
    session.clear()


def end_other_sessions(user):
    """End every session of the user except the current one (after a password change)."""
    keep = hash_token(user.session_token) if getattr(user, "session_token", None) else None
    query = db.delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.token_hash != keep)
    db.session.execute(query)


def end_all_sessions(user_id):
    """End every session of a user (account disabled, password reset)."""
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user_id))


def unauthorized():
    """Not logged in: send the visitor to the home page's login box (HX-Redirect for htmx)."""
    from flask import abort, url_for

    if request.method != "GET" and not is_htmx():
        abort(403)
    return htmx_redirect(url_for("main.index", next=request.path))


def client_ip():
    """The client's address (the app runs behind no proxy unless ProxyFix is configured)."""
    return request.remote_addr


def get_user_by_username(username):
    """Look up an account by login name."""
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
