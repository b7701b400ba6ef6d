"""忘记密码: single-use reset links valid 30 minutes (only the token's hash is stored)."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import update

from app.accounts import sessions
from app.accounts.models import PasswordResetToken, User
from app.accounts.passwords import hash_password
from app.core import audit, outbox
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.tokens import hash_token, new_token

LIFETIME = timedelta(minutes=30)
SUBJECT = "【石油和化工行业QC成果申报系统】重置登录密码"


def email_of(user):
    """Where a user's mail goes: the unit's registered address, else the account's."""
    if user.unit is not None and user.unit.email:
        return user.unit.email
    return user.email


def may_reset(user, email):
    """True when a reset link may go to this user for the address typed on 忘记密码."""
    registered = email_of(user)
    if not user.is_enabled or not registered:
        return False
    if user.unit is not None and user.unit.status != "approved":
        return False
    return registered.lower() == (email or "").strip().lower()


def issue_link(user, lifetime=LIFETIME):
    """A new single-use link to set the password of user (earlier links stop working); flushes nothing."""
    now = utcnow()
    db.session.execute(update(PasswordResetToken)
                       .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    token = new_token()
    db.session.add(PasswordResetToken(token_hash=hash_token(token), user_id=user.id, created_at=now,
                                      expires_at=now + lifetime))
    return outbox.absolute_url(url_for("auth.reset_password", token=token))


def send_reset_link(user, actor=None):
    """Queue the reset email with a single-use link valid 30 minutes; earlier links stop working."""
    recipient = email_of(user)
    if not recipient:
        return
    link = issue_link(user)
    name = user.unit.name if user.unit is not None else (user.display_name or user.username)
    body = (f"{name}：\n\n"
            f"您（登录账号：{user.username}）申请重置网上申报与评审系统的登录密码。请在30分钟内打开下面的链接设置新密码"
            f"（链接只能使用一次）：\n\n{link}\n\n"
            "如果不是您本人的操作，请忽略本邮件，您的密码不会改变。\n\n"
            "中国石油和化学工业联合会 质量工作委员会秘书处\n")
    outbox.queue_mail(recipient, SUBJECT, body)
    audit.record("password.reset_link", f"发送重置密码链接：{user.username}", target=user, actor=actor)
    db.session.flush()


def find_valid(token):
    """The unused, unexpired reset token row for a token from a link, or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(db.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == hash_token(token))).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(token, new_password):
    """Set a new password with a reset token; returns the user or None. Ends every session."""
    row = find_valid(token)
    if row is None:
        return None
    claimed = db.session.execute(update(PasswordResetToken)
                                 .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
                                 .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    user = db.session.get(User, row.user_id)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    sessions.end_all_sessions(user.id)
    audit.record("password.reset", f"通过邮件链接重置密码：{user.username}", target=user, actor=user)
    db.session.flush()
    return user


def purge_expired(now=None):
    """Delete reset tokens that expired over a day ago (housekeeping)."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.expires_at < cutoff))
