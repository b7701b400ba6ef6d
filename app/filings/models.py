"""Annual filings (登记备案) of QC groups and teams, with their registration numbers."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.extensions import db

TOPIC_TYPES = ("问题解决型（自定目标）", "问题解决型（指令性目标）", "创新型")
SOURCE_FORM = "form"
SOURCE_IMPORT = "import"
SOURCE_LINK_FORM = "link_form"
SOURCE_LINK_IMPORT = "link_import"


class FilingMixin:
    """Columns shared by group and team filings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reg_no: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int]
    enterprise_name: Mapped[str] = mapped_column(String(200))
    leader: Mapped[str] = mapped_column(String(50))
    member_count: Mapped[int]
    contact: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(20))
    remark: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_FORM)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A form's one-time key: submitting the same form twice creates one record.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class QcGroupFiling(FilingMixin, db.Model):
    """A QC group (质量管理小组) filed for a year."""

    __tablename__ = "qc_group_filing"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "enterprise_name", "group_name"),
        Index("ix_qc_group_filing_unit_year", "unit_id", "year"),
        Index("ix_qc_group_filing_year_created", "year", "created_at"),
        # covering index: the per-enterprise summary and the enterprise filter read only this index
        Index("ix_qc_group_filing_summary", "unit_id", "year", "enterprise_name", "member_count"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True)
    group_name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(300))
    topic_type: Mapped[str] = mapped_column(String(32))
    founded_on: Mapped[date]
    topic_registered_on: Mapped[date | None]
    advisor: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821


class TeamFiling(FilingMixin, db.Model):
    """A quality-trustworthy team (质量信得过班组) filed for a year."""

    __tablename__ = "team_filing"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "enterprise_name", "team_name"),
        Index("ix_team_filing_unit_year", "unit_id", "year"),
        Index("ix_team_filing_year_created", "year", "created_at"),
        # covering index: the per-enterprise summary and the enterprise filter read only this index
        Index("ix_team_filing_summary", "unit_id", "year", "enterprise_name", "member_count"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True)
    team_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100))
    landline: Mapped[str | None] = mapped_column(String(30))
    started_on: Mapped[date | None]
    intro: Mapped[str | None] = mapped_column(Text)

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821


class RegNoCounter(db.Model):
    """The last 注册编号 issued per kind and year; numbers are never reused."""

    __tablename__ = "reg_no_counter"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)  # QC or BZ (注册编号), QCSB or BZSB (申报编号)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class UnitYearStat(db.Model):
    """A unit's own figures for a year (设置), used by the declaration statistics."""

    __tablename__ = "unit_year_stat"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    group_total: Mapped[int] = mapped_column(default=0)
    team_total: Mapped[int] = mapped_column(default=0)
    staff_total: Mapped[int] = mapped_column(default=0)
    qc_participants: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

