"""Server-side login sessions: the cookie holds a random token, the database its hash."""
from flask import request, session
from flask_login import login_user, logout_user
from sqlalchemy.orm import joinedload

from app.accounts.models import User, UserSession
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx
from app.core.tokens import hash_token, new_token


def load_user(token):
    """Flask-Login user loader: the user of a live server-side session, else None."""
    if not token:
        return None
    row = db.session.execute(
        db.select(UserSession).where(UserSession.token_hash == hash_token(token))
        .options(joinedload(UserSession.user).joinedload(User.unit))  # one query per request, not three
    ).scalar_one_or_none()
    if row is None or not row.user.is_enabled:
        return None
    user = row.user
    user.session_token = token
    return user


def start_session(user):
    """Log the user in with a fresh session (new token, cleared cookie data)."""
    session.clear()
    token = new_token()
    db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id, ip=client_ip()))
    user.last_login_at = utcnow()
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
