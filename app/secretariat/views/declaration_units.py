"""单位材料齐全情况, one declaring unit's page (its declarations, documents, window extension, zip of its files)
and the industry 统计汇总 of the 活动统计表."""
from io import BytesIO

from flask import abort, flash, request, send_file, url_for
from flask_login import current_user

from app.accounts.models import Unit
from app.core import audit, uploads
from app.core.clock import china_today
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import declaration_period
from app.declarations import downloads, overview, rollup, window
from app.declarations.models import STATUS_LABELS, Declaration, UnitYearDocument
from app.declarations.unit_documents import DOC_LABELS, document_states
from app.secretariat.views import bp
from app.secretariat.views.declarations import XLSX_TYPE, zip_response


@bp.get("/declarations/units", endpoint="declaration_units")
@secretariat_required
def declaration_units():
    """单位材料齐全情况: one row per declaring unit; 材料不全 shows only the units missing a document."""
    filters = overview.Filters.from_args(request.args)
    incomplete = request.args.get("incomplete") == "1"
    page = overview.declaring_units(filters, page=request.args.get("page", 1, type=int), incomplete=incomplete)
    unit_label, unit_error = overview.unit_filter_label(filters)
    provinces, industries = overview.reference_lists()
    return render("admin/declarations/units.html", "admin/declarations/_units_table.html", pagination=page,
                  filters=filters, incomplete=incomplete, unit_label=unit_label, unit_error=unit_error,
                  provinces=provinces, industries=industries, kinds=overview.KIND_LABELS, doc_labels=DOC_LABELS)


def get_unit_or_404(unit_id):
    """A unit by id, or 404."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def _year():
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else declaration_period().year


def _unit_page(unit, year, form=None, status=200):
    declarations = db.session.execute(
        db.select(Declaration).where(Declaration.unit_id == unit.id, Declaration.year == year)
        .order_by(Declaration.decl_no)).scalars().all()
    return render("admin/declarations/unit.html", "admin/declarations/_extension_form.html", status=status,
                  unit=unit, year=year, declarations=declarations, status_labels=STATUS_LABELS,
                  documents=document_states(year, [unit.id])[unit.id], doc_labels=DOC_LABELS,
                  extensions=window.extensions_of(unit.id, year), kind_labels=window.KIND_LABELS,
                  period=declaration_period(year=year),
                  form=form or window.ExtensionForm(values={"kind": "group", "until": "", "reason": ""}))


@bp.get("/declarations/units/<int:unit_id>", endpoint="declaration_unit")
@secretariat_required
def declaration_unit(unit_id):
    """One unit's declarations and documents of a year, with the extension of its window."""
    return _unit_page(get_unit_or_404(unit_id), _year())


@bp.post("/declarations/units/<int:unit_id>/extension", endpoint="grant_extension")
@secretariat_required
def grant_extension(unit_id):
    """延长申报期限 for one unit and kind (audited)."""
    unit, year = get_unit_or_404(unit_id), _year()
    form, cleaned = window.parse_extension(request.form, china_today())
    if cleaned is None:
        return _unit_page(unit, year, form=form, status=422)
    window.grant_extension(unit, year, cleaned, current_user)
    db.session.commit()
    flash(f"已将{unit.name}{year}年{window.KIND_LABELS[cleaned['kind']]}申报期限延长至"
          f"{cleaned['until'].isoformat()}。", "success")
    return htmx_redirect(url_for("admin.declaration_unit", unit_id=unit.id, year=year))


@bp.post("/declarations/units/<int:unit_id>/extension/<kind>/remove", endpoint="remove_extension")
@secretariat_required
def remove_extension(unit_id, kind):
    """取消延长 (audited)."""
    if kind not in window.KIND_LABELS:
        abort(404)
    unit, year = get_unit_or_404(unit_id), _year()
    if window.remove_extension(unit, year, kind, current_user):
        db.session.commit()
        flash(f"已取消{unit.name}{year}年{window.KIND_LABELS[kind]}的申报期限延长。", "success")
    return htmx_redirect(url_for("admin.declaration_unit", unit_id=unit.id, year=year))


@bp.get("/declarations/units/<int:unit_id>/documents/<doc>", endpoint="unit_document_file")
@secretariat_required
def unit_document_file(unit_id, doc):
    """The stamped scan of a unit's 汇总表 / 统计表 / 推荐表 (PDF and images inline, sandboxed)."""
    if doc not in DOC_LABELS:
        abort(404)
    document = db.session.get(UnitYearDocument, (unit_id, _year(), doc))
    if document is None or document.stored_file is None:
        abort(404)
    return uploads.send_stored(document.stored_file, download=request.args.get("download") == "1")


@bp.get("/declarations/units/<int:unit_id>/download.zip", endpoint="download_unit")
@secretariat_required
def download_unit(unit_id):
    """Every file of a unit's submitted declarations and its stamped documents, as one zip."""
    unit, year = get_unit_or_404(unit_id), _year()
    entries = downloads.collect(downloads.declaration_ids(unit_id=unit.id, year=year), year)
    return zip_response(entries, f"{downloads.safe_component(unit.name)}-{year}年申报材料.zip", "declaration.download",
                        f"下载{unit.name}{year}年申报材料（{len(entries)}个文件）",
                        {"unit_id": unit.id, "year": year, "files": len(entries)})


@bp.get("/declarations/statistics", endpoint="statistics_rollup")
@secretariat_required
def statistics_rollup():
    """统计汇总: the industry total of every submitted 活动统计表, and by province."""
    year = _year()
    return render("admin/declarations/statistics.html", "admin/declarations/statistics.html", year=year,
                  result=rollup.industry_rollup(year), rows=rollup.ROWS, review_forms=rollup.REVIEW_FORMS)


@bp.get("/declarations/statistics/export", endpoint="export_statistics_rollup")
@secretariat_required
def export_statistics_rollup():
    """统计汇总 as xlsx (行业合计, 按省份, 按单位)."""
    year = _year()
    data = rollup.export(rollup.industry_rollup(year))
    audit.record("declaration.statistics_export", f"导出{year}年活动统计汇总", actor=current_user)
    db.session.commit()
    return send_file(BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"{year}年活动统计汇总.xlsx")
