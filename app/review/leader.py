"""The 组长's tab 本组情况 (spec B4, B7.10, B10, C-E4): the group's progress, then — once every member has
submitted — the 专家组意见表 with the round means, 建议等级 and 专家组意见, and 组长确认.

Members never see each other's scores here: the tab shows counts and states only, and the round means (never a
member's total) once all have submitted.
"""
from dataclasses import dataclass

from flask import abort
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.review import avoidance_records, results
from app.review.avoidance_records import DeclarationRow
from app.review.models import (
    ROUND_LOCKED,
    Expert,
    ExpertRoundStatus,
    GroupConfirmation,
    ReviewGroupMember,
    RoundResult,
    ScoreSheet,
)
from app.review.rounds import ReviewError
from app.review.scoring import _assigned, has_submitted, lock_statuses

SUGGESTED_LEVELS = ("一等", "二等", "三等", "不推荐")
OPINION_LIMIT = 500
NOT_ALL_SUBMITTED = "本组专家尚未全部提交打分，不能填写专家组意见。"
CONFIRMED = "本组评审结果已由组长确认，不能再修改。"


def leader_or_403(member):
    """Only the group's 组长 may use the tab: 403 for the other members."""
    if not member.is_leader:
        abort(403)


@dataclass
class MemberRow:
    """A line of 本组情况: 专家名称 · 已评数 · 提交状态 (never a score)."""

    expert_id: int
    name: str
    is_leader: bool
    done: int
    due: int
    submitted: bool

    @property
    def state_label(self):
        """已提交 / 未提交 / 无需评分 (every declaration avoided)."""
        if self.submitted:
            return "已提交"
        return "未提交" if self.due else "无需评分"


@dataclass
class OpinionRow:
    """A line of the 专家组意见表 (columns of C-S9 / B13)."""

    declaration_id: int
    decl_no: str
    title: str
    group_name: str
    enterprise_name: str
    unit_name: str
    kind_text: str
    mean_c: int | None
    rank: int | None
    suggested_level: str
    group_opinion: str

    @property
    def mean_text(self):
        """等级分 with two decimals, "—" without a valid sheet."""
        return "—" if self.mean_c is None else f"{self.mean_c / 100:.2f}"


@dataclass
class Overview:
    """Everything the tab shows: members, whether all submitted, the opinion rows, the confirmation."""

    members: list
    all_submitted: bool
    rows: list
    confirmation: GroupConfirmation | None

    @property
    def is_confirmed(self):
        """True once 组长确认 was given."""
        return self.confirmation is not None


def _members(group_id):
    return db.session.execute(
        db.select(ReviewGroupMember.expert_id, ReviewGroupMember.is_leader, Expert.name, Expert.company,
                  Expert.recommended_by_unit_id)
        .join(Expert, Expert.id == ReviewGroupMember.expert_id)
        .where(ReviewGroupMember.group_id == group_id)
        .order_by(ReviewGroupMember.is_leader.desc(), ReviewGroupMember.id)).all()


def _ranks(rows):
    """Rank within the group by 等级分, equal means sharing a rank (1, 2, 2, 4); no mean, no rank."""
    scored = sorted((r for r in rows if r.mean_c is not None), key=lambda r: -r.mean_c)
    for position, row in enumerate(scored, start=1):
        row.rank = position if position == 1 or row.mean_c != scored[position - 2].mean_c \
            else scored[position - 2].rank


def overview(review_round, group):
    """本组情况 of a group (a fixed number of queries, whatever the number of declarations)."""
    members = _members(group.id)
    ids = [m.expert_id for m in members]
    declarations = _assigned(review_round, group.id)
    rows = [DeclarationRow(*d[:7]) for d in declarations]
    experts = [(m.expert_id, m.company, m.recommended_by_unit_id, m.name) for m in members]
    avoided = avoidance_records.effective_pairs(review_round, rows, experts)
    complete = set(db.session.execute(db.select(ScoreSheet.expert_id, ScoreSheet.declaration_id).where(
        ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id.in_(ids), ScoreSheet.is_complete)).all())
    statuses = {s.expert_id: s for s in db.session.execute(db.select(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id, ExpertRoundStatus.expert_id.in_(ids))).scalars()}
    lines = []
    for m in members:
        due = [d.id for d in rows if (d.id, m.expert_id) not in avoided]
        done = sum(1 for d in due if (m.expert_id, d) in complete)
        lines.append(MemberRow(m.expert_id, m.name, m.is_leader, done, len(due),
                               has_submitted(statuses.get(m.expert_id))))
    all_submitted = bool(rows) and all(line.submitted for line in lines if line.due)
    confirmation = db.session.get(GroupConfirmation, group.id)
    opinion_rows = _opinion_rows(review_round, declarations) if all_submitted else []
    return Overview(lines, all_submitted, opinion_rows, confirmation)


