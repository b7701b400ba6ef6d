"""评审结果 (spec B8.2, B8.3, B9, B10, D17–D21, D27): 成果得分 of a year and kind from the stored round means,
决赛入围, 优胜杯, 定级 by cut-offs or proportion, overrides with a reason, 定级锁定.

The standings are read in one statement whatever the number of declarations; ranks and levels come from the
pure rules of app/review/aggregation.py, so the live preview and 应用 compute the same thing.
Services flush; the views commit.
"""
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import aliased

from app.accounts.models import Unit
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import results
from app.review.aggregation import finalist_split, group_ranks, shared_ranks, weighted_score
from app.review.award_levels import (
    MODE_CUTOFFS,
    MODE_LABELS,
    compute_levels,
    counts,
    plain,
    plan_params,
    stored_params,
)
from app.review.models import (
    AWARD_LEVELS,
    EXPERT_KINDS,
    STAGE_R1,
    STAGE_R2,
    AwardPlan,
    AwardResult,
    ReviewGroup,
    ReviewRound,
    RoundResult,
)
from app.review.rounds import ReviewError

PAGE_SIZE = 50
LOCKED_MESSAGE = "定级已锁定，不能再修改。如需修改，请先解除锁定。"
STATUS_UNASSIGNED = "评分未完成（未分组）"
STATUS_INCOMPLETE = "评分未完成"
STATUS_COMPLETE = "评分完成"


def check_kind(kind):
    """True for group / team."""
    return kind in EXPERT_KINDS


def _cents(value):
    return None if value is None else int(value * 100)


# ---- reading -------------------------------------------------------------------------------------------

@dataclass
class Standing:
    """One declaration's line of 成果得分 (B9): scores, ranks, finalist, levels and completeness."""

    declaration_id: int
    decl_no: str
    title: str
    group_name: str
    enterprise_name: str
    unit_name: str
    topic_type: str | None
    review_group: str | None
    has_result: bool
    valid_count: int
    used_count: int
    expected_count: int
    level_score: Decimal | None
    final_score: Decimal | None
    suggested_level: str
    group_opinion: str
    is_finalist: bool
    has_award: bool
    level: str
    computed_level: str
    override_reason: str
    rank: int | None = None
    group_rank: int | None = None
    tied: bool = False
    group_id: int | None = None

    @property
    def is_incomplete(self):
        """评分未完成 (B8.2): no round result (not in a 专业组) or fewer valid sheets than expected."""
        return not self.has_result or self.valid_count < self.expected_count

    @property
    def status(self):
        """评分未完成（未分组） / 评分未完成 / 评分完成."""
        if not self.has_result:
            return STATUS_UNASSIGNED
        return STATUS_INCOMPLETE if self.valid_count < self.expected_count else STATUS_COMPLETE

    @property
    def type_label(self):
        """成果类型: the 课题类型 of a QC group, 班组成果 for a team."""
        return self.topic_type or "班组成果"


@dataclass
class Board:
    """The year's standings of a kind with its plan and rounds."""

    year: int
    kind: str
    plan: AwardPlan
    r1: ReviewRound | None
    r2: ReviewRound | None
    rows: list
    stored_count: int = 0  # award_result rows of the year and kind, of accepted declarations or not

    @property
    def is_locked(self):
        """定级锁定."""
        return self.plan.locked_at is not None

    @property
    def kind_label(self):
        """小组成果 / 班组成果."""
        return EXPERT_KINDS[self.kind]

    @property
    def incomplete(self):
        """The rows still 评分未完成."""
        return [r for r in self.rows if r.is_incomplete]

    @property
    def tied(self):
        """The rows tied at the 决赛入围 boundary."""
        return [r for r in self.rows if r.tied]

    @property
    def finalists(self):
        """The rows marked as finalists."""
        return [r for r in self.rows if r.is_finalist]

    @property
    def review_groups(self):
        """(group id, name) of the 专业组 in the standings, by name."""
        return sorted({(r.group_id, r.review_group) for r in self.rows if r.group_id}, key=lambda g: g[1])

    @property
    def overridden(self):
        """The rows whose level was set by hand."""
        return [r for r in self.rows if r.override_reason]

    @property
    def applied(self):
        """True when every row has a level (应用 was run since the last declaration joined)."""
        return bool(self.rows) and all(r.level for r in self.rows)


