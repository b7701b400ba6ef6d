"""评审进度 (spec C-S9, B7 rule 8, B15): each expert of a round with 应评 / 已评 / 回避 counts and the
submission; the secretariat's read-only view of one expert's sheets, and 驳回 — reopening one expert's
submission with a reason and a mail. The secretariat never changes a score: 驳回 only sets the sheets back to
draft so the expert changes them.

Every read runs a fixed number of queries, whatever the number of experts and declarations.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import exists, func, or_

from app.accounts.models import Unit
from app.accounts.registration import MAIL_PREFIX, mail_signature
from app.core import audit, outbox
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.pagination import Page, like_pattern, page_number
from app.core.template_helpers import china_time
from app.core.validators import control_char_error
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import avoidance_records, results, scoring
from app.review.models import (
    ROUND_CLOSED,
    ROUND_LOCKED,
    ROUND_OPEN,
    SHEET_DRAFT,
    SHEET_SUBMITTED,
    Expert,
    ExpertRoundStatus,
    GroupConfirmation,
    ReviewAssignment,
    ReviewGroup,
    ReviewGroupMember,
    ScoreItem,
    ScoreSheet,
)
from app.review.rounds import ReviewError

PAGE_SIZE = 50
REASON_LIMIT = 500
STATE_LABELS = {"": "全部", "pending": "未提交", "submitted": "已提交"}
CLOSED_MESSAGE = "评审已截止，驳回后专家也无法修改，请先延长截止时间。"
LOCKED_MESSAGE = "评审已锁定，不能驳回。"
NOT_SUBMITTED_MESSAGE = "该专家尚未提交打分，无需驳回。"
REJECTED_FLASH = "驳回成功，该专家可重新修改并提交打分。"


def round_name(review_round):
    """2026年度小组成果资料评审（初评）."""
    return f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label}"


@dataclass
class ExpertProgress:
    """A line of 评审进度."""

    expert_id: int
    name: str
    company: str
    group_name: str
    is_leader: bool
    due: int = 0  # 应评: assigned, non-avoided
    done: int = 0  # 已评: complete sheets among them
    avoided: int = 0  # 回避数
    submitted_at: datetime | None = None
    reopened_at: datetime | None = None
    reopen_reason: str = ""

    @property
    def is_submitted(self):
        """True once the expert submitted (and was not reopened since)."""
        return self.submitted_at is not None

    @property
    def state_label(self):
        """未提交 / 已提交."""
        return STATE_LABELS["submitted" if self.is_submitted else "pending"]


def parse_filters(args):
    """专业组, 提交状态 and 专家名称 of the list, as typed (bounded)."""
    state = args.get("state") or ""
    return {"group": (args.get("group") or "")[:12], "state": state if state in STATE_LABELS else "",
            "q": (args.get("q") or "").strip()[:50]}


def round_groups(review_round):
    """[(group id, name)] of the round, by name (one query)."""
    return db.session.execute(db.select(ReviewGroup.id, ReviewGroup.name).where(
        ReviewGroup.round_id == review_round.id).order_by(ReviewGroup.name, ReviewGroup.id)).all()


def _submitted_exists(review_round):
    return exists().where(ScoreSheet.round_id == review_round.id,
                          ScoreSheet.expert_id == ReviewGroupMember.expert_id,
                          ScoreSheet.status == SHEET_SUBMITTED)


def _members(review_round, filters):
    select = (db.select(ReviewGroupMember.expert_id, Expert.name, Expert.company,
                        Expert.recommended_by_unit_id, ReviewGroup.id, ReviewGroup.name,
                        ReviewGroupMember.is_leader)
              .join(Expert, Expert.id == ReviewGroupMember.expert_id)
              .join(ReviewGroup, ReviewGroup.id == ReviewGroupMember.group_id)
              .where(ReviewGroupMember.round_id == review_round.id))
    if filters.get("group", "").isdigit():
        select = select.where(ReviewGroupMember.group_id == int(filters["group"]))
    if filters.get("state") == "submitted":
        select = select.where(_submitted_exists(review_round))
    elif filters.get("state") == "pending":
        select = select.where(~_submitted_exists(review_round))
    if filters.get("q"):
        pattern = like_pattern(filters["q"])
        select = select.where(or_(Expert.name.like(pattern, escape="\\"),
                                  Expert.company.like(pattern, escape="\\")))
    return select


def _assigned(review_round, group_ids):
    """{group id: [row]} of the accepted declarations assigned to these groups; the rows have DeclarationRow's
    fields and are used as they come (one query)."""
    rows = db.session.execute(
        db.select(Declaration.id, Declaration.decl_no, Declaration.title, Declaration.enterprise_name,
                  Declaration.unit_id, Unit.name.label("unit_name"), Declaration.topic_type,
                  ReviewAssignment.group_id)
        .join(ReviewAssignment, ReviewAssignment.declaration_id == Declaration.id)
        .join(Unit, Unit.id == Declaration.unit_id)
        .where(ReviewAssignment.round_id == review_round.id, ReviewAssignment.group_id.in_(group_ids),
               Declaration.status == STATUS_ACCEPTED)).all()
    by_group = defaultdict(list)
    for row in rows:
        by_group[row[7]].append(row)
    return by_group


def expert_progress(review_round, filters, page=1):
    """One page of 评审进度: (Page of ExpertProgress, counts {"experts", "submitted"} of the whole round)."""
    members = _members(review_round, filters)
    total = db.session.scalar(db.select(func.count()).select_from(members.subquery()))
    page = page_number(page, total, PAGE_SIZE)
    order = (ReviewGroup.name, ReviewGroup.id, ReviewGroupMember.is_leader.desc(), Expert.name, Expert.id)
    rows = db.session.execute(members.order_by(*order)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    lines = [ExpertProgress(r[0], r[1], r[2], r[5], r[6]) for r in rows]
    if rows:
        _fill_counts(review_round, rows, lines)
    return Page(lines, page, PAGE_SIZE, total)


def _fill_counts(review_round, rows, lines):
    expert_ids = [r[0] for r in rows]
    group_of = {r[0]: r[4] for r in rows}
    assigned = _assigned(review_round, set(group_of.values()))
    experts = defaultdict(list)
    for r in rows:
        experts[r[4]].append((r[0], r[2], r[3], r[1]))  # as round_experts has them
    avoided = avoidance_records.effective_pairs_in_groups(
        review_round, [(assigned.get(g, []), mine) for g, mine in experts.items()], expert_ids)
    sheets = db.session.execute(
        db.select(ScoreSheet.expert_id, ScoreSheet.declaration_id, ScoreSheet.is_complete, ScoreSheet.status,
                  ScoreSheet.submitted_at)
        .where(ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id.in_(expert_ids))).all()
    complete, submitted = defaultdict(set), {}
    for expert_id, declaration_id, is_complete, status, submitted_at in sheets:
        if is_complete:
            complete[expert_id].add(declaration_id)
        if status == SHEET_SUBMITTED:
            at = submitted_at or utcnow()
            submitted[expert_id] = max(at, submitted.get(expert_id, at))
    statuses = {s.expert_id: s for s in db.session.execute(db.select(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id,
        ExpertRoundStatus.expert_id.in_(expert_ids))).scalars()}
    ids = {group_id: [d.id for d in rows] for group_id, rows in assigned.items()}  # once per 专业组
    for line in lines:
        mine = ids.get(group_of[line.expert_id], ())
        due = [d for d in mine if (d, line.expert_id) not in avoided]
        line.avoided = len(mine) - len(due)
        line.due = len(due)
        line.done = len(complete[line.expert_id].intersection(due))
        line.submitted_at = submitted.get(line.expert_id)
        status = statuses.get(line.expert_id)
        if status is not None and status.reopened_at is not None:
            line.reopened_at, line.reopen_reason = status.reopened_at, status.reopen_reason


def membership_or_404(review_round, expert_id):
    """(expert, membership) of an expert in one of the round's groups, or 404."""
    row = db.session.execute(
        db.select(Expert, ReviewGroupMember).join(ReviewGroupMember, ReviewGroupMember.expert_id == Expert.id)
        .where(ReviewGroupMember.round_id == review_round.id, Expert.id == expert_id)).first()
    if row is None:
        abort(404)
    return row[0], row[1]


