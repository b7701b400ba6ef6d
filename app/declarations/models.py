"""成果申报 records (spec A15): declarations with their files, the units' yearly documents (附件4–7),
形式审查 records and per-unit extensions of the window.

Every two-decimal value (money, percentages) is an integer of hundredths (`_c` columns): 87.5 → 8750.
"""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.extensions import db

KIND_GROUP = "group"
KIND_TEAM = "team"
KINDS = (KIND_GROUP, KIND_TEAM)

STATUS_DRAFT = "draft"
STATUS_SUBMITTED = "submitted"
STATUS_RETURNED = "returned"
STATUS_ACCEPTED = "accepted"
STATUS_REJECTED = "rejected"
STATUS_DEFERRED = "deferred"
STATUS_LABELS = {
    STATUS_DRAFT: "草稿",
    STATUS_SUBMITTED: "已提交（待形式审查）",
    STATUS_RETURNED: "退回修改",
    STATUS_ACCEPTED: "已受理（参评）",
    STATUS_REJECTED: "不予受理（不评）",
    STATUS_DEFERRED: "缓评",
}

# formal_check.conclusion: the 形式审查 conclusion is the status it moves the declaration to (spec A2).
CONCLUSION_LABELS = {STATUS_ACCEPTED: "参评", STATUS_RETURNED: "完善后参评", STATUS_REJECTED: "不评",
                     STATUS_DEFERRED: "缓评"}

TOPIC_TYPES = ("问题解决型", "创新型")
TOPIC_SUBTYPES = ("自定目标", "指令性目标")

# declaration_file.purpose
FILE_REPORT = "report"
FILE_REPORT_PDF = "report_pdf"
FILE_RECORDS = "records"
FILE_STAMPED_FORM = "stamped_form"
FILE_SLIDES = "slides"

# unit_year_document.doc
DOC_SUMMARY_GROUP = "summary_group"
DOC_SUMMARY_TEAM = "summary_team"
DOC_STATISTICS = "statistics"
DOC_RECOMMENDATION = "recommendation"

SELECTION_PENDING = "pending"
SELECTION_SELECTED = "selected"
SELECTION_DECLINED = "declined"