def get_plan(year, kind):
    """The stored plan, or an unsaved default one (cut-offs 85/75/60, nothing chosen)."""
    plan = db.session.execute(db.select(AwardPlan).filter_by(year=year, kind=kind)).scalar_one_or_none()
    if plan is None:
        plan = AwardPlan(year=year, kind=kind, mode=MODE_CUTOFFS, params={}, finalist_count=0, cup_count=0,
                         incomplete_reason="")
    return plan


def stored_plan(year, kind):
    """The plan of the year and kind, added to the session when new (to be changed)."""
    plan = get_plan(year, kind)
    if plan.id is None:
        db.session.add(plan)
    return plan


def year_rounds(year, kind):
    """{stage: round} of the year and kind."""
    rows = db.session.execute(db.select(ReviewRound).filter_by(year=year, kind=kind)).scalars()
    return {r.stage: r for r in rows}


def board(year, kind):
    """All standings of the year and kind, ranked (a fixed number of statements)."""
    plan = get_plan(year, kind)
    rounds = year_rounds(year, kind)
    r1, r2 = rounds.get(STAGE_R1), rounds.get(STAGE_R2)
    first, final = aliased(RoundResult), aliased(RoundResult)
    d = Declaration
    select = (
        db.select(d.id, d.decl_no, d.title, d.group_name, d.enterprise_name, Unit.name, d.topic_type,
                  ReviewGroup.name, first.id, first.valid_count, first.used_count, first.expected_count,
                  first.mean_c, final.mean_c, first.suggested_level, first.group_opinion, AwardResult.id,
                  AwardResult.is_finalist, AwardResult.level, AwardResult.computed_level,
                  AwardResult.override_reason, first.group_id)
        .join(Unit, Unit.id == d.unit_id)
        .outerjoin(first, (first.declaration_id == d.id) & (first.round_id == (r1.id if r1 else -1)))
        .outerjoin(ReviewGroup, ReviewGroup.id == first.group_id)
        .outerjoin(final, (final.declaration_id == d.id) & (final.round_id == (r2.id if r2 else -1)))
        .outerjoin(AwardResult, AwardResult.declaration_id == d.id)
        .where(d.year == year, d.kind == kind, d.status == STATUS_ACCEPTED))
    w1 = r1.weight_c if r1 else 100
    w2 = r2.weight_c if r2 else 100
    rows = []
    for r in db.session.execute(select):
        rows.append(Standing(
            declaration_id=r[0], decl_no=r[1], title=r[2], group_name=r[3], enterprise_name=r[4],
            unit_name=r[5], topic_type=r[6], review_group=r[7], has_result=r[8] is not None, valid_count=r[9] or 0,
            used_count=r[10] or 0, expected_count=r[11] or 0,
            level_score=weighted_score(None if r[12] is None else Decimal(r[12]) / 100, w1),
            final_score=weighted_score(None if r[13] is None else Decimal(r[13]) / 100, w2),
            suggested_level=r[14] or "", group_opinion=r[15] or "", has_award=r[16] is not None,
            is_finalist=bool(r[17]), level=r[18] or "", computed_level=r[19] or "",
            override_reason=r[20] or "", group_id=r[21]))
    scores = {r.declaration_id: r.level_score for r in rows}
    ranks = shared_ranks(scores)
    in_group = group_ranks(scores, {r.declaration_id: r.group_id for r in rows})
    _, tied = finalist_split(scores, plan.finalist_count or 0)
    for row in rows:
        row.rank, row.group_rank = ranks[row.declaration_id], in_group[row.declaration_id]
        row.tied = row.declaration_id in tied
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.decl_no))
    stored = db.session.execute(db.select(db.func.count(AwardResult.id)).where(
        AwardResult.year == year, AwardResult.kind == kind)).scalar_one()
    return Board(year, kind, plan, r1, r2, rows, stored)


def page_of(rows, page):
    """The rows of one page (1-based) and the page number actually shown."""
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], page


