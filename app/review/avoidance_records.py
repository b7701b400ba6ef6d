"""回避 records of a round (spec B5, C-S8): the automatic ones kept in step with the rules (重新检查回避), manual ones
set and cancelled by the secretariat with a reason, and the 回避管理 list.

An automatic record the secretariat cancelled by hand stays cancelled: 重新检查回避 does not bring it back
(containment over-matches, spec B5); one the re-check itself cancelled comes back when its rule holds again.
"""
from dataclasses import dataclass

from flask import abort
from sqlalchemy import func

from app.accounts.models import Unit
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import avoided, results
from app.review.avoidance import auto_conflicts, name_warning
from app.review.models import (
    AVOID_MANUAL,
    ROUND_CLOSED,
    ROUND_LOCKED,
    Avoidance,
    Expert,
    ReviewGroupMember,
)
from app.review.rounds import ReviewError

AUTO_SOURCES = avoided.AUTO_SOURCES
RECHECK_CANCEL = avoided.RECHECK_CANCEL
REASON_LIMIT = 500
PAGE_SIZE = 50
STATE_LABELS = {"": "全选", "active": "已回避", "cancelled": "未回避"}


@dataclass(frozen=True)
class DeclarationRow:
    """What the rules and the pages need of an accepted declaration."""

    id: int
    decl_no: str
    title: str
    enterprise_name: str
    unit_id: int
    unit_name: str
    topic_type: str | None


def accepted_declarations(review_round):
    """The round's accepted (参评) declarations of its year and kind, by 申报编号 (one query)."""
    rows = db.session.execute(
        db.select(Declaration.id, Declaration.decl_no, Declaration.title, Declaration.enterprise_name,
                  Declaration.unit_id, Unit.name, Declaration.topic_type)
        .join(Unit, Unit.id == Declaration.unit_id)
        .where(Declaration.year == review_round.year, Declaration.kind == review_round.kind,
               Declaration.status == STATUS_ACCEPTED)
        .order_by(Declaration.decl_no, Declaration.id)).all()
    return [DeclarationRow(*row) for row in rows]


def round_experts(review_round):
    """The experts in the round's groups: [(expert id, company, recommending unit id, name)] (one query)."""
    return db.session.execute(
        db.select(Expert.id, Expert.company, Expert.recommended_by_unit_id, Expert.name)
        .join(ReviewGroupMember, ReviewGroupMember.expert_id == Expert.id)
        .where(ReviewGroupMember.round_id == review_round.id).order_by(Expert.id)).all()


def wanted_auto(declarations, experts):
    """{(declaration id, expert id, source): reason} of the automatic 回避 the rules give now."""
    wanted = {}
    for d in declarations:
        for expert_id, company, unit_id, _name in experts:
            for conflict in auto_conflicts(company, unit_id, d.unit_id, d.enterprise_name, d.unit_name):
                wanted[(d.id, expert_id, conflict.source)] = conflict.reason
    return wanted


def _round_records(review_round, sources=None, expert_ids=None):
    select = db.select(Avoidance).where(Avoidance.round_id == review_round.id).order_by(Avoidance.id)
    if sources:
        select = select.where(Avoidance.source.in_(sources))
    if expert_ids is not None:
        select = select.where(Avoidance.expert_id.in_(expert_ids))
    return db.session.execute(select).scalars().all()


def _latest_auto(review_round):
    latest = {}
    for row in _round_records(review_round, AUTO_SOURCES):
        latest[(row.declaration_id, row.expert_id, row.source)] = row  # ordered by id: the last one wins
    return latest


_manually_cancelled = avoided.manually_cancelled


def effective_pairs(review_round, declarations=None, experts=None, within=None, expert_ids=None):
    """The (declaration id, expert id) pairs avoided once 重新检查回避 has run: active manual and self records, plus
    the automatic ones the rules want now less those the secretariat cancelled by hand (changes nothing).

    `within` ({declaration id: expert ids}) limits the automatic rules to those pairs (a 专业组's members, say):
    far fewer pairs to compare than every expert of the round with every declaration. `expert_ids` limits the
    records read to those experts (a page about one expert needs no one else's).
    """
    declarations = accepted_declarations(review_round) if declarations is None else declarations
    experts = round_experts(review_round) if experts is None else experts
    if within is not None:
        return avoided.pairs_within(review_round, declarations, experts, within)
    return avoided.combine(avoided.records(review_round, expert_ids=expert_ids), wanted_auto(declarations, experts))


