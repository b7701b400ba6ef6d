"""成果评审 records. The expert pool (评委库, spec B3); rounds, rubrics, groups, 回避, scores and results follow."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.extensions import db

EXPERT_KINDS = {"group": "小组成果", "team": "班组成果"}


class Expert(db.Model):
    """A member of the 行业优秀成果评审委员会 with a login of role expert; persists across years (spec B3)."""

    __tablename__ = "expert"
    __table_args__ = (Index("ix_expert_mobile", "mobile"), Index("ix_expert_email", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    company: Mapped[str] = mapped_column(String(200), default="")  # 工作单位
    department: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    experience: Mapped[str] = mapped_column(Text, default="")  # ≤ 300 characters
    kinds: Mapped[list] = mapped_column(JSON, default=list)  # the kinds he or she reviews: ["group", "team"]
    recommended_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert_recommendation.id", ondelete="SET NULL"))
    signature_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped["User | None"] = relationship()  # noqa: F821
    recommended_by_unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    signature_file: Mapped["StoredFile | None"] = relationship()  # noqa: F821

    def reviews(self, kind):
        """True when the expert reviews declarations of this kind (group / team)."""
        return kind in (self.kinds or [])


class ExpertYear(db.Model):
    """An expert's participation in one year's review (spec B3)."""

    __tablename__ = "expert_year"
    __table_args__ = (UniqueConstraint("expert_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    year: Mapped[int]
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[Expert] = relationship()