def _opinion_rows(review_round, declarations):
    stored = {r.declaration_id: r for r in db.session.execute(db.select(RoundResult).where(
        RoundResult.round_id == review_round.id,
        RoundResult.declaration_id.in_([d[0] for d in declarations]))).scalars()}
    rows = []
    for d in declarations:
        result = stored.get(d[0])
        rows.append(OpinionRow(d[0], d[1], d[2], d[7], d[3], d[5], d[6] or review_round.kind_label,
                               result.mean_c if result else None, None,
                               result.suggested_level if result else "",
                               result.group_opinion if result else ""))
    _ranks(rows)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.decl_no))
    return rows


def _check_editable(review_round, group, members):
    if review_round.status() == ROUND_LOCKED:
        raise ReviewError("评审结果已锁定，不能再修改。")
    lock_statuses(review_round, members)
    if db.session.get(GroupConfirmation, group.id) is not None:
        raise ReviewError(CONFIRMED)


def parse_opinions(form, rows):
    """({declaration id: (建议等级, 专家组意见)} of the fields present, {field: message})."""
    values, errors = {}, {}
    for row in rows:
        level_key, opinion_key = f"level_{row.declaration_id}", f"opinion_{row.declaration_id}"
        if level_key not in form and opinion_key not in form:
            continue
        level = (form.get(level_key) or "").strip()
        opinion = (form.get(opinion_key) or "").strip()
        if level and level not in SUGGESTED_LEVELS:
            errors[level_key] = "请选择建议等级（一等、二等、三等、不推荐）。"
        if len(opinion) > OPINION_LIMIT:
            errors[opinion_key] = f"专家组意见不能超过{OPINION_LIMIT}字。"
        elif problem := control_char_error(opinion, "专家组意见"):
            errors[opinion_key] = problem
        values[row.declaration_id] = (level, opinion)
    return values, errors


class OpinionErrors(ReviewError):
    """Refused 建议等级 / 专家组意见: {field: message}; nothing was saved."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _write(review_round, group, values):
    stored = {r.declaration_id: r for r in db.session.execute(db.select(RoundResult).where(
        RoundResult.round_id == review_round.id, RoundResult.declaration_id.in_(list(values)))).scalars()}
    missing = [d for d in values if d not in stored]
    if missing:  # a result row is written by the recompute of a submission; make sure it exists
        results.recompute(review_round, missing)
        stored.update({r.declaration_id: r for r in db.session.execute(db.select(RoundResult).where(
            RoundResult.round_id == review_round.id, RoundResult.declaration_id.in_(missing))).scalars()})
    changed = 0
    for declaration_id, (level, opinion) in values.items():
        row = stored[declaration_id]
        if (row.suggested_level, row.group_opinion) != (level, opinion):
            row.suggested_level, row.group_opinion = level, opinion
            changed += 1
    db.session.flush()
    return changed


def save_opinions(review_round, group, form, actor):
    """保存 the 建议等级 and 专家组意见 of the group's declarations (flushes); returns the number changed."""
    view = overview(review_round, group)
    _check_editable(review_round, group, [m.expert_id for m in view.members])
    if not view.all_submitted:
        raise ReviewError(NOT_ALL_SUBMITTED)
    values, errors = parse_opinions(form, view.rows)
    if errors:
        raise OpinionErrors(errors)
    changed = _write(review_round, group, values)
    audit.record("review_group.opinions", f"保存专家组意见：{group.name}（{_round_name(review_round)}），"
                 f"修改{changed}项", target=group, detail={"round_id": review_round.id, "changed": changed},
                 actor=actor)
    return changed


def confirm(review_round, group, form, actor):
    """组长确认 (flushes): saves what the form holds, then refuses unless every member has submitted and every
    declaration has a 建议等级; afterwards the members cannot withdraw and the table is read-only."""
    view = overview(review_round, group)
    _check_editable(review_round, group, [m.expert_id for m in view.members])
    view = overview(review_round, group)  # read again under the lock: a member may just have withdrawn
    if not view.all_submitted:
        raise ReviewError("本组专家尚未全部提交打分，不能确认。")
    values, errors = parse_opinions(form, view.rows)
    if errors:
        raise OpinionErrors(errors)
    _write(review_round, group, values)
    levels = {r.declaration_id: r.suggested_level for r in view.rows}
    levels.update({d: level for d, (level, _opinion) in values.items()})
    missing = [r for r in view.rows if not levels.get(r.declaration_id)]
    if missing:
        raise ReviewError("以下成果尚未选择建议等级，请选择后再确认："
                          + "、".join(f"{r.decl_no} {r.title}" for r in missing))
    try:
        with db.session.begin_nested():
            db.session.add(GroupConfirmation(group_id=group.id, round_id=review_round.id,
                                             confirmed_at=utcnow(), confirmed_by_id=actor.id))
    except IntegrityError:
        raise ReviewError(CONFIRMED) from None
    audit.record("review_group.confirm", f"组长确认：{group.name}（{_round_name(review_round)}），"
                 f"{len(view.rows)}项成果", target=group,
                 detail={"round_id": review_round.id, "levels": {str(k): v for k, v in levels.items()}},
                 actor=actor)


def _round_name(review_round):
    return f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label}"

