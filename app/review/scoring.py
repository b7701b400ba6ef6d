"""Expert scoring (spec B7): the expert's 成果评审 list, the score sheet, 保存, 提交最终打分结果 and 撤回打分提交.

A sheet's items are rows of score_item, one per rubric item. A save writes only the items whose value changed
from what the page showed (the hidden `orig_<id>` fields), under a lock of the sheet row, so two tabs saving
different items keep both; 总分 is recomputed from the stored items on every save.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import abort
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts.models import Unit
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.core.template_helpers import china_time
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import avoidance_records, results
from app.review import avoided as avoided_pairs
from app.review.models import (
    RECOMMEND_LEVELS,
    ROUND_OPEN,
    SHEET_DRAFT,
    SHEET_SUBMITTED,
    Expert,
    ExpertRoundStatus,
    GroupConfirmation,
    ReviewAssignment,
    ReviewGroupMember,
    ReviewRound,
    ScoreItem,
    ScoreSheet,
)
from app.review.rounds import ReviewError, points_text

AVOIDED_MESSAGE = "您已回避该成果，不能评分。"
SUBMITTED_MESSAGE = "已提交打分，不可再修改。如需修改请先撤回提交。"
COMMENT_LIMIT = 500
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

STATE_NONE, STATE_SAVED, STATE_SUBMITTED, STATE_AVOIDED = "none", "saved", "submitted", "avoided"
STATE_LABELS = {STATE_NONE: "未评分", STATE_SAVED: "已保存", STATE_SUBMITTED: "已提交", STATE_AVOIDED: "已回避"}


class ScoreErrors(ReviewError):
    """Refused 得分: {field name: message}; nothing was saved."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def closed_message(review_round):
    """评审时间为…至…，当前不能评分。"""
    fmt = "%Y-%m-%d %H:%M"
    return (f"评审时间为{china_time(review_round.starts_at, fmt)}至{china_time(review_round.ends_at, fmt)}，"
            "当前不能评分。")


def expert_of(user):
    """The logged-in expert's pool record, or 403 when the login has none."""
    expert = db.session.execute(db.select(Expert).where(Expert.user_id == user.id)).scalar()
    if expert is None or not expert.is_enabled:
        abort(403)
    return expert


def expert_rounds(expert):
    """The started rounds the expert is in: [(round, membership)], open ones first, then newest (one query; the
    membership's 专业组 comes along, the list shows its name)."""
    rows = db.session.execute(
        db.select(ReviewRound, ReviewGroupMember)
        .join(ReviewGroupMember, ReviewGroupMember.round_id == ReviewRound.id)
        .options(joinedload(ReviewGroupMember.group))
        .where(ReviewGroupMember.expert_id == expert.id)
        .order_by(ReviewRound.year.desc(), ReviewRound.id.desc())).all()
    started = [(r, m) for r, m in rows if r.has_started()]
    return sorted(started, key=lambda pair: pair[0].status() != ROUND_OPEN)


def membership_or_404(expert, round_id):
    """(round, membership) of a started round the expert is in, or 404."""
    for review_round, member in expert_rounds(expert):
        if review_round.id == round_id:
            return review_round, member
    abort(404)


def _assigned(review_round, group_id, declaration_id=None):
    select = (db.select(Declaration.id, Declaration.decl_no, Declaration.title, Declaration.enterprise_name,
                        Declaration.unit_id, Unit.name.label("unit_name"), Declaration.topic_type,
                        Declaration.group_name)
              .join(ReviewAssignment, ReviewAssignment.declaration_id == Declaration.id)
              .join(Unit, Unit.id == Declaration.unit_id)
              .where(ReviewAssignment.round_id == review_round.id, ReviewAssignment.group_id == group_id,
                     Declaration.status == STATUS_ACCEPTED)
              .order_by(Declaration.decl_no, Declaration.id))
    if declaration_id is not None:
        select = select.where(Declaration.id == declaration_id)
    return db.session.execute(select).all()


def _avoided(review_round, expert, rows):
    """Ids of the declarations among rows the expert avoids (fixed number of queries)."""
    declarations = rows  # id, unit_id, enterprise_name, unit_name as DeclarationRow has them
    mine = [(expert.id, expert.company, expert.recommended_by_unit_id, expert.name)]  # as round_experts
    # the automatic rules block-wise on normalised names (as the 评分矩阵), the records of this expert only
    wanted = avoided_pairs.wanted_within(declarations, mine, {d.id: [expert.id] for d in declarations})
    pairs = avoided_pairs.combine(avoided_pairs.records(review_round, expert_ids=[expert.id]), wanted)
    return {d for d, e in pairs if e == expert.id}


