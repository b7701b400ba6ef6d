"""Stored round means (spec B8.1, B8.2): `round_result` per declaration and round, recomputed from the submitted,
non-avoided sheets of its 专业组 on every submission, withdrawal, 驳回 and 回避 change, and by 重新计算.

A recompute reads everything it needs in a fixed number of queries and writes only the rows whose numbers changed.
"""
from collections import defaultdict
from decimal import Decimal

from app.core.clock import utcnow
from app.core.extensions import db
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import avoidance_records
from app.review.aggregation import Sheet, round_mean
from app.review.models import (
    SHEET_SUBMITTED,
    ReviewAssignment,
    ReviewGroupMember,
    RoundResult,
    ScoreSheet,
)


def _cents(value):
    return None if value is None else int(value * 100)


def _detail(mean):
    return [{"expert_id": d.expert_id, "total_c": int(d.total * 100), "avoided": d.is_avoided, "valid": d.is_valid,
             "removed_high": d.is_removed_high, "removed_low": d.is_removed_low} for d in mean.details]


def recompute(review_round, declaration_ids=None):
    """Recompute the round means (flushes); all accepted, assigned declarations of the round, or only those given.

    Returns the number of rows written. Results of declarations no longer assigned are removed.
    """
    assigned = (db.select(ReviewAssignment.declaration_id, ReviewAssignment.group_id)
                .join(Declaration, Declaration.id == ReviewAssignment.declaration_id)
                .where(ReviewAssignment.round_id == review_round.id, Declaration.status == STATUS_ACCEPTED))
    results = db.select(RoundResult).where(RoundResult.round_id == review_round.id)
    sheets = db.select(ScoreSheet.declaration_id, ScoreSheet.expert_id, ScoreSheet.total_c).where(
        ScoreSheet.round_id == review_round.id, ScoreSheet.status == SHEET_SUBMITTED)
    if declaration_ids is not None:
        declaration_ids = list(declaration_ids)
        assigned = assigned.where(ReviewAssignment.declaration_id.in_(declaration_ids))
        results = results.where(RoundResult.declaration_id.in_(declaration_ids))
        sheets = sheets.where(ScoreSheet.declaration_id.in_(declaration_ids))
    groups = dict(db.session.execute(assigned).all())
    members = defaultdict(list)
    for group_id, expert_id in db.session.execute(db.select(ReviewGroupMember.group_id, ReviewGroupMember.expert_id)
                                                  .where(ReviewGroupMember.round_id == review_round.id)):
        members[group_id].append(expert_id)
    totals = defaultdict(dict)
    for declaration_id, expert_id, total_c in db.session.execute(sheets):
        totals[declaration_id][expert_id] = total_c
    avoided = avoidance_records.effective_pairs(review_round)
    existing = {r.declaration_id: r for r in db.session.execute(results).scalars()}
    now, written = utcnow(), 0
    for declaration_id, group_id in groups.items():
        experts = sorted(members.get(group_id, ()))
        mine = totals.get(declaration_id, {})
        mean = round_mean(Sheet(e, Decimal(mine[e]) / 100, True, (declaration_id, e) in avoided) for e in experts if e in mine)
        expected = sum(1 for e in experts if (declaration_id, e) not in avoided)
        values = {"group_id": group_id, "expected_count": expected, "valid_count": mean.valid_count,
                  "used_count": mean.used_count, "mean_c": _cents(mean.mean), "detail": _detail(mean)}
        row = existing.pop(declaration_id, None)
        if row is None:
            db.session.add(RoundResult(round_id=review_round.id, declaration_id=declaration_id, computed_at=now,
                                       **values))
            written += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.computed_at = now
            written += 1
    for row in existing.values():
        db.session.delete(row)
        written += 1
    db.session.flush()
    return written
