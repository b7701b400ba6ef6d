"""Accounts: units (申报单位) with their change requests and history, login accounts, sessions, captchas."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import name_key

STATUS_PENDING = "pending"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUS_LABELS = {STATUS_PENDING: "待审核", STATUS_APPROVED: "已通过", STATUS_REJECTED: "未通过"}

_LIVE = text("status <> 'rejected'")


class Unit(db.Model):
    """A unit's registration: one account per legal entity."""

    __tablename__ = "unit"
    __table_args__ = (
        # One unit, one account: unique among pending and approved registrations. Names are compared by
        # their key, so "（北京）" typed by one and "(北京)" by another are the same unit.
        Index("uq_unit_live_name_key", "name_key", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("uq_unit_live_credit_code", "credit_code", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # exactly as typed
    # the compare key of name (validators.name_key), kept by _keep_name_key and by this default (bulk inserts)
    name_key: Mapped[str] = mapped_column(
        String(200), default=lambda ctx: name_key(ctx.get_current_parameters().get("name")))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    license_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    contact: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(6))
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
    industry_code: Mapped[str] = mapped_column(ForeignKey("industry.code"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=STATUS_PENDING, index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped["User"] = relationship(back_populates="unit", foreign_keys=[user_id])  # noqa: F821
    license_file: Mapped["StoredFile | None"] = relationship(foreign_keys=[license_file_id])  # noqa: F821
    province: Mapped["Province"] = relationship()  # noqa: F821
    industry: Mapped["Industry"] = relationship()  # noqa: F821

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = name_key(value)
        return value

    @property
    def is_approved(self):
        """True once the secretariat approved the registration."""
        return self.status == STATUS_APPROVED

    @property
    def status_label(self):
        """The status in Chinese."""
        return STATUS_LABELS.get(self.status, self.status)


class UnitChangeRequest(db.Model):
    """A request to change name, credit code or license; applied only on approval."""

    __tablename__ = "unit_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    new_name: Mapped[str | None] = mapped_column(String(200))
    new_credit_code: Mapped[str | None] = mapped_column(String(18))
    # The values when the request was made, so a decided request still shows 原值 → 新值.
    old_name: Mapped[str | None] = mapped_column(String(200))
    old_credit_code: Mapped[str | None] = mapped_column(String(18))
    new_license_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    status: Mapped[str] = mapped_column(String(16), default=STATUS_PENDING, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    new_license_file: Mapped["StoredFile | None"] = relationship()  # noqa: F821


class UnitChangeLog(db.Model):
    """One changed field of a registration: who, when, old and new value."""

    __tablename__ = "unit_change_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


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


class CaptchaChallenge(db.Model):
    """One captcha image: its answer (hashed) and expiry; any attempt uses it up."""

    __tablename__ = "captcha_challenge"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