class Declaration(db.Model):
    """One declared achievement (附件2 for a QC group, 附件3 for a team) of a filing of year `year`."""

    __tablename__ = "declaration"
    __table_args__ = (
        CheckConstraint("(group_filing_id IS NULL) <> (team_filing_id IS NULL)", name="one_filing"),
        Index("ix_declaration_unit_year_kind", "unit_id", "year", "kind"),
        Index("ix_declaration_year_status", "year", "status"),
        # 申报总览 pages by 申报编号 and 形式审查 by submission time: the page's ids come from these indexes alone.
        Index("ix_declaration_year_decl_no", "year", "decl_no"),
        Index("ix_declaration_year_status_submitted", "year", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # group / team
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    # One declaration per filing (spec E5): the unique constraints are the guard.
    group_filing_id: Mapped[int | None] = mapped_column(
        ForeignKey("qc_group_filing.id", ondelete="RESTRICT"), unique=True)
    team_filing_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_filing.id", ondelete="RESTRICT"), unique=True)
    decl_no: Mapped[str] = mapped_column(String(20), unique=True)  # QCSB-2027-0001 / BZSB-2027-0001
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DRAFT)

    title: Mapped[str] = mapped_column(String(300), default="")
    group_name: Mapped[str] = mapped_column(String(200), default="")  # 小组名称 or 班组名称
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    contact: Mapped[str] = mapped_column(String(50), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    landline: Mapped[str | None] = mapped_column(String(30))
    contact_department: Mapped[str | None] = mapped_column(String(100))  # groups: 小组联系部门
    department: Mapped[str | None] = mapped_column(String(100))  # teams: 主管部门
    advisor: Mapped[str | None] = mapped_column(String(100))
    leader: Mapped[str] = mapped_column(String(50), default="")
    member_count: Mapped[int | None]
    main_contributors: Mapped[list] = mapped_column(JSON, default=list)  # ordered names
    topic_type: Mapped[str | None] = mapped_column(String(16))  # 问题解决型 / 创新型 (groups)
    topic_subtype: Mapped[str | None] = mapped_column(String(16))  # 自定目标 / 指令性目标
    economic_benefit_c: Mapped[int | None]  # 经济效益（万元）×100
    rate_work_completion_c: Mapped[int | None]  # teams: five percentages ×100
    rate_satisfaction_c: Mapped[int | None]
    rate_pass_c: Mapped[int | None]
    rate_quality_assessment_c: Mapped[int | None]
    rate_improvement_participation_c: Mapped[int | None]
    quality_cost_c: Mapped[int | None]  # 质量成本（万元/年）×100
    training_attendance: Mapped[int | None]
    complaints: Mapped[int | None]
    accidents: Mapped[int | None]
    no_accident_pledge: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None]
    started_on: Mapped[date | None]
    presenter: Mapped[str | None] = mapped_column(String(50))

    data_hash: Mapped[str | None] = mapped_column(String(8))  # 校验码 of the printed fields (spec A6)
    submitted_at: Mapped[datetime | None]
    resubmit_deadline: Mapped[date | None]  # after 完善后参评 (spec A2)
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock for 形式审查 decisions
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    group_filing: Mapped["QcGroupFiling | None"] = relationship()  # noqa: F821
    team_filing: Mapped["TeamFiling | None"] = relationship()  # noqa: F821
    files: Mapped[list["DeclarationFile"]] = relationship(
        back_populates="declaration", cascade="all, delete-orphan", order_by="DeclarationFile.id")

    # Every UPDATE/DELETE checks and bumps `version`: a change racing another one (a double 提交, a 撤回 against a
    # 形式审查 decision) raises StaleDataError instead of silently overwriting.
    __mapper_args__ = {"version_id_col": version}

    @property
    def filing(self):
        """The filing this declaration declares."""
        return self.group_filing if self.kind == KIND_GROUP else self.team_filing

    @property
    def status_label(self):
        """The status as users read it."""
        return STATUS_LABELS.get(self.status, self.status)


class DeclarationFile(db.Model):
    """A file of a declaration: report, PDF copy, activity records, stamped form scan, slides."""

    __tablename__ = "declaration_file"
    __table_args__ = (Index("ix_declaration_file_declaration_purpose", "declaration_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    data_hash: Mapped[str | None] = mapped_column(String(8))  # stamped scans: 校验码 of the data they show
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    declaration: Mapped[Declaration] = relationship(back_populates="files")
    stored_file: Mapped["StoredFile"] = relationship()  # noqa: F821


class UnitYearDocument(db.Model):
    """A unit's stamped yearly document: 申报汇总表 (附件4/5), 活动统计表 (附件6), 评委推荐表 (附件7)."""

    __tablename__ = "unit_year_document"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    doc: Mapped[str] = mapped_column(String(16), primary_key=True)
    header: Mapped[dict] = mapped_column(JSON, default=dict)  # 汇总表 header inputs (联系人, 电话, 手机, …)
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    data_hash: Mapped[str | None] = mapped_column(String(8))  # 校验码 of the data the scan shows
    uploaded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    stored_file: Mapped["StoredFile | None"] = relationship()  # noqa: F821


class UnitYearReport(db.Model):
    """活动统计表 (附件6): a unit's statistics of the period May Y−1 to April Y (spec A8)."""

    __tablename__ = "unit_year_report"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    qc_registered_total: Mapped[int | None]
    qc_registered_year: Mapped[int | None]
    qc_participants: Mapped[int | None]
    staff_total: Mapped[int | None]
    qc_active: Mapped[int | None]
    qc_benefit_c: Mapped[int | None]
    qc_with_results: Mapped[int | None]
    qc_funding_c: Mapped[int | None]
    qc_rewards_c: Mapped[int | None]
    team_active: Mapped[int | None]
    team_total_hist: Mapped[int | None]
    team_participants: Mapped[int | None]
    team_funding_c: Mapped[int | None]
    team_rewards_c: Mapped[int | None]
    team_review_forms: Mapped[list] = mapped_column(JSON, default=list)
    remarks: Mapped[str] = mapped_column(Text, default="")
    row_notes: Mapped[dict] = mapped_column(JSON, default=dict)  # 备注 per row number
    responsible_dept: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(16), default="saved")  # saved / submitted
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExpertRecommendation(db.Model):
    """评委推荐表 (附件7): one of the 1–2 experts a unit recommends for a year (spec A9, B3)."""

    __tablename__ = "expert_recommendation"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    seq: Mapped[int]  # 1 or 2
    name: Mapped[str] = mapped_column(String(50))
    company_dept: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    mobile: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    experience: Mapped[str] = mapped_column(Text)  # ≤ 300 characters
    kinds: Mapped[list] = mapped_column(JSON, default=list)  # ["group", "team"]
    selection: Mapped[str] = mapped_column(String(16), default=SELECTION_PENDING)
    expert_id: Mapped[int | None]  # the expert created or linked at 遴选 (review area; no FK across layers)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    files: Mapped[list["ExpertRecommendationFile"]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="ExpertRecommendationFile.id")


class ExpertRecommendationFile(db.Model):
    """A proof file (证明材料) of a recommended expert."""

    __tablename__ = "expert_recommendation_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("expert_recommendation.id", ondelete="CASCADE"), index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recommendation: Mapped[ExpertRecommendation] = relationship(back_populates="files")
    stored_file: Mapped["StoredFile"] = relationship()  # noqa: F821


class FormalCheck(db.Model):
    """One 形式审查 of a declaration; every save is a new row, the newest counts (spec A13)."""

    __tablename__ = "formal_check"
    __table_args__ = (Index("ix_formal_check_declaration_created", "declaration_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    items: Mapped[dict] = mapped_column(JSON, default=dict)  # {"F1": {"result": "符合", "note": "", "auto": true}}
    conclusion: Mapped[str] = mapped_column(String(16))  # accepted / returned / rejected / deferred
    opinion: Mapped[str] = mapped_column(Text, default="")
    resubmit_deadline: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def conclusion_label(self):
        """参评 / 完善后参评 / 不评 / 缓评."""
        return CONCLUSION_LABELS.get(self.conclusion, self.conclusion)

    def failed_items(self):
        """(code, note) of the items found 不符合, in checklist order."""
        return [(code, (item or {}).get("note", "")) for code, item in sorted(
            (self.items or {}).items(), key=lambda pair: int(pair[0][1:]) if pair[0][1:].isdigit() else 99)
            if (item or {}).get("result") == "不符合"]


class DeclarationReminder(db.Model):
    """The reminder mail sent to a unit before the window of a year closes (one per unit and year)."""

    __tablename__ = "declaration_reminder"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeclarationExtension(db.Model):
    """A later closing date of the window for one unit and kind (spec A2, D30)."""

    __tablename__ = "declaration_extension"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    until: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