def _sheets(review_round, expert):
    """{declaration id: sheet row} of the expert's sheets in the round: Core columns (id, declaration_id,
    status, total_c, is_complete, saved_at, overall_comment, recommend_level), not entities — the list reads
    hundreds (one query)."""
    sheet = ScoreSheet.__table__.c
    return {s.declaration_id: s for s in db.session.execute(
        db.select(sheet.id, sheet.declaration_id, sheet.status, sheet.total_c, sheet.is_complete,
                  sheet.saved_at, sheet.overall_comment, sheet.recommend_level)
        .where(sheet.round_id == review_round.id, sheet.expert_id == expert.id))}


@dataclass
class Row:
    """A line of the expert's list."""

    id: int
    decl_no: str
    title: str
    group_name: str
    enterprise_name: str
    topic_type: str | None
    state: str
    sheet: object | None  # the sheet's row of _sheets (Core columns), None before the first 保存

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def total_text(self):
        return points_text(self.sheet.total_c) if self.sheet and self.sheet.saved_at else ""


def _state(sheet, avoided):
    if avoided:
        return STATE_AVOIDED
    if sheet is None or sheet.saved_at is None:
        return STATE_NONE
    return STATE_SUBMITTED if sheet.status == SHEET_SUBMITTED else STATE_SAVED


def workspace(review_round, expert, member):
    """All rows of the expert's list in the round (fixed number of queries)."""
    rows = _assigned(review_round, member.group_id)
    avoided = _avoided(review_round, expert, rows)
    sheets = _sheets(review_round, expert)
    return [Row(r[0], r[1], r[2], r[7], r[3], r[6], _state(sheets.get(r[0]), r[0] in avoided),
                sheets.get(r[0])) for r in rows]


def progress(rows):
    """(已评, 应评): complete sheets and the non-avoided declarations."""
    due = [r for r in rows if r.state != STATE_AVOIDED]
    return sum(1 for r in due if r.sheet is not None and r.sheet.is_complete), len(due)


def is_submitted(rows):
    """True when the expert has submitted in the round (every sheet is locked)."""
    return any(r.state == STATE_SUBMITTED for r in rows)


FILTER_FIELDS = ("decl_no", "title", "group_name", "enterprise_name", "topic")


def filter_rows(rows, args):
    """The rows matching the filters 申报编号 · 成果名称 · 小组名称 · 单位名称 · 课题类型."""
    filters = {key: (args.get(key) or "").strip() for key in FILTER_FIELDS}
    result = []
    for row in rows:
        if any(filters[key] and filters[key] not in (getattr(row, key) or "")
               for key in ("decl_no", "title", "group_name", "enterprise_name")):
            continue
        if filters["topic"] and row.topic_type != filters["topic"]:
            continue
        result.append(row)
    return result, filters


def declaration_or_refuse(review_round, member, expert, declaration_id):
    """The assigned declaration: 404 outside the expert's group, 403 with the message when avoided."""
    rows = _assigned(review_round, member.group_id, declaration_id)
    if not rows:
        abort(404)
    if declaration_id in _avoided(review_round, expert, rows):
        error = _forbidden()
        raise error
    return db.session.get(Declaration, declaration_id)


def _forbidden():
    from werkzeug.exceptions import Forbidden

    error = Forbidden()
    error.zh_message = AVOIDED_MESSAGE
    return error


def sheet_of(review_round, expert, declaration):
    """The expert's sheet of the declaration, or None."""
    return db.session.execute(db.select(ScoreSheet).where(
        ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id,
        ScoreSheet.declaration_id == declaration.id)).scalar()


def rubric_items(review_round, declaration):
    """The rubric items the declaration is scored with."""
    return review_round.rubric_for(declaration.topic_type).items


def parse_points(item, raw):
    """得分 of an item in hundredths, None when empty; ReviewError naming the item when refused (never
    clamped)."""
    text = (raw or "").strip()
    if not text:
        return None
    limit = points_text(item.max_points_c)
    if not NUMBER.match(text):
        raise ReviewError(f"{item.name}的得分应为数字。")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ReviewError(f"{item.name}的得分应为数字。") from None
    if value < 0 or value * 100 > item.max_points_c:
        raise ReviewError(f"{item.name}的分值应在0至{limit}之间。")
    if value != value.quantize(Decimal("0.01")):
        raise ReviewError(f"{item.name}的得分最多保留两位小数。")
    return int(value * 100)


