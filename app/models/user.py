"""Accounts that log in, and their server-side sessions."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

ROLE_UNIT = "unit"
ROLE_EXPERT = "expert"
ROLE_SECRETARIAT = "secretariat"
ROLE_LABELS = {ROLE_UNIT: "申报用户", ROLE_EXPERT: "评审专家", ROLE_SECRETARIAT: "秘书处"}


class User(UserMixin, db.Model):
    """A login account: a unit (申报用户), an expert or a secretariat clerk."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped["Unit | None"] = relationship(  # noqa: F821
        back_populates="user", uselist=False, foreign_keys="Unit.user_id")

    # Set per request to the server-side session token; Flask-Login keeps it in the cookie.
    session_token = None

    def get_id(self):
        """Flask-Login identifier: the server-side session token, not the user id."""
        return self.session_token

    @property
    def is_active(self):
        """Disabled accounts cannot log in or keep a session."""
        return self.is_enabled

    @property
    def is_secretariat(self):
        """True for secretariat clerks."""
        return self.role == ROLE_SECRETARIAT

    @property
    def is_unit(self):
        """True for unit (申报用户) accounts."""
        return self.role == ROLE_UNIT

    @property
    def is_expert(self):
        """True for review experts."""
        return self.role == ROLE_EXPERT


class UserSession(db.Model):
    """A server-side login session; deleting the row logs that browser out."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class PasswordResetToken(db.Model):
    """A single-use password reset link (only the hash is stored)."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
