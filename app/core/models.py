"""Shared records every area uses: mail outbox, audit log, rate limits, settings, notices, stored files, reference data."""
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.core.clock import utcnow
from app.core.extensions import db

MAIL_PENDING = "pending"
MAIL_SENDING = "sending"
MAIL_SENT = "sent"
MAIL_FAILED = "failed"
MAIL_STATUS_LABELS = {MAIL_PENDING: "待发送", MAIL_SENDING: "发送中", MAIL_SENT: "已发送", MAIL_FAILED: "失败"}


class OutboxMail(db.Model):
    """An email written in the same transaction as its cause, delivered later by a sender."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MAIL_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    @property
    def status_label(self):
        """The status in Chinese."""
        return MAIL_STATUS_LABELS.get(self.status, self.status)


class AuditLog(db.Model):
    """An append-only record of a state change of consequence."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[str | None] = mapped_column(Text)  # JSON: what changed


class AuditLogImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit log row through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    """Defence in depth: the ORM never flushes an update or a delete of an AuditLog row.

    (Deleting a user still clears actor_id: the database does that itself, ON DELETE SET NULL.)
    """
    for entry in session.deleted:
        if isinstance(entry, AuditLog):
            raise AuditLogImmutable("操作日志不能删除")
    for entry in session.dirty:
        if isinstance(entry, AuditLog) and session.is_modified(entry, include_collections=False):
            raise AuditLogImmutable("操作日志不能修改")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state):
    """The same for bulk statements run through a session: update(AuditLog) / delete(AuditLog)."""
    if (state.is_update or state.is_delete) and _targets_audit_log(state.statement):
        raise AuditLogImmutable("操作日志不能修改或删除")


def _targets_audit_log(statement):
    table = getattr(statement, "table", None)
    return table is not None and getattr(table, "name", None) == AuditLog.__tablename__


# PostgreSQL: the database itself keeps the audit log append-only, whatever client connects (psql, a script, a
# compromised worker). The one change allowed is the one ON DELETE SET NULL makes when an account is deleted:
# actor_id to NULL with every other column unchanged. (TRUNCATE, an owner's operation, is not covered.)
AUDIT_GUARD_DDL = (
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
            AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = '操作日志只能追加，不能修改或删除（' || TG_OP || '）';
END
$$""",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)
AUDIT_UNGUARD_DDL = (
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
)


def install_audit_guard(connection):
    """Create (or replace) the append-only trigger of audit_log on PostgreSQL; nothing elsewhere.

    Run by migration 0008 and whenever the table is created from the models (the tests' schema)."""
    if connection.dialect.name == "postgresql":
        for statement in AUDIT_GUARD_DDL:
            connection.exec_driver_sql(statement)


@event.listens_for(AuditLog.__table__, "after_create")
def _guard_new_audit_table(target, connection, **kw):
    install_audit_guard(connection)




class RateLimitBucket(db.Model):
    """One slice of a sliding-window counter for one key (shared by every worker and host; see ratelimit)."""

    __tablename__ = "rate_limit_bucket"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)  # epoch seconds: the start of the slice
    count: Mapped[int] = mapped_column(default=0)


class JobClaim(db.Model):
    """When a periodic job (housekeeping) last started: every worker and host claims it through this row."""

    __tablename__ = "job_claim"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_at: Mapped[datetime]


class SiteSetting(db.Model):
    """A key/value setting (e.g. the open filing year)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class YearSetting(db.Model):
    """Settings of one activity year: theme, filing deadline, declaration window."""

    __tablename__ = "year_setting"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    theme: Mapped[str] = mapped_column(String(200), default="")
    filing_deadline: Mapped[date | None]
    declaration_start: Mapped[date | None]
    declaration_end: Mapped[date | None]
    earliest_completion: Mapped[date | None]
    declaration_quota_group: Mapped[int | None]  # 0 or empty: unlimited (spec A11)
    declaration_quota_team: Mapped[int | None]
    resubmit_days: Mapped[int | None]  # 退回修改期限（天）, default 7
    publicity_days: Mapped[int | None]  # 公示期（天）, default 7
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notice(db.Model):
    """A notice (通知公告) shown on the home page."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    is_published: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    attachments: Mapped[list["NoticeAttachment"]] = relationship(
        back_populates="notice", cascade="all, delete-orphan")


class NoticeAttachment(db.Model):
    """A file attached to a notice."""

    __tablename__ = "notice_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))

    notice: Mapped[Notice] = relationship(back_populates="attachments")
    file: Mapped["StoredFile"] = relationship()  # noqa: F821


class StoredFile(db.Model):
    """An uploaded file (license, notice attachment, ...) kept outside static/."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # CRC-32 of the content, computed with the SHA-256 at upload, so zips of stored files need not read them twice.
    crc32: Mapped[int | None] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(32))  # license, notice, ...
    # The owning unit; a plain column (no foreign key) because unit.license_file_id points back here.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    # Uploaded before its form is submitted: the form carries a key whose hash is kept here.
    staging_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Province(db.Model):
    """A provincial-level division (GB/T 2260 two-digit code)."""

    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Industry(db.Model):
    """An industry division (GB/T 4754-2017) of the petroleum and chemical sector."""

    __tablename__ = "industry"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(200), default="")
