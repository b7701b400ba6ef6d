"""Number allocation: 注册编号 QC-2027-000123 / BZ-2027-000045 (and, for the declarations area, 申报编号
QCSB-2027-0001 / BZSB-2027-0001 through `reserve_numbers`), unique and never reused.

The counter row is bumped with one `UPDATE ... RETURNING` statement, which takes the row lock on
PostgreSQL (concurrent transactions queue behind it until commit) and the database write lock on
SQLite; a rolled-back transaction gives its numbers back only together with the rows that used
them, so an issued number is never seen twice. Bulk imports reserve N numbers in that one step.
"""
from sqlalchemy import text

from app.core.extensions import db
from app.filings.fields import REG_PREFIX

_ENSURE_ROW = text(
    "INSERT INTO reg_no_counter (kind, year, last_value) VALUES (:kind, :year, 0) "
    "ON CONFLICT (kind, year) DO NOTHING")
_BUMP = text(
    "UPDATE reg_no_counter SET last_value = last_value + :n "
    "WHERE kind = :kind AND year = :year RETURNING last_value")

_GIVE_BACK = text(
    "UPDATE reg_no_counter SET last_value = last_value - :n WHERE kind = :kind AND year = :year")


def format_reg_no(prefix, year, value):
    """QC-2027-000123 (at least six digits)."""
    return f"{prefix}-{year}-{value:06d}"


def bump(counter, year, count=1):
    """Take `count` numbers from the counter row (counter, year), created at 0; returns the last one taken.

    Also used for other never-reused sequences kept in this table (kind "ZJ": experts' login names).
    """
    params = {"kind": counter, "year": year, "n": count}
    session = db.session
    last = session.execute(_BUMP, params).scalar()
    if last is None:
        session.execute(_ENSURE_ROW, params)
        last = session.execute(_BUMP, params).scalar()
    return last


def give_back_numbers(counter, year, count=1):
    """Return the last `count` numbers taken from a counter in this transaction (it still holds the counter's
    lock, so nobody has taken one since): for a submit that turned out to be a replay of one already saved."""
    db.session.execute(_GIVE_BACK, {"kind": counter, "year": year, "n": count})


def reserve_numbers(prefix, year, count=1, digits=6):
    """Reserve `count` consecutive numbers of a counter (prefix ≤ 4 characters, e.g. QC, BZSB) and year;
    returns their strings `PREFIX-YEAR-000123` in order."""
    if count <= 0:
        return []
    last = bump(prefix, year, count)
    first = last - count + 1
    # as format_reg_no, without Python code per number (10,000 in an import): "%" formatting through map
    template = f"{prefix}-{year}-".replace("%", "%%") + f"%0{int(digits)}d"
    return list(map(template.__mod__, range(first, last + 1)))


def reserve(kind, year, count=1):
    """Reserve `count` consecutive 注册编号 for a filing kind and year; returns their strings in order."""
    return reserve_numbers(REG_PREFIX[kind], year, count)


def next_reg_no(kind, year):
    """One new number."""
    return reserve(kind, year, 1)[0]


def give_back(kind, year, count=1):
    """Return the last `count` 注册编号 of a filing kind and year taken in this transaction."""
    give_back_numbers(REG_PREFIX[kind], year, count)