def effective_pairs_in_groups(review_round, groups, expert_ids):
    """effective_pairs of the given experts where the automatic rules are applied only within each
    (declarations, experts) pair of `groups` — a 专业组's experts against its own declarations (one query).

    The rules run block-wise on normalised names (avoided.wanted_within), as the 评分矩阵 does: not pair by pair.
    """
    declarations, experts, within = [], [], {}
    for group_declarations, group_experts in groups:
        ids = [e[0] for e in group_experts]
        for d in group_declarations:
            within.setdefault(d.id, []).extend(ids)
        declarations += group_declarations
        experts += group_experts
    wanted = avoided.wanted_within(declarations, experts, within)
    return avoided.combine(avoided.records(review_round, expert_ids=expert_ids), wanted)


def name_warnings(review_round, limit=200):
    """Experts of the round named like a 主要完成人 or the 组长 of an accepted declaration (a warning, not a 回避;
    spec B5): [(申报编号, 成果名称, message)], at most `limit` (two queries)."""
    experts = {}
    for _id, _company, _unit, name in round_experts(review_round):
        experts.setdefault("".join((name or "").split()), name)
    rows = db.session.execute(
        db.select(Declaration.decl_no, Declaration.title, Declaration.main_contributors, Declaration.leader)
        .where(Declaration.year == review_round.year, Declaration.kind == review_round.kind,
               Declaration.status == STATUS_ACCEPTED).order_by(Declaration.decl_no)).all()
    found = []
    for decl_no, title, people, leader in rows:
        for person in {"".join((p or "").split()) for p in [*(people or ()), leader]} & experts.keys():
            found.append((decl_no, title, name_warning(experts[person], people, leader)))
            if len(found) >= limit:
                return found
    return found


def recheck(review_round, actor):
    """重新检查回避: add the automatic records the rules want, cancel those they no longer want (flushes).

    Manual and self records are never touched; running it twice changes nothing the second time.
    Returns (added, cancelled).
    """
    wanted = wanted_auto(accepted_declarations(review_round), round_experts(review_round))
    latest = _latest_auto(review_round)
    now, added, cancelled = utcnow(), 0, 0
    for key, reason in wanted.items():
        row = latest.get(key)
        if row is not None and (row.is_active or _manually_cancelled(row)):
            continue
        db.session.add(Avoidance(declaration_id=key[0], expert_id=key[1], source=key[2],
                                 reason=reason[:REASON_LIMIT],
                                 year=review_round.year, round_id=review_round.id,
                                 created_by_id=actor.id if actor else None))
        added += 1
    for key, row in latest.items():
        if row.is_active and key not in wanted:
            row.cancelled_at, row.cancel_reason = now, RECHECK_CANCEL
            row.cancelled_by_id = actor.id if actor else None
            cancelled += 1
    db.session.flush()
    audit.record("avoidance.recheck", f"重新检查回避：{_round_name(review_round)}，新增{added}条，取消{cancelled}条",
                 target=review_round, detail={"added": added, "cancelled": cancelled}, actor=actor)
    results.recompute(review_round)
    return added, cancelled


def _round_name(review_round):
    return f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label}"


def _clean_reason(reason, label):
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(f"请填写{label}。")
    if len(reason) > REASON_LIMIT:
        raise ReviewError(f"{label}不能超过{REASON_LIMIT}字。")
    if problem := control_char_error(reason, label):
        raise ReviewError(problem)
    return reason


def _open_or_refuse(review_round):
    if review_round.status() in (ROUND_CLOSED, ROUND_LOCKED):
        raise ReviewError("评审已截止，不能再更改回避。")


