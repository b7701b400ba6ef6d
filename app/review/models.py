"""成果评审 records: the expert pool (评委库, spec B3), review rounds (B2), rubrics as data (B6), 专业组 (B4) and
回避 (B5). Scores and results follow.

Points are integers of hundredths (`_c` columns): 配分 8.5 → 850.
"""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
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


# ---- rounds (spec B2) -----------------------------------------------------------------------------

STAGE_R1 = "R1"
STAGE_R2 = "R2"
STAGE_SITE = "XC"
STAGE_LABELS = {STAGE_R1: "资料评审（初评）", STAGE_R2: "决赛（现场发表）", STAGE_SITE: "现场评审"}

ROUND_PENDING = "pending"
ROUND_OPEN = "open"
ROUND_CLOSED = "closed"
ROUND_LOCKED = "locked"
ROUND_STATUS_LABELS = {ROUND_PENDING: "未开始", ROUND_OPEN: "进行中", ROUND_CLOSED: "已截止", ROUND_LOCKED: "已锁定"}


class ReviewRound(db.Model):
    """One review round of a year and kind: R1 资料评审（初评）, R2 决赛（现场发表） or 现场评审 (spec B2)."""

    __tablename__ = "review_round"
    __table_args__ = (UniqueConstraint("year", "kind", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # group / team
    stage: Mapped[str] = mapped_column(String(4))  # R1 / R2 / XC
    # The rubric of the round; for QC groups in R1 it is the 问题解决型 one and `innovative_rubric` the 创新型 one.
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="RESTRICT"), index=True)
    innovative_rubric_id: Mapped[int | None] = mapped_column(
        ForeignKey("rubric.id", ondelete="RESTRICT"), index=True)
    weight_c: Mapped[int] = mapped_column(default=100)  # weight in the level score ×100 (spec B8.3)
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]  # UTC
    is_locked: Mapped[bool] = mapped_column(default=False)
    locked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rubric: Mapped["Rubric"] = relationship(foreign_keys=[rubric_id])
    innovative_rubric: Mapped["Rubric | None"] = relationship(foreign_keys=[innovative_rubric_id])
    groups: Mapped[list["ReviewGroup"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="ReviewGroup.id")

    @property
    def stage_label(self):
        """资料评审（初评） …"""
        return STAGE_LABELS.get(self.stage, self.stage)

    @property
    def kind_label(self):
        """小组成果 / 班组成果."""
        return EXPERT_KINDS.get(self.kind, self.kind)

    def status(self, now=None):
        """未开始 / 进行中 / 已截止 from the times, 已锁定 when locked (codes of ROUND_STATUS_LABELS)."""
        if self.is_locked:
            return ROUND_LOCKED
        now = now or utcnow()
        if now < self.starts_at:
            return ROUND_PENDING
        return ROUND_OPEN if now <= self.ends_at else ROUND_CLOSED

    def status_label(self, now=None):
        """The status in Chinese."""
        return ROUND_STATUS_LABELS[self.status(now)]

    def has_started(self, now=None):
        """True from the start time on (or once locked)."""
        return self.is_locked or (now or utcnow()) >= self.starts_at

    def rubric_for(self, topic_type):
        """The rubric a declaration of this 课题类型 is scored with."""
        if topic_type == "创新型" and self.innovative_rubric_id:
            return self.innovative_rubric
        return self.rubric


# ---- rubrics (spec B6) ----------------------------------------------------------------------------

RUBRIC_KIND_ANY = "both"  # 发表评审表: the same table for QC groups and teams
RUBRIC_KIND_LABELS = {"group": "小组成果", "team": "班组成果", RUBRIC_KIND_ANY: "小组、班组通用"}


class Rubric(db.Model):
    """A 评分表 of a year: code (QC-PS, QC-IN, BZ, FB, XC), name, kind and its items; data, not code (spec B6)."""

    __tablename__ = "rubric"
    __table_args__ = (UniqueConstraint("code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))  # group / team / both
    year: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list["RubricItem"]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="RubricItem.seq")

    @property
    def kind_label(self):
        """小组成果 / 班组成果 / 小组、班组通用."""
        return RUBRIC_KIND_LABELS.get(self.kind, self.kind)

    def fits(self, kind):
        """True when a round of this kind (group / team) may use the rubric."""
        return self.kind in (kind, RUBRIC_KIND_ANY)

    @property
    def total_c(self):
        """合计 of the 配分 in hundredths."""
        return sum(item.max_points_c for item in self.items)


class RubricItem(db.Model):
    """One row of a rubric: 序号, 评审项目, 评审方法 (现场评审 only), 评审内容, 配分."""

    __tablename__ = "rubric_item"
    __table_args__ = (UniqueConstraint("rubric_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    max_points_c: Mapped[int]

    rubric: Mapped[Rubric] = relationship(back_populates="items")


# ---- 专业组 (spec B4) ------------------------------------------------------------------------------

class ReviewGroup(db.Model):
    """A 专业组 of a round."""

    __tablename__ = "review_group"
    __table_args__ = (UniqueConstraint("round_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[ReviewRound] = relationship(back_populates="groups")
    members: Mapped[list["ReviewGroupMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="ReviewGroupMember.id")

    @property
    def leader(self):
        """The 组长's membership, or None."""
        return next((m for m in self.members if m.is_leader), None)


class ReviewGroupMember(db.Model):
    """An expert in a 专业组; one group per expert per round, at most one 组长 per group (the database holds both)."""

    __tablename__ = "review_group_member"
    __table_args__ = (
        UniqueConstraint("round_id", "expert_id"),
        Index("uq_review_group_member_leader", "group_id", unique=True,
              sqlite_where=text("is_leader"), postgresql_where=text("is_leader")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("review_group.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), index=True)
    is_leader: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[ReviewGroup] = relationship(back_populates="members")
    expert: Mapped[Expert] = relationship()


# ---- 回避 (spec B5) --------------------------------------------------------------------------------

AVOID_AUTO_UNIT = "auto_unit"
AVOID_AUTO_NAME = "auto_name"
AVOID_MANUAL = "manual"
AVOID_SELF = "self"
AVOID_SOURCE_LABELS = {AVOID_AUTO_UNIT: "自动回避（同一申报单位）", AVOID_AUTO_NAME: "自动回避（单位名称）",
                       AVOID_MANUAL: "手动回避", AVOID_SELF: "申请回避"}


class Avoidance(db.Model):
    """A 回避 record: the expert does not review the declaration in the round (or the whole year when round is null).

    Cancelling keeps the row (cancelled_at / cancelled_by) so 回避管理 shows the history.
    """

    __tablename__ = "avoidance"
    __table_args__ = (
        Index("ix_avoidance_declaration_expert", "declaration_id", "expert_id"),
        Index("ix_avoidance_year_round", "year", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    round_id: Mapped[int | None] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # auto_unit / auto_name / manual / self
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")

    expert: Mapped[Expert] = relationship()
    declaration: Mapped["Declaration"] = relationship()  # noqa: F821

    @property
    def source_label(self):
        """自动回避（…） / 手动回避 / 申请回避."""
        return AVOID_SOURCE_LABELS.get(self.source, self.source)

    @property
    def is_active(self):
        """True unless cancelled."""
        return self.cancelled_at is None


# ---- assignment (spec B4) --------------------------------------------------------------------------

class ReviewAssignment(db.Model):
    """成果分组: the 专业组 that reviews an accepted declaration in a round (one group per declaration per round)."""

    __tablename__ = "review_assignment"
    __table_args__ = (UniqueConstraint("round_id", "declaration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("review_group.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    group: Mapped[ReviewGroup] = relationship()
    declaration: Mapped["Declaration"] = relationship()  # noqa: F821


# ---- score sheets (spec B7) ------------------------------------------------------------------------

SHEET_DRAFT = "draft"
SHEET_SUBMITTED = "submitted"
RECOMMEND_LEVELS = ("优秀", "良好", "合格", "不合格")


class ScoreSheet(db.Model):
    """An expert's 评分 of a declaration in a round: the items are rows of score_item (one per rubric item), so
    two tabs saving different items both keep theirs; total_c is recomputed on the server from the items."""

    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("round_id", "declaration_id", "expert_id"),
                      Index("ix_score_sheet_round_expert", "round_id", "expert_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), index=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SHEET_DRAFT)  # draft / submitted
    total_c: Mapped[int] = mapped_column(default=0)  # Σ of the entered items, hundredths
    is_complete: Mapped[bool] = mapped_column(default=False)  # every rubric item has a value
    overall_comment: Mapped[str] = mapped_column(Text, default="")  # 总体评价 ≤ 500
    recommend_level: Mapped[str] = mapped_column(String(8), default="")  # 推荐意见等级
    version: Mapped[int] = mapped_column(default=1)  # bumped on every save
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list["ScoreItem"]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class ScoreItem(db.Model):
    """得分 of one rubric item on a sheet, in hundredths."""

    __tablename__ = "score_item"
    __table_args__ = (UniqueConstraint("sheet_id", "rubric_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"))
    rubric_item_id: Mapped[int] = mapped_column(ForeignKey("rubric_item.id", ondelete="RESTRICT"), index=True)
    points_c: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="items")


class ExpertRoundStatus(db.Model):
    """An expert's submission in a round (spec B7): 提交 / 撤回 / the secretariat's 驳回 with its reason."""

    __tablename__ = "expert_round_status"
    __table_args__ = (UniqueConstraint("round_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]  # 驳回
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reopen_reason: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    expert: Mapped[Expert] = relationship()


class GroupConfirmation(db.Model):
    """组长确认 of a 专业组 (spec B7.7, B10): after it the members can no longer withdraw their submission."""

    __tablename__ = "group_confirmation"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("review_group.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"), index=True)
    confirmed_at: Mapped[datetime]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


# ---- results (spec B8) -----------------------------------------------------------------------------

class RoundResult(db.Model):
    """The round mean of a declaration (B8.1), upserted on every recompute; `detail` holds one entry per sheet:
    {"expert_id", "total_c", "avoided", "valid", "removed_high", "removed_low"}.

    `suggested_level` and `group_opinion` are the 组长's (B10) and are never touched by a recompute.
    """

    __tablename__ = "round_result"
    __table_args__ = (UniqueConstraint("round_id", "declaration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("review_group.id", ondelete="SET NULL"), index=True)
    expected_count: Mapped[int] = mapped_column(default=0)  # group size − its 回避 (B8.2)
    valid_count: Mapped[int] = mapped_column(default=0)
    used_count: Mapped[int] = mapped_column(default=0)
    mean_c: Mapped[int | None]  # hundredths; None: 暂无有效评分
    detail: Mapped[list] = mapped_column(JSON, default=list)
    suggested_level: Mapped[str] = mapped_column(String(8), default="")  # 组长: 一等 / 二等 / 三等 / 不推荐
    group_opinion: Mapped[str] = mapped_column(Text, default="")  # 专家组意见
    computed_at: Mapped[datetime | None]

    @property
    def is_incomplete(self):
        """评分未完成 (B8.2)."""
        return self.valid_count < self.expected_count


class AwardPlan(db.Model):
    """定级 of a year and kind (B9, B10): mode and parameters, finalists and cups, 评审委员会 date, 定级锁定."""

    __tablename__ = "award_plan"
    __table_args__ = (UniqueConstraint("year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # group / team
    mode: Mapped[str] = mapped_column(String(16), default="cutoffs")  # cutoffs / proportion
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # {"一等": 8500, …} hundredths or percents
    finalist_count: Mapped[int] = mapped_column(default=0)
    cup_count: Mapped[int] = mapped_column(default=0)
    meeting_on: Mapped[date | None]  # 评审委员会审定 date
    incomplete_reason: Mapped[str] = mapped_column(String(500), default="")  # 确认以现有评分定级
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]  # 正式发布 (B11)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


AWARD_LEVELS = ("优胜杯", "一等", "二等", "三等", "未获奖")


class AwardResult(db.Model):
    """A declaration's result (B9): scores, ranks, finalist, level (computed or overridden), certificate number."""

    __tablename__ = "award_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), unique=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    level_score_c: Mapped[int | None]  # 等级分
    final_score_c: Mapped[int | None]  # 决赛分
    rank: Mapped[int | None]
    group_rank: Mapped[int | None]
    is_finalist: Mapped[bool] = mapped_column(default=False)
    level: Mapped[str] = mapped_column(String(8), default="")  # one of AWARD_LEVELS, "" before 定级
    computed_level: Mapped[str] = mapped_column(String(8), default="")
    override_reason: Mapped[str] = mapped_column(String(500), default="")  # non-empty: the level was set by hand
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    certificate_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    declaration: Mapped["Declaration"] = relationship()  # noqa: F821


# ---- 公示, 异议 and certificates (spec B11, B12) -----------------------------------------------------

PUBLICITY_KINDS = {"group": "小组成果", "team": "班组成果", "both": "小组成果、班组成果"}
OBJECTION_STATUS_LABELS = {"open": "待处理", "kept": "已处理（维持）", "adjusted": "已处理（调整）"}


class Publicity(db.Model):
    """A 公示 of a year for a kind or both (B11), published as a 通知公告."""

    __tablename__ = "publicity"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(8))  # group / team / both
    title: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / ended / published
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"))
    final_notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]


class Objection(db.Model):
    """异议 against a listed achievement (B11): filed by a unit online or recorded by the secretariat."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    publicity_id: Mapped[int] = mapped_column(ForeignKey("publicity.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    submitted_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    submitter_name: Mapped[str] = mapped_column(String(50))  # 联系人 / 提出人
    phone: Mapped[str] = mapped_column(String(30))
    content: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(Text, default="")  # 处理结果
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / kept / adjusted
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    declaration: Mapped["Declaration"] = relationship()  # noqa: F821


class CertificateSetting(db.Model):
    """The certificate background image of a year (B12)."""

    __tablename__ = "certificate_setting"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    background_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CertificateCorrection(db.Model):
    """证书信息更正 (B12): a unit asks to correct one printed name before 发布; old → new kept."""

    __tablename__ = "certificate_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))  # title / group_name / enterprise_name / main_contributors
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / approved / declined
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]
    handling_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    declaration: Mapped["Declaration"] = relationship()  # noqa: F821
