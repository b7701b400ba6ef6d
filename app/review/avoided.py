"""Which (declaration, expert) pairs of a round are avoided (spec B5), from the 回避 records and the automatic
rules: shared by 回避管理 (avoidance_records), the stored means (results) and the 评分矩阵, below all three.

A pair is avoided by an active manual or self record, or by an automatic rule that holds now unless the
secretariat cancelled that automatic record by hand (a record 重新检查回避 cancelled does not count).
"""
from app.core.extensions import db
from app.review.avoidance import block_conflicts, normalize_company
from app.review.models import AVOID_AUTO_NAME, AVOID_AUTO_UNIT, Avoidance

AUTO_SOURCES = (AVOID_AUTO_UNIT, AVOID_AUTO_NAME)
RECHECK_CANCEL = "重新检查回避：自动回避条件已不成立"
WITHIN_BY_ID = 500  # up to this many declarations, only their records are read


def records(review_round, declaration_ids=None, expert_ids=None):
    """The round's 回避 records as rows (declaration_id, expert_id, source, cancelled_at, cancel_reason) by id
    (one query; Core columns, not entities: a round may hold thousands)."""
    record = Avoidance.__table__.c
    select = (db.select(record.declaration_id, record.expert_id, record.source, record.cancelled_at,
                        record.cancel_reason).where(record.round_id == review_round.id).order_by(record.id))
    if declaration_ids is not None:
        select = select.where(record.declaration_id.in_(list(declaration_ids)))
    if expert_ids is not None:
        select = select.where(record.expert_id.in_(list(expert_ids)))
    return db.session.execute(select).all()


def manually_cancelled(row):
    """True for a record the secretariat cancelled (取消回避), not 重新检查回避."""
    return row.cancelled_at is not None and row.cancel_reason != RECHECK_CANCEL


def combine(rows, wanted):
    """The avoided pairs from the records and the automatic (declaration id, expert id, source) keys wanted."""
    pairs = {(r.declaration_id, r.expert_id) for r in rows if r.cancelled_at is None and r.source not in AUTO_SOURCES}
    latest = {}
    for row in rows:
        if row.source in AUTO_SOURCES:
            latest[(row.declaration_id, row.expert_id, row.source)] = row  # ordered by id: the last one wins
    pairs |= {key[:2] for key in wanted if not (key in latest and manually_cancelled(latest[key]))}
    return pairs


def wanted_within(declarations, experts, within):
    """The automatic (declaration id, expert id, source) keys among the pairs of `within` ({declaration id: expert
    ids}); the declarations are taken in blocks that share their experts (a 专业组's), each matched at once.

    declarations have id, unit_id, enterprise_name, unit_name; experts are (id, company, recommending unit, name).
    """
    by_id = {expert_id: (normalize_company(company), unit_id) for expert_id, company, unit_id, _name in experts}
    blocks = {}
    for d in declarations:
        mine = within.get(d.id)
        if mine:
            blocks.setdefault(tuple(mine), []).append(
                (d.id, d.unit_id, normalize_company(d.enterprise_name), normalize_company(d.unit_name)))
    keys = []
    for expert_ids, rows in blocks.items():
        keys += block_conflicts([(e, *by_id[e]) for e in expert_ids if e in by_id], rows)
    return keys


def pairs_within(review_round, declarations, experts, within):
    """The avoided pairs among those of `within` (a 专业组's members for each declaration), in one query."""
    rows = records(review_round, within if len(within) <= WITHIN_BY_ID else None)
    return combine(rows, wanted_within(declarations, experts, within))