def _lock(sheet_ids):
    """Take the write lock of the sheets before reading them: an UPDATE is the first statement, so on SQLite
    the transaction starts holding the database's write lock and on PostgreSQL the rows are locked; what is
    read next includes everything the other session committed."""
    db.session.execute(db.update(ScoreSheet).where(ScoreSheet.id.in_(sheet_ids))
                       .values(version=ScoreSheet.version + 1).execution_options(synchronize_session=False))


def _lock_or_create(review_round, expert, declaration):
    where = (ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id,
             ScoreSheet.declaration_id == declaration.id)
    sheet_id = db.session.execute(db.select(ScoreSheet.id).where(*where)).scalar()
    if sheet_id is None:
        rubric = review_round.rubric_for(declaration.topic_type)
        try:
            with db.session.begin_nested():
                db.session.add(ScoreSheet(
                    round_id=review_round.id, expert_id=expert.id, declaration_id=declaration.id,
                    rubric_id=rubric.id, status=SHEET_DRAFT, total_c=0, is_complete=False, version=0))
        except IntegrityError:  # the other tab created it first
            pass
        sheet_id = db.session.execute(db.select(ScoreSheet.id).where(*where)).scalar_one()
    _lock([sheet_id])
    sheet = db.session.get(ScoreSheet, sheet_id)
    db.session.refresh(sheet)
    return sheet


def _check_open(review_round):
    if review_round.status() != ROUND_OPEN:
        raise ReviewError(closed_message(review_round))


def save(review_round, expert, declaration, form, actor):
    """保存: write the changed 得分, 总体评价 and 推荐意见等级 (flushes); ScoreErrors when any value is refused.

    `form` holds item_<rubric item id> and orig_<rubric item id>, comment / orig_comment, level / orig_level.
    """
    _check_open(review_round)
    items = rubric_items(review_round, declaration)
    errors, changed = {}, {}
    for item in items:
        key = f"item_{item.id}"
        if key not in form:
            continue
        value = (form.get(key) or "").strip()
        try:
            points = parse_points(item, value)
        except ReviewError as error:
            errors[key] = str(error)
            continue
        if value != (form.get(f"orig_{item.id}") or "").strip():
            changed[item.id] = points
    comment = form.get("comment")
    if comment is not None and len(comment.strip()) > COMMENT_LIMIT:
        errors["comment"] = f"总体评价不能超过{COMMENT_LIMIT}字。"
    elif comment is not None and (problem := control_char_error(comment, "总体评价")):
        errors["comment"] = problem
    level = form.get("level")
    if level and level not in RECOMMEND_LEVELS:
        errors["level"] = "请选择推荐意见等级。"
    if errors:
        raise ScoreErrors(errors)
    sheet = _lock_or_create(review_round, expert, declaration)
    if sheet.status == SHEET_SUBMITTED:
        raise ReviewError(SUBMITTED_MESSAGE)
    stored = {row.rubric_item_id: row for row in db.session.execute(
        db.select(ScoreItem).where(ScoreItem.sheet_id == sheet.id)).scalars()}
    for item_id, points in changed.items():
        row = stored.get(item_id)
        if points is None:
            if row is not None:
                db.session.delete(row)
                del stored[item_id]
        elif row is None:
            stored[item_id] = ScoreItem(sheet_id=sheet.id, rubric_item_id=item_id, points_c=points)
            db.session.add(stored[item_id])
        else:
            row.points_c = points
    if comment is not None and comment.strip() != (form.get("orig_comment") or "").strip():
        sheet.overall_comment = comment.strip()
    if level is not None and level != (form.get("orig_level") or ""):
        sheet.recommend_level = level
    valid_ids = {item.id for item in items}
    sheet.total_c = sum(row.points_c for key, row in stored.items() if key in valid_ids)
    sheet.is_complete = valid_ids <= set(stored)
    sheet.saved_at = utcnow()
    db.session.flush()
    audit.record("score.save", f"保存评分：{declaration.decl_no}（{review_round.year}年度{review_round.stage_label}），"
                 f"总分{points_text(sheet.total_c)}" + ("" if sheet.is_complete else "（未评完）"),
                 target=declaration, detail={"round_id": review_round.id, "total_c": sheet.total_c,
                                             "items": {str(k): v for k, v in changed.items()}}, actor=actor)
    return sheet


