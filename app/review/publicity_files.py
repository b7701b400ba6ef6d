"""The lists of a 公示 and of 正式发布 (spec B11, B13 获奖名单) as xlsx and PDF files for the 通知公告.

Rows come from award_result joined to the declaration and its unit in one statement, awarded levels only,
ordered by level then score (the order 证书编号 are given in). The xlsx is written by SafeRowWriter (text that
starts with = + - @ stays text); the PDF is rendered by WeasyPrint from a template with real, embedded text.
"""
import io
from dataclasses import dataclass

from openpyxl import Workbook

from app.accounts.models import Unit
from app.core.extensions import db
from app.declarations.models import Declaration
from app.declarations.printing import html_to_pdf, render_html
from app.filings.xlsx.export import SafeRowWriter
from app.review.certificate_numbers import AWARDED
from app.review.models import AWARD_LEVELS, AwardResult

KIND_NAMES = {"group": "小组成果", "team": "班组成果"}
NAME_HEADERS = {"group": "小组名称", "team": "班组名称"}
PUBLICITY_HEADER = ("序号", "成果名称", "{name}", "企业名称", "申报单位", "评定等级")
AWARD_HEADER = ("序号", "评定等级", "成果名称", "小组/班组名称", "企业名称", "申报单位", "主要完成人", "证书编号")


@dataclass
class ListedRow:
    """One awarded achievement as the lists print it."""

    declaration_id: int
    kind: str
    title: str
    group_name: str
    enterprise_name: str
    unit_name: str
    level: str
    contributors: list
    certificate_no: str | None
    unit_id: int


def listed_rows(year, kinds):
    """The awarded achievements of the year and kinds, per kind in order of level then score (one query)."""
    rows = db.session.execute(
        db.select(AwardResult.declaration_id, AwardResult.kind, Declaration.title, Declaration.group_name,
                  Declaration.enterprise_name, Unit.name, AwardResult.level, Declaration.main_contributors,
                  AwardResult.certificate_no, Unit.id, AwardResult.level_score_c, Declaration.decl_no)
        .join(Declaration, Declaration.id == AwardResult.declaration_id)
        .join(Unit, Unit.id == Declaration.unit_id)
        .where(AwardResult.year == year, AwardResult.kind.in_(kinds), AwardResult.level.in_(AWARDED))).all()
    rows.sort(key=lambda r: (list(kinds).index(r[1]), AWARD_LEVELS.index(r[6]), -(r[10] or 0), r[11]))
    return [ListedRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], list(r[7] or ()), r[8], r[9]) for r in rows]


def sections(rows, kinds):
    """[(kind, rows of the kind)] in the order of kinds."""
    return [(kind, [r for r in rows if r.kind == kind]) for kind in kinds]


def safe_filename(text):
    """A file name without characters Windows refuses."""
    return "".join(ch for ch in text if ch not in '\\/:*?"<>|\r\n\t')[:100]


def publicity_xlsx(title, rows, kinds):
    """公示名单 as xlsx bytes: one sheet per kind."""
    book = Workbook(write_only=True)
    for kind, part in sections(rows, kinds):
        sheet = book.create_sheet(KIND_NAMES[kind])
        writer = SafeRowWriter(sheet)
        writer.row((title,))
        writer.row(tuple(h.format(name=NAME_HEADERS[kind]) for h in PUBLICITY_HEADER))
        for n, r in enumerate(part, start=1):
            writer.row((n, r.title, r.group_name, r.enterprise_name, r.unit_name, r.level))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def publicity_pdf(title, period, rows, kinds):
    """公示名单 as PDF bytes (A4, real text)."""
    html = render_html("review/print/publicity.html", title=title, period=period, name_headers=NAME_HEADERS,
                       kind_names=KIND_NAMES, sections=sections(rows, kinds))
    return html_to_pdf(html)


def award_xlsx(title, rows, kinds):
    """获奖名单 (B13) as xlsx bytes: one sheet per kind."""
    book = Workbook(write_only=True)
    for kind, part in sections(rows, kinds):
        sheet = book.create_sheet(KIND_NAMES[kind])
        writer = SafeRowWriter(sheet)
        writer.row((title,))
        writer.row(AWARD_HEADER)
        for n, r in enumerate(part, start=1):
            writer.row((n, r.level, r.title, r.group_name, r.enterprise_name, r.unit_name,
                        "，".join(r.contributors), r.certificate_no or ""))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
