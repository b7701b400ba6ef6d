"""备案总览: all group and team filings of a year across units, with filters and xlsx export."""
from flask import request, send_file
from flask_login import current_user

from app.core import audit
from app.core.extensions import db
from app.core.htmx import render
from app.core.permissions import secretariat_required
from app.secretariat import filing_overview
from app.secretariat import units as unit_admin
from app.secretariat.views import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/filings", endpoint="filings")
@secretariat_required
def filings():
    """The overview (the table alone for htmx)."""
    filters = filing_overview.FilingFilters.from_args(request.args)
    page = filing_overview.search(filters, page=request.args.get("page", 1, type=int))
    unit_label, unit_error = filing_overview.unit_filter_label(filters)
    provinces, industries = unit_admin.reference_lists()
    return render("admin/filings.html", "admin/_filing_table.html", pagination=page, filters=filters,
                  provinces=provinces, industries=industries, kinds=filing_overview.KINDS,
                  unit_label=unit_label, unit_error=unit_error)


@bp.get("/filings/units", endpoint="filing_unit_options")
@secretariat_required
def filing_unit_options():
    """Candidates for the unit filter while typing a name or credit code (one query, at most ten)."""
    filters = filing_overview.FilingFilters.from_args(request.args)
    options = filing_overview.unit_options(filters.year, filters.unit_q)
    return render("admin/_unit_options.html", "admin/_unit_options.html", options=options, filters=filters)


@bp.get("/filings/export", endpoint="export_filings")
@secretariat_required
def export_filings():
    """Download the filtered filings as xlsx."""
    filters = filing_overview.FilingFilters.from_args(request.args)
    fileobj = filing_overview.export(filters)
    audit.record("filing.export", f"导出{filters.year}年备案总览", detail=filters.as_args(), actor=current_user)
    db.session.commit()
    return send_file(fileobj, mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"{filters.year}年备案总览.xlsx")