def item_values(sheet):
    """{rubric item id: 得分 text} of a sheet."""
    if sheet is None:
        return {}
    rows = db.session.execute(db.select(ScoreItem.rubric_item_id, ScoreItem.points_c).where(
        ScoreItem.sheet_id == sheet.id)).all()
    return {item_id: points_text(points) for item_id, points in rows}


def _locked_sheets(review_round, expert):
    where = (ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id)
    _lock(db.select(ScoreSheet.id).where(*where).scalar_subquery())
    sheets = db.session.execute(db.select(ScoreSheet).where(*where).order_by(ScoreSheet.id)).scalars().all()
    for sheet in sheets:
        db.session.refresh(sheet)
    return sheets


CONFIRMED_MESSAGE = "组长已确认本组评审结果，不能撤回打分提交。"


def lock_statuses(review_round, expert_ids):
    """Take the write lock of the experts' expert_round_status rows before anything is read: submission,
    withdrawal, 申请回避 and 组长确认 of one group are serialised by these rows (an UPDATE first, as `_lock`)."""
    db.session.execute(db.update(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id, ExpertRoundStatus.expert_id.in_(list(expert_ids)))
        .values(updated_at=utcnow()).execution_options(synchronize_session=False))


def _status_row(review_round, expert):
    row = db.session.execute(db.select(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id, ExpertRoundStatus.expert_id == expert.id)).scalar()
    if row is None:
        row = ExpertRoundStatus(round_id=review_round.id, expert_id=expert.id)
        db.session.add(row)
    return row


def has_submitted(status_row):
    """True when an expert_round_status row says 已提交 (a 驳回 after the submission reopens it)."""
    if status_row is None or status_row.submitted_at is None:
        return False
    return status_row.reopened_at is None or status_row.reopened_at <= status_row.submitted_at


def submit(review_round, expert, member, actor):
    """提交最终打分结果 (flushes): refused while an assigned, non-avoided declaration is incomplete; sets
    expert_round_status.submitted_at and recomputes the round means of the declarations the expert scored."""
    _check_open(review_round)
    lock_statuses(review_round, [expert.id])
    sheets = {s.declaration_id: s for s in _locked_sheets(review_round, expert)}
    rows = workspace(review_round, expert, member)
    due = [r for r in rows if r.state != STATE_AVOIDED]
    if any(sheets[r.id].status == SHEET_SUBMITTED for r in due if r.id in sheets):
        raise ReviewError("已提交打分，无需重复提交。")
    missing = [r for r in due if r.id not in sheets or not sheets[r.id].is_complete]
    if missing:
        names = "、".join(f"{r.decl_no} {r.title}" for r in missing)
        raise ReviewError(f"以下成果尚未完成评分，请完成所有成果评分后再提交：{names}")
    if not due:
        raise ReviewError("本轮没有需要您评分的成果。")
    now = utcnow()
    for sheet in sheets.values():
        sheet.status = SHEET_SUBMITTED
        sheet.submitted_at = now
    _status_row(review_round, expert).submitted_at = now
    db.session.flush()
    results.recompute(review_round, sorted(sheets))
    audit.record("score.submit", f"提交最终打分结果：{review_round.year}年度{review_round.kind_label}"
                 f"{review_round.stage_label}，{len(due)}项成果", target=review_round,
                 detail={"expert_id": expert.id, "sheets": len(sheets)}, actor=actor)
    return len(due)


def withdraw(review_round, expert, member, actor):
    """撤回打分提交 (flushes): allowed until the round closes or the 组长 confirms the group; clears
    expert_round_status.submitted_at and recomputes the round means of the declarations withdrawn."""
    if review_round.status() != ROUND_OPEN:
        raise ReviewError("评审已截止，不能撤回打分提交。")
    lock_statuses(review_round, [expert.id])
    if db.session.get(GroupConfirmation, member.group_id) is not None:
        raise ReviewError(CONFIRMED_MESSAGE)
    sheets = _locked_sheets(review_round, expert)
    submitted = [s for s in sheets if s.status == SHEET_SUBMITTED]
    if not submitted:
        raise ReviewError("尚未提交打分，无需撤回。")
    for sheet in submitted:
        sheet.status = SHEET_DRAFT
        sheet.submitted_at = None
    _status_row(review_round, expert).submitted_at = None
    db.session.flush()
    results.recompute(review_round, sorted(s.declaration_id for s in submitted))
    audit.record("score.withdraw", f"撤回打分提交：{review_round.year}年度{review_round.kind_label}"
                 f"{review_round.stage_label}", target=review_round,
                 detail={"expert_id": expert.id, "sheets": len(submitted)}, actor=actor)
