"""申报汇总表 (附件4/5) and 活动统计表 (附件6): pages, saving, printing, stamped scans, xlsx export.

Every htmx action answers with the page's one partial (the header, table and 盖章件 card change together).
"""
from flask import abort, flash, redirect, request, url_for

from app.core import audit, uploads
from app.core.extensions import db
from app.core.htmx import render
from app.core.uploads import upload_limit
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.declarations import documents as docs
from app.declarations import statistics as stats
from app.declarations import summary
from app.declarations.document_forms import StatisticsForm, SummaryHeaderForm, clean_count
from app.declarations.document_forms import Problem as FormProblem
from app.declarations.hundredths import format_rate, rate
from app.declarations.models import DOC_RECOMMENDATION, DOC_STATISTICS, DOC_SUMMARY_GROUP, DOC_SUMMARY_TEAM
from app.declarations.printing import PDF_MIME, statistics_pdf, summary_pdf
from app.declarations.views import bp
from app.declarations.views.helpers import editable, render_document, send_generated, store_scan

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC_CHOICES = f"any({DOC_SUMMARY_GROUP}, {DOC_SUMMARY_TEAM}, {DOC_STATISTICS}, {DOC_RECOMMENDATION})"


# ---- 申报汇总表 -----------------------------------------------------------------------------------

def _summary_page(kind, form=None, message=None, scan_error=None, status=200):
    unit, period = current_unit(), current_declaration_period()
    table = summary.summary_table(unit, period.year, kind)
    if form is None:
        form = SummaryHeaderForm(formdata=None, data=table.header)
    can_edit, closed = editable(unit, period)
    scan = docs.scan_of(table.document, table.data_hash) if table.rows else None
    return render_document("declarations/_summary.html", status, tab="summary", page_title="申报汇总表", kind=kind,
                           table=table, form=form, scan=scan, can_edit=can_edit, closed_message=closed,
                           message=message, scan_error=scan_error, doc=summary.DOCS[kind],
                           title=summary.title(period.year), subtitle=summary.subtitle(kind))


@bp.get("/summary/<any(group, team):kind>")
@unit_required
def summary_table(kind):
    """申报汇总表 附件4 (小组) / 附件5 (班组): generated rows, header inputs, print, scan, export."""
    return _summary_page(kind)


@bp.post("/summary/<any(group, team):kind>/header")
@unit_required
def summary_header(kind):
    """保存表头: 联系人 · 电话 · 手机 (a change makes an uploaded scan 需重新上传)."""
    unit, period = current_unit(), current_declaration_period()
    form = SummaryHeaderForm()
    if not docs.documents_open(unit, period):
        return _summary_page(kind, form=form, status=422)
    if not form.validate_on_submit():
        return _summary_page(kind, form=form, status=422)
    summary.save_header(unit, period.year, kind, form.cleaned)
    db.session.commit()
    return _summary_page(kind, form=form, message="表头已保存。")


@bp.get("/summary/<any(group, team):kind>/print")
@unit_required
def summary_print(kind):
    """打印汇总表 (A4 landscape, 校验码 footer)."""
    unit, period = current_unit(), current_declaration_period()
    table = summary.summary_table(unit, period.year, kind)
    filename = f"{period.year}年申报汇总表（{summary.KIND_LABELS[kind]}）.pdf"
    return send_generated(summary_pdf(table), PDF_MIME, filename, inline=True)


@bp.post("/summary/<any(group, team):kind>/scan")
@upload_limit(docs.SCAN_MAX_BYTES)
@unit_required
def summary_scan(kind):
    """上传盖章件 of the 汇总表, stored with the 校验码 of its header and rows."""
    unit, period = current_unit(), current_declaration_period()
    table = summary.summary_table(unit, period.year, kind)
    if not docs.documents_open(unit, period):
        return _summary_page(kind, status=422)
    if not table.rows:
        return _summary_page(kind, scan_error="汇总表还没有内容，提交申报后再上传盖章件。", status=422)
    error = store_scan(unit, period, summary.DOCS[kind], table.data_hash)
    if error:
        return _summary_page(kind, scan_error=error, status=422)
    return _summary_page(kind, message="盖章件已上传。")


@bp.get("/summary/<any(group, team):kind>.xlsx")
@unit_required
def summary_export(kind):
    """导出Excel: the same columns, text that looks like a formula written as text."""
    unit, period = current_unit(), current_declaration_period()
    table = summary.summary_table(unit, period.year, kind)
    return send_generated(summary.export_xlsx(table), XLSX_MIME, summary.export_filename(table))


# ---- 活动统计表 -----------------------------------------------------------------------------------

