"""Stored round means (spec B8.1, B8.2): `round_result` per declaration and round, recomputed from the submitted,
non-avoided sheets of its 专业组 on every submission, withdrawal, 驳回 and 回避 change, and by 重新计算.

A recompute reads everything it needs in a fixed number of queries (5), computes in integer hundredths
(aggregation.trimmed_mean_c: the same numbers as the exact Decimal rule) and writes only the rows whose numbers
changed, with one executemany per kind of write (new rows on SQLite: multi-row INSERTs of 500 rows, about
half the cost of 10,000 single-row statements): a round of 10,000 declarations is well under a second.
The detail is compared and written as JSON text built here, byte for byte what json.dumps gives.
"""
from collections import defaultdict, namedtuple
from operator import itemgetter

from sqlalchemy import JSON, DateTime, Text, bindparam, cast, delete, insert, update

from app.accounts.models import Unit
from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review.avoided import pairs_within
from app.review.aggregation import trimmed_mean_c
from app.review.models import (
    SHEET_SUBMITTED,
    AwardPlan,
    Expert,
    ReviewAssignment,
    ReviewGroupMember,
    RoundResult,
    ScoreSheet,
)
from app.review.rounds import ReviewError

# One detail entry as json.dumps writes it (keys in this order): a valid total, and an avoided one.
_VALID = ('{"expert_id": %d, "total_c": %d, "avoided": false, "valid": true, "removed_high": %s, '
          '"removed_low": %s}')
_AVOIDED = ('{"expert_id": %d, "total_c": %d, "avoided": true, "valid": false, "removed_high": false, '
            '"removed_low": false}')
_BOOL = ("false", "true")
_NONE = frozenset()
_TABLE = RoundResult.__table__


_KEYS = ("p_group_id", "p_expected", "p_valid", "p_used", "p_mean_c", "p_detail")
# A new row's parameters as a plain tuple in this order (no dict per row).
_INSERT_KEYS = (*_KEYS, "p_declaration_id", "p_round_id", "p_blank", "p_now")
_ROWS_PER_INSERT = 500  # 5,500 parameters: within SQLite's limit of 32,766 (3.32 and later)


def _values():
    # The detail is bound as ready JSON text: cast to JSON on PostgreSQL (its driver binds text as varchar),
    # plain text on SQLite (a JSON column is text there; CAST(… AS JSON) would mean NUMERIC).
    detail = bindparam("p_detail", type_=Text)
    if db.session.get_bind().dialect.name == "postgresql":
        detail = cast(detail, JSON)
    return {"group_id": bindparam("p_group_id"), "expected_count": bindparam("p_expected"),
            "valid_count": bindparam("p_valid"), "used_count": bindparam("p_used"),
            "mean_c": bindparam("p_mean_c"), "detail": detail}


_Assigned = namedtuple("_Assigned", "id group_id unit_id enterprise_name unit_name")


def _fetch(statement):
    """Every row of a Core select as the driver's plain tuples: for the 70,000 sheets of a round, SQLAlchemy's
    Row objects alone would cost about twice the floor's whole read."""
    result = db.session.execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _read(review_round, declaration_ids):
    # Core columns (the tables' .c), not ORM attributes: 70,000 sheet rows skip the ORM's row processing.
    assignment, declaration, unit = ReviewAssignment.__table__.c, Declaration.__table__.c, Unit.__table__.c
    result, sheet = _TABLE.c, ScoreSheet.__table__.c
    member, expert = ReviewGroupMember.__table__.c, Expert.__table__.c
    assigned = (db.select(declaration.id, assignment.group_id, declaration.unit_id, declaration.enterprise_name,
                          unit.name.label("unit_name"))
                .join_from(ReviewAssignment.__table__, Declaration.__table__,
                           declaration.id == assignment.declaration_id)
                .join(Unit.__table__, unit.id == declaration.unit_id)
                .where(assignment.round_id == review_round.id, declaration.status == STATUS_ACCEPTED))
    results = db.select(result.id, result.declaration_id, result.group_id, result.expected_count,
                        result.valid_count, result.used_count, result.mean_c, cast(result.detail, Text)).where(
        result.round_id == review_round.id)
    sheets = db.select(sheet.declaration_id, sheet.expert_id, sheet.total_c).where(
        sheet.round_id == review_round.id, sheet.status == SHEET_SUBMITTED)
    if declaration_ids is not None:
        assigned = assigned.where(assignment.declaration_id.in_(declaration_ids))
        results = results.where(result.declaration_id.in_(declaration_ids))
        sheets = sheets.where(sheet.declaration_id.in_(declaration_ids))
    declarations = list(map(_Assigned._make, _fetch(assigned)))
    members, experts = defaultdict(list), []
    for group_id, expert_id, company, unit_id in db.session.execute(
            db.select(member.group_id, member.expert_id, expert.company, expert.recommended_by_unit_id)
            .join_from(ReviewGroupMember.__table__, Expert.__table__, expert.id == member.expert_id)
            .where(member.round_id == review_round.id).order_by(member.expert_id)):
        members[group_id].append(expert_id)
        experts.append((expert_id, company, unit_id, ""))
    totals = defaultdict(dict)
    for declaration_id, expert_id, total_c in _fetch(sheets):
        totals[declaration_id][expert_id] = total_c
    within = {d.id: members.get(d.group_id, ()) for d in declarations}
    pairs = pairs_within(review_round, declarations, experts, within)
    existing = {row[1]: row for row in _fetch(results)}
    return declarations, members, totals, pairs, existing


