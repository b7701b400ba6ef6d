"""Registered units (申报单位), their change requests and change history."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

STATUS_PENDING = "pending"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUS_LABELS = {STATUS_PENDING: "待审核", STATUS_APPROVED: "已通过", STATUS_REJECTED: "未通过"}

_LIVE = text("status <> 'rejected'")


class Unit(db.Model):
    """A unit's registration: one account per legal entity."""

    __tablename__ = "unit"
    __table_args__ = (
        # One unit, one account: unique among pending and approved registrations.
        Index("uq_unit_live_name", "name", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("uq_unit_live_credit_code", "credit_code", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
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