def _statistics_page(form=None, message=None, scan_error=None, status=200, warnings=()):
    unit, period = current_unit(), current_declaration_period()
    report = stats.get_report(unit, period.year)
    prefill = stats.prefill(unit, period.year)
    if form is None:
        form = StatisticsForm(formdata=None)
        form.fill(stats.values_of(report) if report is not None else prefill)
    can_edit, closed = editable(unit, period)
    current = stats.statistics_hash(unit, period.year, report)
    scan = docs.scan_of(docs.get_document(unit, period.year, DOC_STATISTICS), current) if report else None
    typed = {name: form.cleaned.get(name) if form.cleaned else _count_or_none(getattr(form, name).data)
             for name in ("qc_participants", "staff_total", "qc_with_results", "qc_registered_year")}
    hints = {name for name, value in prefill.items()
             if value not in (None, "") and str(value) == str(getattr(form, name).data or "")}
    return render_document("declarations/_statistics.html", status, tab="statistics", page_title="活动统计表",
                           form=form, report=report,
                           status_label=stats.STATUS_LABELS[stats.status_of(report)],
                           rows=stats.ROWS, rates={k: format_rate(v) for k, v in stats.rates(typed).items()},
                           hints=hints, hint_text=stats.PREFILL_HINT, title=stats.TITLE,
                           period_text=stats.period_text(period.year), year=period.year, unit=unit,
                           can_edit=can_edit, closed_message=closed, message=message, warnings=warnings,
                           scan=scan, scan_error=scan_error, doc=DOC_STATISTICS)


def _count_or_none(text):
    try:
        return clean_count(text)
    except FormProblem:
        return None


@bp.get("/statistics")
@unit_required
def statistics():
    """活动统计表 附件6: the 15 rows, prefilled where the filings know the figure."""
    return _statistics_page()


@bp.get("/statistics/rate")
@unit_required
def statistics_rate():
    """The live 普及率 / 成果率 while typing (the server computes it, exactly as it is stored and printed)."""
    which = request.args.get("rate")
    if which == "popularity":
        numerator, denominator = "qc_participants", "staff_total"
    elif which == "results":
        numerator, denominator = "qc_with_results", "qc_registered_year"
    else:
        abort(404)
    top, bottom = _count_or_none(request.args.get(numerator)), _count_or_none(request.args.get(denominator))
    if which == "popularity" and top is not None and bottom is not None and top > bottom:
        text = "—（" + stats.PARTICIPANTS_ERROR.rstrip("。") + "）"
    else:
        text = format_rate(rate(top, bottom))
    response = render("declarations/_rate.html", "declarations/_rate.html", text=text)
    response.headers["Cache-Control"] = "no-store"
    return response


def _save_statistics(submit):
    """保存 (formats and the rules between rows; an incomplete table may be saved) and, with submit, 提交 (every
    figure and text, and a stamped scan of exactly this data; a refused 提交 keeps nothing)."""
    unit, period = current_unit(), current_declaration_period()
    form = StatisticsForm()
    if not docs.documents_open(unit, period) or not form.validate_on_submit():
        return _statistics_page(form=form, status=422)
    values = form.report_values()
    report = stats.save_report(unit, period.year, values)
    if submit:
        problems = stats.completeness_errors(values)
        scan = docs.scan_of(docs.get_document(unit, period.year, DOC_STATISTICS),
                            stats.statistics_hash(unit, period.year, report))
        if problems or not scan.is_fresh:
            db.session.rollback()  # the typed values stay in the form
            form.apply_errors(problems)
            scan_error = None if scan.is_fresh else (
                docs.STALE_MESSAGE if scan.state == docs.SCAN_STALE else "请先打印统计表，盖章后上传盖章件，再提交。")
            return _statistics_page(form=form, scan_error=scan_error, status=422)
        stats.submit_report(report)
    action = "提交" if submit else "保存"
    audit.record("declaration.statistics_submit" if submit else "declaration.statistics_save", f"{action}{period.year}年活动统计表")
    db.session.commit()
    return _statistics_page(form=form, message=f"活动统计表已{action}。", warnings=stats.warnings(form.cleaned))


@bp.post("/statistics/save")
@unit_required
def statistics_save():
    """保存."""
    return _save_statistics(submit=False)


@bp.post("/statistics/submit")
@unit_required
def statistics_submit():
    """提交 (after 保存, 打印 and 上传盖章件)."""
    return _save_statistics(submit=True)


@bp.get("/statistics/print")
@unit_required
def statistics_print():
    """打印统计表 of the saved data."""
    unit, period = current_unit(), current_declaration_period()
    report = stats.get_report(unit, period.year)
    if report is None:
        flash("请先填写并保存活动统计表，再打印。", "warning")
        return redirect(url_for("declarations.statistics"), code=303)
    return send_generated(statistics_pdf(unit, period.year, report), PDF_MIME, f"{period.year}年活动统计表.pdf",
                          inline=True)


@bp.post("/statistics/scan")
@upload_limit(docs.SCAN_MAX_BYTES)
@unit_required
def statistics_scan():
    """上传盖章件 of the 统计表, stored with the 校验码 of the saved data."""
    unit, period = current_unit(), current_declaration_period()
    report = stats.get_report(unit, period.year)
    if not docs.documents_open(unit, period):
        return _statistics_page(status=422)
    if report is None:
        return _statistics_page(scan_error="请先填写并保存活动统计表，打印盖章后再上传。", status=422)
    error = store_scan(unit, period, DOC_STATISTICS, stats.statistics_hash(unit, period.year, report))
    if error:
        return _statistics_page(scan_error=error, status=422)
    return _statistics_page(message="盖章件已上传。")


# ---- the stored scans -----------------------------------------------------------------------------

@bp.get(f"/documents/<{DOC_CHOICES}:doc>/scan")
@unit_required
def document_scan(doc):
    """The unit's uploaded 盖章件 of a document of the current year (only its own; anything else 404)."""
    stored = docs.scan_file_or_none(current_unit(), current_declaration_period().year, doc)
    if stored is None:
        abort(404)
    return uploads.send_stored(stored)
