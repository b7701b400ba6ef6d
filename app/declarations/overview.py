"""申报总览 (spec A13, C-S3): every declaration of a year across units, filtered, counted per status, paged and
exported (spec B13 申报汇总); the unit search of the filter; the 单位材料齐全情况 table."""
import functools
from dataclasses import dataclass

from sqlalchemy import func, literal, or_, union_all

from app.accounts import unit_search
from app.accounts.models import Unit
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.pagination import Page, like_pattern, page_number
from app.core.settings import current_declaration_period
from app.core.validators import normalize_text
from app.declarations.models import KINDS, STATUS_DRAFT, STATUS_LABELS, Declaration
from app.declarations.unit_documents import document_states

PER_PAGE = 30
UNIT_OPTIONS = unit_search.UNIT_OPTIONS
KIND_LABELS = {"group": "小组", "team": "班组"}


def typed_text(value, limit=None):
    """Text as typed (full-width punctuation kept, no NFKC): NUL removed, runs of spaces folded, ends stripped."""
    text = " ".join(str(value or "").replace("\x00", "").split())
    return text[:limit] if limit else text


@dataclass(frozen=True)
class Filters:
    """年度 · 类型 · 申报单位 (id chosen from candidates, or the typed text) · 省份 · 行业 · 状态 · 关键字."""

    year: int
    kind: str = ""
    unit: int | None = None
    unit_q: str = ""
    province: str = ""
    industry: str = ""
    status: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args, default_status=""):
        """Read filters from the query string (the 当前申报年度 by default)."""
        year = args.get("year", type=int)
        unit = args.get("unit", type=int)
        kind = args.get("kind", "")
        status = args.get("status", default_status)
        return cls(year=year if year and 2000 <= year <= 2100 else current_declaration_period().year,
                   kind=kind if kind in KINDS else "",
                   unit=unit if unit and 0 < unit < 2 ** 31 else None,
                   unit_q=typed_text(args.get("unit_q"), 200),
                   province=normalize_text(args.get("province", ""))[:2],
                   industry=normalize_text(args.get("industry", ""))[:4],
                   status=status if status in STATUS_LABELS or status == "all" else default_status,
                   q=typed_text(args.get("q"), 100))

    def as_args(self, **changes):
        """The filters as query-string arguments (for paging, tabs and export links)."""
        values = dict(self.__dict__, **changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def filtered(select, filters, with_status=True):
    """Apply the filters to a select over Declaration joined with Unit."""
    select = select.where(Declaration.year == filters.year)
    if filters.kind:
        select = select.where(Declaration.kind == filters.kind)
    if filters.unit:
        select = select.where(Declaration.unit_id == filters.unit)
    elif filters.unit_q:
        select = select.where(Declaration.unit_id.in_(unit_search.exact_unit_ids(filters.unit_q)))
    if filters.province:
        select = select.where(Unit.province_code == filters.province)
    if filters.industry:
        select = select.where(Unit.industry_code == filters.industry)
    if with_status and filters.status and filters.status != "all":
        select = select.where(Declaration.status == filters.status)
    if filters.q:
        select = select.where(or_(*(_contains(column, filters.q) for column in (
            Declaration.decl_no, Declaration.title, Declaration.group_name, Declaration.enterprise_name,
            Unit.name, Declaration.leader, Declaration.contact))))
    return select


def _contains(column, text):
    """`column` contains `text`, ignoring case.

    On SQLite a plain LIKE: it already ignores ASCII case (its lower() knows no more than ASCII either), and
    ilike's lower() of 7 columns of every row, with an ESCAPE clause, cost about 7 ms of the keyword search's
    CPU with 10,000 declarations; ESCAPE only when the text has a character LIKE would read as a wildcard."""
    if db.session.get_bind().dialect.name != "sqlite":
        return column.ilike(like_pattern(text), escape="\\")
    if any(char in text for char in "%_\\"):
        return column.like(like_pattern(text), escape="\\")
    return column.like(f"%{text}%")


LIST_COLUMNS = (Declaration.id, Declaration.decl_no, Declaration.kind, Declaration.unit_id, Declaration.status,
                Declaration.title, Declaration.group_name, Declaration.enterprise_name, Declaration.topic_type,
                Declaration.submitted_at, Declaration.resubmit_deadline, Declaration.version,
                Unit.name.label("unit_name"))


def _joins_unit(filters):
    """True when a filter reads the unit's columns (省份, 行业, or a keyword that may be its name)."""
    return bool(filters.province or filters.industry or filters.q)


def _base(select, filters):
    return select.join(Unit, Unit.id == Declaration.unit_id) if _joins_unit(filters) else select


def status_counts(filters):
    """{status: count} under every filter but the status, and their total (one query; without a unit filter it
    reads the (year, status) index alone)."""
    select = _base(db.select(Declaration.status, func.count()).group_by(Declaration.status), filters)
    counts = dict(db.session.execute(filtered(select, filters, with_status=False)).all())
    return {status: counts.get(status, 0) for status in STATUS_LABELS}, sum(counts.values())


def search(filters, page=1, per_page=PER_PAGE, order="decl_no", counts=None):
    """One page of declarations in one query (the total comes from the status counts, given or counted).

    The page's ids are chosen on the index alone (year, 申报编号 or year, status, submission time) and only those
    30 rows are read with their unit: a deep page costs an index walk, not a join per skipped row.
    """
    by_status, everything = counts or status_counts(filters)
    total = by_status.get(filters.status, 0) if filters.status and filters.status != "all" else everything
    page = page_number(page, total, per_page)
    ordering = ((Declaration.submitted_at, Declaration.id) if order == "submitted" else (Declaration.decl_no,))
    ids = (filtered(_base(db.select(Declaration.id), filters), filters).order_by(*ordering)
           .limit(per_page).offset((page - 1) * per_page))
    rows = db.session.execute(
        db.select(*LIST_COLUMNS).join(Unit, Unit.id == Declaration.unit_id)
        .where(Declaration.id.in_(ids.scalar_subquery())).order_by(*ordering)).all()
    return Page(items=rows, page=page, per_page=per_page, total=total)


@functools.cache
def _reference_statement():
    both = union_all(db.select(literal("p").label("list"), Province.code, Province.name),
                     db.select(literal("i").label("list"), Industry.code, Industry.name)).subquery()
    return db.select(both).order_by(both.c.list, both.c.code)


def reference_lists():
    """(code, name) of the provinces and industries for the filter selects (one query for both)."""
    rows = db.session.execute(_reference_statement()).all()
    return [row for row in rows if row.list == "p"], [row for row in rows if row.list == "i"]


def declaring_units(filters, page=1, per_page=PER_PAGE, incomplete=False):
    """单位材料齐全情况: units with a submitted declaration of the year, with counts per kind and document states.

    The declaring units are counted per kind in one statement and paged in Python (one grouped scan of the
    year's declarations instead of two: a unit is one short row); with `incomplete` (材料不全) the states of
    every declaring unit are computed, then paged.
    """
    group_count = func.sum(db.case((Declaration.kind == "group", 1), else_=0))
    team_count = func.sum(db.case((Declaration.kind == "team", 1), else_=0))
    select = (db.select(Unit.id, Unit.name, group_count.label("groups"), team_count.label("teams"))
              .join(Unit, Unit.id == Declaration.unit_id)
              .where(Declaration.status != STATUS_DRAFT)
              .group_by(Unit.id, Unit.name).order_by(Unit.name, Unit.id))
    select = filtered(select, Filters(**dict(filters.__dict__, status="")), with_status=False)
    rows = db.session.execute(select).all()
    if not incomplete:
        total = len(rows)
        page = page_number(page, total, per_page)
        rows = rows[(page - 1) * per_page:page * per_page]
        states = document_states(filters.year, [row.id for row in rows])
        return Page(items=[(row, states[row.id]) for row in rows], page=page, per_page=per_page, total=total)
    states = document_states(filters.year, [row.id for row in rows])
    items = [(row, states[row.id]) for row in rows if not states[row.id].complete]
    total = len(items)
    page = page_number(page, total, per_page)
    return Page(items=items[(page - 1) * per_page:page * per_page], page=page, per_page=per_page, total=total)


def unit_options(year, text, limit=UNIT_OPTIONS):
    """Up to `limit` units that declared in the year whose name or credit code contains `text` (one query)."""
    declared = db.select(Declaration.id).where(Declaration.unit_id == Unit.id, Declaration.year == year).exists()
    return unit_search.unit_options(typed_text(text, 200), declared, limit)


def unit_filter_label(filters):
    """(label, error) of the unit filter."""
    return unit_search.unit_filter_label(filters.unit, filters.unit_q)