@dataclass
class SheetView:
    """One declaration of an expert's 打分 as the secretariat reads it: the row of the expert's list and the
    rubric items with their 得分."""

    row: scoring.Row
    items: list  # [(RubricItem, 得分 in hundredths or None)]

    @property
    def total_text(self):
        return self.row.total_text


def expert_sheets(review_round, expert, member):
    """The expert's declarations in the round in 组内 order, each with its items (fixed number of queries)."""
    rows = scoring.workspace(review_round, expert, member)
    sheet_ids = [r.sheet.id for r in rows if r.sheet is not None]
    points = defaultdict(dict)
    if sheet_ids:
        for sheet_id, item_id, value in db.session.execute(
                db.select(ScoreItem.sheet_id, ScoreItem.rubric_item_id, ScoreItem.points_c)
                .where(ScoreItem.sheet_id.in_(sheet_ids))):
            points[sheet_id][item_id] = value
    views = []
    for row in rows:
        items = review_round.rubric_for(row.topic_type).items
        mine = points.get(row.sheet.id, {}) if row.sheet is not None else {}
        views.append(SheetView(row, [(item, mine.get(item.id)) for item in items]))
    return views


def clean_reason(reason):
    """The 驳回原因 as stored; ReviewError with the message beside the field when refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("请填写驳回原因。")
    if len(reason) > REASON_LIMIT:
        raise ReviewError(f"驳回原因不能超过{REASON_LIMIT}字。")
    if problem := control_char_error(reason, "驳回原因"):
        raise ReviewError(problem)
    return reason


def check_rejectable(review_round):
    """ReviewError unless the round is open: after the deadline the expert could not change anything (B7
    rule 4)."""
    status = review_round.status()
    if status == ROUND_LOCKED:
        raise ReviewError(LOCKED_MESSAGE)
    if status == ROUND_CLOSED:
        raise ReviewError(CLOSED_MESSAGE)
    if status != ROUND_OPEN:
        raise ReviewError("评审尚未开始，不能驳回。")


def reject(review_round, expert, member, reason, actor):
    """驳回 (flushes): the expert's sheets in the round back to draft, the 驳回 kept on expert_round_status, the
    group's 组长确认 removed, the round means recomputed, a mail queued, audited. Returns the mail or None."""
    reason = clean_reason(reason)
    check_rejectable(review_round)
    where = (ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id)
    # The UPDATE first takes the write lock (SQLite) or the row locks (PostgreSQL), as the expert's own
    # save, submit and withdraw do, so a concurrent 撤回 or 提交 is seen before deciding.
    db.session.execute(db.update(ScoreSheet).where(*where).values(version=ScoreSheet.version + 1)
                       .execution_options(synchronize_session=False))
    sheets = db.session.execute(db.select(ScoreSheet).where(*where).order_by(ScoreSheet.id)).scalars().all()
    for sheet in sheets:
        db.session.refresh(sheet)
    submitted = [s for s in sheets if s.status == SHEET_SUBMITTED]
    if not submitted:
        raise ReviewError(NOT_SUBMITTED_MESSAGE)
    now = utcnow()
    for sheet in submitted:
        sheet.status = SHEET_DRAFT
        sheet.submitted_at = None
    status = db.session.execute(db.select(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id, ExpertRoundStatus.expert_id == expert.id)).scalar()
    if status is None:
        status = ExpertRoundStatus(round_id=review_round.id, expert_id=expert.id)
        db.session.add(status)
    status.submitted_at = None
    status.reopened_at = now
    status.reopened_by_id = getattr(actor, "id", None)
    status.reopen_reason = reason
    confirmation = db.session.get(GroupConfirmation, member.group_id)
    if confirmation is not None:
        db.session.delete(confirmation)
    db.session.flush()
    results.recompute(review_round, [s.declaration_id for s in sheets])
    mail = _queue_mail(review_round, expert, reason) if expert.email else None
    audit.record("score.reject", f"驳回打分：{expert.name}（{round_name(review_round)}），原因：{reason}",
                 target=review_round,
                 detail={"expert_id": expert.id, "reason": reason, "sheets": len(submitted),
                         "group_confirmation_removed": confirmation is not None},
                 actor=actor)
    return mail


def _queue_mail(review_round, expert, reason):
    fmt = "%Y-%m-%d %H:%M"
    body = (f"{expert.name}：\n\n"
            f"秘书处驳回了您在{round_name(review_round)}中提交的最终打分结果。\n\n"
            f"驳回原因：{reason}\n\n"
            "您的评分已恢复为可修改状态，请登录系统，在“成果评审”中修改评分后重新点击“提交最终打分结果”。\n"
            f"评审时间：{china_time(review_round.starts_at, fmt)}至{china_time(review_round.ends_at, fmt)}\n"
            f"系统网址：{outbox.base_url()}\n"
            + mail_signature())
    return outbox.queue_mail(expert.email, f"{MAIL_PREFIX}打分被驳回：{round_name(review_round)}", body)


def submitted_at(review_round, expert):
    """When the expert submitted in the round (the latest sheet's time), or None while not submitted."""
    return db.session.scalar(db.select(func.max(ScoreSheet.submitted_at)).where(
        ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id,
        ScoreSheet.status == SHEET_SUBMITTED))
