"""备案总览: every group and team filing of a year across units, filtered, paged and exported."""
import math
import tempfile
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import exists, func, literal, or_, union_all

from app.accounts import unit_search
from app.accounts.models import Unit
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.pagination import Page
from app.core.settings import open_filing_year
from app.core.template_helpers import china_time
from app.core.validators import normalize_text
from app.filings.models import QcGroupFiling, TeamFiling
from app.filings.xlsx.export import SafeRowWriter

PER_PAGE = 30
UNIT_OPTIONS = unit_search.UNIT_OPTIONS
KINDS = {"group": "小组", "team": "班组"}
EXPORT_COLUMNS = ("类型", "注册编号", "备案年度", "申报单位", "所属省份", "所属行业", "企业名称", "小组/班组名称",
                  "课题名称/所在部门", "课题类型", "组长", "人数", "联系人", "手机", "备案时间")


@dataclass(frozen=True)
class FilingFilters:
    """Year, unit, province, industry, type and a search text.

    The unit is chosen by id from the candidates; `unit_q` is what was typed in the unit box. Without an
    id, `unit_q` filters exactly by credit code or full name (never by a partial match of several units).
    """

    year: int
    unit: int | None = None
    unit_q: str = ""
    province: str = ""
    industry: str = ""
    kind: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args):
        """Read filters from the query string (the open filing year by default)."""
        year = args.get("year", type=int)
        kind = args.get("kind", "")
        unit = args.get("unit", type=int)
        return cls(year=year if year and 2000 <= year <= 2100 else open_filing_year(),
                   unit=unit if unit and 0 < unit < 2 ** 31 else None,
                   unit_q=normalize_text(args.get("unit_q", "")).replace("\x00", "")[:200],
                   province=normalize_text(args.get("province", ""))[:2],
                   industry=normalize_text(args.get("industry", ""))[:4],
                   kind=kind if kind in KINDS else "",
                   q=normalize_text(args.get("q", ""))[:100])

    def as_args(self):
        """The filters as query-string arguments (for paging and export links)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def _branch(model, kind, filters):
    name = model.group_name if model is QcGroupFiling else model.team_name
    detail = model.topic if model is QcGroupFiling else model.department
    topic_type = model.topic_type if model is QcGroupFiling else literal("")
    select = (db.select(literal(kind).label("kind"), model.id.label("id"), model.reg_no.label("reg_no"),
                        model.year.label("year"), model.unit_id.label("unit_id"),
                        Unit.name.label("unit_name"),
                        Province.name.label("province"), Industry.name.label("industry"),
                        model.enterprise_name.label("enterprise_name"), name.label("name"),
                        detail.label("detail"), topic_type.label("topic_type"), model.leader.label("leader"),
                        model.member_count.label("member_count"), model.contact.label("contact"),
                        model.mobile.label("mobile"), model.created_at.label("created_at"))
              .join(Unit, Unit.id == model.unit_id)
              .join(Province, Province.code == Unit.province_code)
              .join(Industry, Industry.code == Unit.industry_code)
              .where(model.year == filters.year))
    if filters.unit:
        select = select.where(model.unit_id == filters.unit)
    elif filters.unit_q:
        select = select.where(model.unit_id.in_(unit_search.exact_unit_ids(filters.unit_q)))
    if filters.province:
        select = select.where(Unit.province_code == filters.province)
    if filters.industry:
        select = select.where(Unit.industry_code == filters.industry)
    if filters.q:
        like = f"%{filters.q}%"
        select = select.where(or_(name.ilike(like), model.enterprise_name.ilike(like),
                                  model.reg_no.ilike(like),
                                  Unit.name.ilike(like), model.leader.ilike(like), detail.ilike(like)))
    return select


def filings_query(filters):
    """The union of group and team filings matching the filters, as a subquery."""
    branches = [_branch(model, kind, filters)
                for model, kind in ((QcGroupFiling, "group"), (TeamFiling, "team"))
                if not filters.kind or filters.kind == kind]
    return (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("filing")


def search(filters, page=1, per_page=PER_PAGE):
    """One page of filings, newest first: one count query and one row query."""
    sub = filings_query(filters)
    total = db.session.scalar(db.select(func.count()).select_from(sub))
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.execute(
        db.select(sub).order_by(sub.c.created_at.desc(), sub.c.kind, sub.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, page=page, per_page=per_page, total=total)


def write_xlsx(fileobj, title, header, rows):
    """Write rows into an xlsx file with openpyxl's write-only mode, formula-safe (SafeRowWriter)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    writer = SafeRowWriter(sheet)
    writer.row(header)
    for row in rows:
        writer.row(row)
    book.save(fileobj)


def export(filters):
    """All filings matching the filters as an xlsx file (a temporary file, rewound)."""
    sub = filings_query(filters)
    result = db.session.execute(
        db.select(sub).order_by(sub.c.kind, sub.c.reg_no).execution_options(yield_per=2000))
    rows = ((KINDS[r.kind], r.reg_no, r.year, r.unit_name, r.province, r.industry, r.enterprise_name, r.name,
             r.detail, r.topic_type, r.leader, r.member_count, r.contact, r.mobile, china_time(r.created_at))
            for r in result)
    fileobj = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    write_xlsx(fileobj, f"{filters.year}年备案", EXPORT_COLUMNS, rows)
    fileobj.seek(0)
    return fileobj


def _filed_in(year):
    """Condition: the unit filed a group or a team in the year."""
    return or_(exists().where(QcGroupFiling.unit_id == Unit.id, QcGroupFiling.year == year),
               exists().where(TeamFiling.unit_id == Unit.id, TeamFiling.year == year))


def unit_options(year, text, limit=UNIT_OPTIONS):
    """Up to `limit` units that filed in the year whose name or credit code contains `text` (one query)."""
    return unit_search.unit_options(normalize_text(text or "")[:200], _filed_in(year), limit)


def unit_filter_label(filters):
    """(label, error) of the unit filter."""
    return unit_search.unit_filter_label(filters.unit, filters.unit_q)