# ---- changes -------------------------------------------------------------------------------------------

def ensure_unlocked(the_board):
    """Refuse a change once the levels are locked."""
    if the_board.is_locked:
        raise ReviewError(LOCKED_MESSAGE)


def _sync_rows(the_board, actor=None, levels=None, finalists=None):
    """Upsert award_result for every row: scores and ranks, optionally finalists and computed levels.

    Bulk statements (one INSERT and one UPDATE executemany, only the rows that changed), so 应用 on 10,000
    declarations does not pay for 10,000 ORM objects. Rows of declarations no longer accepted are removed.
    """
    a = AwardResult
    existing = {r.declaration_id: r for r in db.session.execute(
        db.select(a.id, a.declaration_id, a.level_score_c, a.final_score_c, a.rank, a.group_rank,
                  a.is_finalist, a.computed_level, a.level, a.override_reason, a.decided_by_id)
        .where(a.year == the_board.year, a.kind == the_board.kind))}
    inserts, updates, now = [], [], utcnow()
    actor_id = getattr(actor, "id", None)
    for row in the_board.rows:
        old = existing.get(row.declaration_id)
        values = {"level_score_c": _cents(row.level_score), "final_score_c": _cents(row.final_score),
                  "rank": row.rank, "group_rank": row.group_rank,
                  "is_finalist": old.is_finalist if old is not None else False,
                  "computed_level": old.computed_level if old is not None else "",
                  "level": old.level if old is not None else "",
                  "decided_by_id": old.decided_by_id if old is not None else None}
        if finalists is not None:
            values["is_finalist"] = row.declaration_id in finalists
        if levels is not None:
            values["computed_level"] = levels[row.declaration_id]
            if not (old is not None and old.override_reason):
                values["level"] = levels[row.declaration_id]
            values["decided_by_id"] = actor_id
        row.is_finalist, row.computed_level, row.level = (values["is_finalist"], values["computed_level"],
                                                          values["level"])
        row.has_award = True
        if old is None:
            inserts.append({"declaration_id": row.declaration_id, "year": the_board.year,
                            "kind": the_board.kind, "override_reason": "", "updated_at": now, **values})
        elif any(getattr(old, k) != v for k, v in values.items()):
            updates.append({"id": old.id, "updated_at": now, **values})
    db.session.flush()
    if inserts:
        db.session.execute(db.insert(AwardResult), inserts)
    if updates:
        db.session.execute(db.update(AwardResult), updates)
    # A declaration no longer accepted (its result withdrawn) leaves the results; numbered certificates stay.
    current = {row.declaration_id for row in the_board.rows}
    gone = [old.id for key, old in existing.items() if key not in current]
    if gone:
        db.session.execute(db.delete(AwardResult)
                           .where(AwardResult.id.in_(gone), AwardResult.certificate_no.is_(None))
                           .execution_options(synchronize_session=False))


def _parse_count(text, label, errors, key):
    text = plain(text)
    if not re.fullmatch(r"\d{1,5}", text or "x"):
        errors[key] = f"请填写{label}（0～99999的整数）。"
        return None
    return int(text)


def set_finalists(the_board, data, actor):
    """保存入围: N and the 优胜杯 count; the top N become finalists, ties at the boundary included for a decision.

    Returns {field: message} when refused (nothing changed), else {}.
    """
    ensure_unlocked(the_board)
    errors = {}
    count = _parse_count(data.get("finalist_count"), "决赛入围数", errors, "finalist_count")
    cups = _parse_count(data.get("cup_count"), "优胜杯数", errors, "cup_count")
    if count is not None and cups is not None and cups > count:
        errors["cup_count"] = "优胜杯数不能大于决赛入围数。"
    if errors:
        return errors
    plan = stored_plan(the_board.year, the_board.kind)
    plan.finalist_count, plan.cup_count = count, cups
    scores = {r.declaration_id: r.level_score for r in the_board.rows}
    sure, tied = finalist_split(scores, count)
    for row in the_board.rows:
        row.tied = row.declaration_id in tied
    _sync_rows(the_board, actor, finalists=sure | tied)
    audit.record("award.finalists", f"设置{the_board.year}年度{the_board.kind_label}决赛入围：前{count}名"
                 f"（入围{len(sure | tied)}项，其中分数线并列{len(tied)}项），优胜杯{cups}项",
                 target=plan, detail={"finalist_count": count, "cup_count": cups, "tied": sorted(tied)},
                 actor=actor)
    return {}