def compute(experts, totals, avoided_experts=_NONE):
    """One declaration's (expected_count, valid_count, used_count, mean_c, detail JSON text) from its group's
    experts (ids, ascending), its submitted totals {expert id: total_c} and the experts who avoid it."""
    scored = [e for e in experts if e in totals]
    if avoided_experts:
        valid_experts = [e for e in scored if e not in avoided_experts]
        expected = sum(1 for e in experts if e not in avoided_experts)
    else:
        valid_experts, expected = scored, len(experts)
    valid = [totals[e] for e in valid_experts]
    mean_c, used, high, low = trimmed_mean_c(valid)
    high = valid_experts[high] if high is not None else None
    low = valid_experts[low] if low is not None else None
    text = "[" + ", ".join([_AVOIDED % (e, totals[e]) if e in avoided_experts
                            else _VALID % (e, totals[e], _BOOL[e == high], _BOOL[e == low]) for e in scored]) + "]"
    return expected, len(valid), used, mean_c, text


def _compiled(connection, statement, now):
    """(SQL, positional parameter names or None, `now` as the driver takes it) of a statement compiled once."""
    compiled = statement.compile(dialect=connection.dialect)
    processor = compiled.binds["p_now"].type._cached_bind_processor(connection.dialect)
    names = list(compiled.positiontup) if compiled.positional else None
    return compiled.string, names, processor(now) if processor else now


def _executemany(connection, sql, names, rows):
    """One executemany on the driver's cursor: SQLAlchemy would build and convert every row's parameters in
    Python again, though they are plain ints and text here (and `now` converted once)."""
    if not rows:
        return
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, list(map(itemgetter(*names), rows)) if names else rows)
    finally:
        cursor.close()


def _insert_many(connection, sql, names, rows):
    """The new rows (tuples in _INSERT_KEYS order): with positional parameters (SQLite) multi-row INSERTs of
    _ROWS_PER_INSERT rows on the driver's cursor, else (named parameters: PostgreSQL) one executemany."""
    if not rows:
        return
    if names is None:
        _executemany(connection, sql, None, [dict(zip(_INSERT_KEYS, row)) for row in rows])
        return
    per_insert = _ROWS_PER_INSERT
    dbapi = connection.dialect.dbapi
    if connection.dialect.name == "sqlite" and getattr(dbapi, "sqlite_version_info", (3, 32)) < (3, 32):
        per_insert = 999 // len(names)  # the older limit of 999 parameters
    getter = itemgetter(*[_INSERT_KEYS.index(name) for name in names])
    head, _values_keyword, group = sql.rpartition(" VALUES ")
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(rows), per_insert):
            chunk = rows[start:start + per_insert]
            cursor.execute(f"{head} VALUES {', '.join([group] * len(chunk))}",
                           [value for row in chunk for value in getter(row)])
    finally:
        cursor.close()


def recompute(review_round, declaration_ids=None):
    """Recompute the round means (flushes); all accepted, assigned declarations of the round, or only those given.

    Returns the number of rows written (inserted, changed or removed). Results of declarations no longer assigned
    (or no longer accepted) are removed; the 组长's 建议等级 and 专家组意见 of a kept row are never touched.
    """
    db.session.flush()
    if declaration_ids is not None:
        declaration_ids = list(declaration_ids)
        if not declaration_ids:
            return 0
    declarations, members, totals, avoided, existing = _read(review_round, declaration_ids)
    connection = db.session.connection()
    insert_sql, insert_names, now = _compiled(connection, insert(_TABLE).values(
        round_id=bindparam("p_round_id"), declaration_id=bindparam("p_declaration_id"),
        suggested_level=bindparam("p_blank"), group_opinion=bindparam("p_blank"),
        computed_at=bindparam("p_now", type_=DateTime), **_values()), utcnow())
    update_sql, update_names, _now = _compiled(connection, update(_TABLE).where(
        _TABLE.c.id == bindparam("p_result_id")).values(
        computed_at=bindparam("p_now", type_=DateTime), **_values()), utcnow())
    round_id = review_round.id
    fixed = {"p_round_id": round_id, "p_blank": "", "p_now": now}
    inserts, updates, no_sheets = [], [], {}
    avoided_by = defaultdict(set)
    for declaration_id, expert_id in avoided:
        avoided_by[declaration_id].add(expert_id)
    for d in declarations:
        values = (d.group_id, *compute(members.get(d.group_id, ()), totals.get(d.id, no_sheets),
                                       avoided_by.get(d.id, _NONE)))
        row = existing.pop(d.id, None)
        if row is None:
            inserts.append((*values, d.id, round_id, "", now))
        elif tuple(row[2:]) != values:
            updates.append(dict(zip(_KEYS, values), p_result_id=row[0], **fixed))
    _insert_many(connection, insert_sql, insert_names, inserts)
    _executemany(connection, update_sql, update_names, updates)
    if existing:
        db.session.execute(delete(_TABLE).where(_TABLE.c.id.in_([row[0] for row in existing.values()])))
    if inserts or updates or existing:
        for obj in list(db.session.identity_map.values()):  # loaded rows would show the old numbers
            if isinstance(obj, RoundResult):
                db.session.expire(obj)
    return len(inserts) + len(updates) + len(existing)


def recompute_round(review_round, actor):
    """重新计算 by the secretariat (flushes, audited): every mean of the round; refused once 定级 is locked (B8.1
    step 6: frozen at 定级锁定). Returns the number of rows written."""
    locked = review_round.is_locked or db.session.scalar(db.select(AwardPlan.locked_at).where(
        AwardPlan.year == review_round.year, AwardPlan.kind == review_round.kind)) is not None
    if locked:
        raise ReviewError("定级已锁定，不能重新计算。")
    written = recompute(review_round)
    audit.record("round_result.recompute", f"重新计算：{review_round.year}年度{review_round.kind_label}"
                 f"{review_round.stage_label}，{written}项成果的结果有变化", target=review_round,
                 detail={"written": written}, actor=actor)
    return written