def add_manual(review_round, decl_no, expert_id, reason, actor):
    """设为回避 by the secretariat (flushes): a round's expert × an accepted declaration, reason required."""
    _open_or_refuse(review_round)
    decl_no = (decl_no or "").strip()
    declaration = db.session.execute(db.select(Declaration).where(
        Declaration.decl_no == decl_no, Declaration.year == review_round.year,
        Declaration.kind == review_round.kind,
        Declaration.status == STATUS_ACCEPTED)).scalar() if decl_no else None
    if declaration is None:
        raise ReviewError("请填写本轮参评成果的申报编号。" if not decl_no else f"申报编号{decl_no}不是本轮参评的成果。")
    expert = db.session.get(Expert, expert_id) if expert_id else None
    in_round = expert is not None and db.session.execute(db.select(ReviewGroupMember.id).where(
        ReviewGroupMember.round_id == review_round.id, ReviewGroupMember.expert_id == expert.id)).first()
    if not in_round:
        raise ReviewError("请选择本轮专业组中的评委。")
    reason = _clean_reason(reason, "回避原因")
    if db.session.execute(db.select(Avoidance.id).where(
            Avoidance.round_id == review_round.id, Avoidance.declaration_id == declaration.id,
            Avoidance.expert_id == expert.id, Avoidance.source == AVOID_MANUAL,
            Avoidance.cancelled_at.is_(None))).first():
        raise ReviewError(f"评委{expert.name}已手动回避成果{decl_no}。")
    row = Avoidance(declaration_id=declaration.id, expert_id=expert.id, year=review_round.year,
                    round_id=review_round.id, source=AVOID_MANUAL, reason=reason, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("avoidance.manual", f"设为回避：评委{expert.name}回避成果{decl_no}（{reason}）", target=row,
                 detail={"round_id": review_round.id, "declaration_id": declaration.id,
                         "expert_id": expert.id},
                 actor=actor)
    results.recompute(review_round, [declaration.id])
    return row


def get_record_or_404(review_round, avoidance_id):
    """A 回避 record of the round, or 404."""
    row = db.session.get(Avoidance, avoidance_id)
    if row is None or row.round_id != review_round.id:
        abort(404)
    return row


def cancel(review_round, row, reason, actor):
    """取消回避 with a reason (flushes); the row stays for the history."""
    _open_or_refuse(review_round)
    if not row.is_active:
        raise ReviewError("该回避已取消。")
    reason = _clean_reason(reason, "取消原因")
    row.cancelled_at, row.cancelled_by_id, row.cancel_reason = utcnow(), actor.id, reason
    db.session.flush()
    audit.record("avoidance.cancel", f"取消回避：评委{row.expert.name}、成果{row.declaration.decl_no}（{reason}）",
                 target=row, detail={"round_id": review_round.id, "source": row.source}, actor=actor)
    results.recompute(review_round, [row.declaration_id])


def records(review_round, filters, page=1):
    """回避管理: the round's records with declaration, unit and expert, filtered: (rows, total) (two queries).

    filters: title, decl_no, unit, enterprise, state ("", active, cancelled), source.
    """
    select = (db.select(Avoidance, Declaration.decl_no, Declaration.title, Declaration.enterprise_name,
                        Unit.name, Expert.name, Expert.company)
              .join(Declaration, Declaration.id == Avoidance.declaration_id)
              .join(Unit, Unit.id == Declaration.unit_id)
              .join(Expert, Expert.id == Avoidance.expert_id)
              .where(Avoidance.round_id == review_round.id))
    for key, column in (("title", Declaration.title), ("decl_no", Declaration.decl_no), ("unit", Unit.name),
                        ("enterprise", Declaration.enterprise_name), ("expert", Expert.name)):
        if filters.get(key):
            select = select.where(column.contains(filters[key], autoescape=True))
    if filters.get("state") == "active":
        select = select.where(Avoidance.cancelled_at.is_(None))
    elif filters.get("state") == "cancelled":
        select = select.where(Avoidance.cancelled_at.is_not(None))
    if filters.get("source") == "auto":
        select = select.where(Avoidance.source.in_(AUTO_SOURCES))
    elif filters.get("source"):
        select = select.where(Avoidance.source == filters["source"])
    total = db.session.scalar(db.select(func.count()).select_from(select.subquery()))
    rows = db.session.execute(select.order_by(Declaration.decl_no, Avoidance.id)
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return rows, total


def parse_filters(args):
    """The 回避管理 filters from the query string, trimmed and bounded."""
    keys = ("title", "decl_no", "unit", "enterprise", "expert")
    values = {k: (args.get(k) or "").strip()[:100] for k in keys}
    state = args.get("state") or ""
    values["state"] = state if state in STATE_LABELS else ""
    source = args.get("source") or ""
    values["source"] = source if source in ("", "auto", AVOID_MANUAL, "self") else ""
    return values