def toggle_finalist(the_board, declaration_id, include, actor):
    """Include or exclude one declaration tied at the 决赛入围 boundary."""
    ensure_unlocked(the_board)
    row = next((r for r in the_board.rows if r.declaration_id == declaration_id), None)
    if row is None or not row.tied:
        raise ReviewError("只有在入围分数线上并列的成果可以单独确定是否入围。")
    award = db.session.execute(db.select(AwardResult).filter_by(declaration_id=declaration_id)).scalar_one()
    award.is_finalist = row.is_finalist = include
    db.session.flush()
    audit.record("award.finalist", f"{'确定入围' if include else '取消入围'}：{row.decl_no} {row.title}",
                 target=award, detail={"declaration_id": declaration_id, "is_finalist": include}, actor=actor)
    return row


def apply_levels(the_board, form, actor):
    """应用: write the computed levels (and the level unless overridden) of every row; saves the plan."""
    ensure_unlocked(the_board)
    levels = compute_levels(the_board, form.mode, form.params)
    plan = stored_plan(the_board.year, the_board.kind)
    plan.mode, plan.params = form.mode, stored_params(form.mode, form.params)
    _sync_rows(the_board, actor, levels=levels)
    tally = counts(levels)
    audit.record("award.apply", f"应用{the_board.year}年度{the_board.kind_label}定级（{MODE_LABELS[form.mode]}）："
                 + "，".join(f"{k}{v}项" for k, v in tally.items()), target=plan,
                 detail={"mode": form.mode, "params": plan.params, "counts": tally}, actor=actor)
    return tally


def is_stale(the_board):
    """True when a stored computed level differs from what 应用 would write now (scores, finalists changed), or a
    declaration left the results since."""
    if not the_board.applied or the_board.stored_count != len(the_board.rows):
        return True
    levels = compute_levels(the_board, the_board.plan.mode, plan_params(the_board.plan))
    return any(r.computed_level != levels[r.declaration_id] for r in the_board.rows)


def override_level(the_board, declaration_id, level, reason, actor):
    """Set one declaration's 评定等级 by hand with a reason (audited); returns {field: message} when refused."""
    ensure_unlocked(the_board)
    row = next((r for r in the_board.rows if r.declaration_id == declaration_id), None)
    errors = {}
    if row is None or not row.computed_level:
        raise ReviewError("请先应用定级，再调整单项成果的等级。")
    if level not in AWARD_LEVELS:
        errors["level"] = "请选择评定等级。"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写调整原因。"
    elif len(reason) > 500:
        errors["reason"] = "调整原因不能超过500字。"
    elif control_char_error(reason, "调整原因"):
        errors["reason"] = control_char_error(reason, "调整原因")
    if errors:
        return errors
    award = db.session.execute(db.select(AwardResult).filter_by(declaration_id=declaration_id)).scalar_one()
    old = award.level
    award.level = level
    # Choosing the computed level again removes the mark; the reason stays in the audit log.
    award.override_reason = "" if level == award.computed_level else reason
    award.decided_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("award.override", f"调整评定等级：{row.decl_no} {row.title}：{old or '未定级'} → {level}（{reason}）",
                 target=award, detail={"declaration_id": declaration_id, "old": old, "new": level,
                                       "computed": award.computed_level, "reason": reason}, actor=actor)
    return {}


def recompute(the_board, actor):
    """重新计算: recompute the round means of the year's rounds of the kind (refused once locked)."""
    ensure_unlocked(the_board)
    written = sum(results.recompute(r) for r in year_rounds(the_board.year, the_board.kind).values())
    audit.record("award.recompute", f"重新计算{the_board.year}年度{the_board.kind_label}成果得分（更新{written}项）",
                 detail={"written": written}, actor=actor)
    return written
