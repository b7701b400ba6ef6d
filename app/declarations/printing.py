"""打印 for 盖章 (spec A6): the forms of attachments 2–7 as A4 PDFs, from HTML templates by WeasyPrint.

The Chinese text is real text in an embedded subset of Debian's Noto CJK fonts (copyable, searchable). Every
page's footer reads `申报编号 · 校验码 XXXXXXXX · 生成时间 …` (unit documents: the document's name instead
of the number). Rendering fetches nothing: the templates reference no file and `_no_fetch` refuses any URL a value could
smuggle in.
"""
import logging

from flask import render_template
from weasyprint import HTML

from app.core.clock import to_china, utcnow
from app.declarations.checksum import declaration_hash
from app.declarations.documents import DOC_LABELS
from app.declarations.hundredths import format_hundredths, format_rate
from app.declarations.models import KIND_GROUP
from app.declarations.recommendations import KIND_OPTIONS, NOTES, recommendations_hash
from app.declarations.recommendations import title as recommendations_title
from app.declarations.recommendations import title_lines as recommendations_title_lines
from app.declarations.statistics import (
    CONTACT_FIELDS,
    RATE_INPUTS,
    REVIEW_FORMS,
    ROWS,
    TITLE,
    period_text,
    rates,
    statistics_hash,
    values_of,
)
from app.declarations.summary import DOCS as SUMMARY_DOCS
from app.declarations.summary import NOTE as SUMMARY_NOTE
from app.declarations.summary import subtitle as summary_subtitle
from app.declarations.summary import title as summary_title

PDF_MIME = "application/pdf"
# WeasyPrint reports every layout step at INFO; a print is one log line of the request, not eight.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
TEAM_RATES = (("rate_work_completion_c", "班组工作完成率（%）"), ("rate_satisfaction_c", "产品/服务满意度（％）"),
              ("rate_pass_c", "产品/服务合格率（％）"), ("rate_quality_assessment_c", "质量考核合格率（%）"),
              ("rate_improvement_participation_c", "质量改进活动参与率（%）"),
              ("quality_cost_c", "质量成本（万元/年）"))


class FetchRefused(ValueError):
    """A printed form asked for an external resource."""


def _no_fetch(url, *args, **kwargs):
    raise FetchRefused(url)


def footer_text(ident, code, now=None):
    """'QCSB-2027-0001 · 校验码 1A2B3C4D · 生成时间 2027-04-01 09:30' (China time)."""
    local = to_china(now or utcnow())
    return f"{ident} · 校验码 {code} · 生成时间 {local:%Y-%m-%d %H:%M}"


def render_html(template, **context):
    """The HTML page of a printed form (what WeasyPrint renders; the bench renders the same page bare)."""
    return render_template(template, **context)


def html_to_pdf(html):
    """WeasyPrint renders the page to PDF bytes, fetching nothing."""
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def declaration_values(declaration):
    """The printed cells of a 申报表, formatted (money and rates with two decimals, names joined by '，')."""
    filing = declaration.filing
    values = {
        "unit_name": declaration.unit.name,
        "reg_no": filing.reg_no if filing is not None else "",
        "contributors": "，".join(declaration.main_contributors or []),
        "economic_benefit": format_hundredths(declaration.economic_benefit_c),
    }
    for name, _label in TEAM_RATES:
        values[name] = format_hundredths(getattr(declaration, name))
    return values


def declaration_html(declaration, now=None):
    """The 申报表 page (附件2 for a group, 附件3 for a team) with its footer."""
    template = ("declarations/print/declaration_group.html" if declaration.kind == KIND_GROUP
                else "declarations/print/declaration_team.html")
    return render_html(template, d=declaration, v=declaration_values(declaration), team_rates=TEAM_RATES,
                       footer=footer_text(declaration.decl_no, declaration_hash(declaration), now))


def declaration_pdf(declaration, now=None):
    """打印申报表: the PDF bytes."""
    return html_to_pdf(declaration_html(declaration, now))


def declaration_filename(declaration):
    """申报表-QCSB-2027-0001.pdf."""
    return f"申报表-{declaration.decl_no}.pdf"


def summary_pdf(table, now=None):
    """打印汇总表 (附件4 / 附件5), landscape."""
    html = render_html("declarations/print/summary.html", table=table, title=summary_title(table.year),
                       subtitle=summary_subtitle(table.kind), note=SUMMARY_NOTE,
                       attachment="附件4" if table.kind == KIND_GROUP else "附件5",
                       printed_on=to_china(now or utcnow()).date(),
                       footer=footer_text(DOC_LABELS[SUMMARY_DOCS[table.kind]], table.data_hash, now))
    return html_to_pdf(html)


def statistics_pdf(unit, year, report, now=None):
    """打印统计表 (附件6)."""
    values = values_of(report)
    shown = {row.field: format_hundredths(values[row.field]) for row in ROWS if row.type == "money"}
    shown.update({name: format_rate(value) for name, value in rates(values).items()})
    html = render_html("declarations/print/statistics.html", unit=unit, title=TITLE, period=period_text(year),
                       rows=ROWS, values=values, shown=shown, rate_inputs=RATE_INPUTS,
                       review_forms=REVIEW_FORMS, contact_fields=CONTACT_FIELDS,
                       notes={str(k): v for k, v in (values["row_notes"] or {}).items()},
                       footer=footer_text("活动统计表", statistics_hash(unit, year, report), now))
    return html_to_pdf(html)


def recommendations_pdf(unit, year, experts, now=None):
    """打印推荐表 (附件7), landscape."""
    html = render_html("declarations/print/recommendations.html", unit=unit,
                       title=recommendations_title(year),
                       title_lines=recommendations_title_lines(year),
                       experts=experts, kind_options=KIND_OPTIONS, notes=NOTES,
                       footer=footer_text("评委推荐表", recommendations_hash(unit, year, experts), now))
    return html_to_pdf(html)
