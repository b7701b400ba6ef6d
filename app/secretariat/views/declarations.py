"""申报总览: every declaration of a year with filters, status counts, xlsx export, one declaration read-only with
its files, and the zip downloads (one declaration, or every declaration of the filter)."""
from urllib.parse import quote

from flask import Response, abort, request, send_file
from flask_login import current_user

from app.core import audit, uploads
from app.core.extensions import db
from app.core.htmx import is_htmx, render
from app.core.permissions import secretariat_required
from app.declarations import downloads, export, formal_check, overview
from app.declarations.checksum import declaration_hash
from app.declarations.conclusions import CONCLUSIONS
from app.declarations.models import STATUS_LABELS, Declaration, DeclarationFile
from app.declarations.unit_documents import DOC_LABELS, document_states
from app.secretariat.views import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def list_context(filters):
    """What the 申报总览 page and its table need."""
    counts, total = overview.status_counts(filters)
    page = overview.search(filters, page=request.args.get("page", 1, type=int), counts=(counts, total))
    unit_label, unit_error = overview.unit_filter_label(filters)
    provinces, industries = overview.reference_lists() if not is_htmx() else ((), ())  # selects: full page only
    return dict(pagination=page, filters=filters, counts=counts, counts_total=total, unit_label=unit_label,
                unit_error=unit_error, status_labels=STATUS_LABELS, kinds=overview.KIND_LABELS,
                provinces=provinces, industries=industries,
                latest=formal_check.latest_checks([row.id for row in page.items]),
                conclusion_labels=CONCLUSIONS)


@bp.get("/declarations", endpoint="declarations")
@secretariat_required
def declarations():
    """申报总览 (the counts and table alone for htmx)."""
    filters = overview.Filters.from_args(request.args)
    return render("admin/declarations/index.html", "admin/declarations/_table.html", **list_context(filters))


@bp.get("/declarations/units/options", endpoint="declaration_unit_options")
@secretariat_required
def declaration_unit_options():
    """Candidates for the unit filter while typing a name or credit code (one query, at most ten)."""
    filters = overview.Filters.from_args(request.args)
    target = request.args.get("target")
    target = target if target in ("admin.declarations", "admin.formal_checks", "admin.declaration_units") \
        else "admin.declarations"
    options = overview.unit_options(filters.year, filters.unit_q)
    return render("admin/_unit_options.html", "admin/_unit_options.html", options=options, filters=filters,
                  target=target)


@bp.get("/declarations/export", endpoint="export_declarations")
@secretariat_required
def export_declarations():
    """申报汇总: the filtered declarations as xlsx, every field."""
    filters = overview.Filters.from_args(request.args)
    fileobj = export.export(filters)
    audit.record("declaration.export", f"导出{filters.year}年申报汇总", detail=filters.as_args(), actor=current_user)
    db.session.commit()
    return send_file(fileobj, mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"{filters.year}年申报汇总.xlsx")


def get_declaration_or_404(declaration_id):
    """A declaration by id, or 404."""
    declaration = db.session.get(Declaration, declaration_id)
    if declaration is None:
        abort(404)
    return declaration


@bp.get("/declarations/<int:declaration_id>", endpoint="declaration_detail")
@secretariat_required
def declaration_detail(declaration_id):
    """One declaration, read-only: every field, its files, the unit's documents and the 形式审查 history."""
    declaration = get_declaration_or_404(declaration_id)
    documents = document_states(declaration.year, [declaration.unit_id])[declaration.unit_id]
    return render("admin/declarations/detail.html", "admin/declarations/detail.html", declaration=declaration,
                  documents=documents, history=formal_check.history(declaration.id),
                  files=file_rows(declaration), doc_labels=DOC_LABELS, conclusion_labels=CONCLUSIONS)


def file_rows(declaration):
    """(purpose label, DeclarationFile, StoredFile, stale) of a declaration's files, in the order of spec A5."""
    current = declaration_hash(declaration)
    rows = []
    for file in sorted(declaration.files, key=lambda f: (downloads.PURPOSE_ORDER.get(f.purpose, 99), f.id)):
        stale = file.purpose == "stamped_form" and file.data_hash != current
        rows.append((downloads.PURPOSE_LABELS.get(file.purpose, file.purpose), file, file.stored_file, stale))
    return rows


@bp.get("/declarations/<int:declaration_id>/files/<int:file_id>", endpoint="declaration_file")
@secretariat_required
def declaration_file(declaration_id, file_id):
    """A file of a declaration: PDF and images inline (sandboxed), Word and PowerPoint as downloads."""
    file = db.session.get(DeclarationFile, file_id)
    if file is None or file.declaration_id != declaration_id:
        abort(404)
    return uploads.send_stored(file.stored_file, download=request.args.get("download") == "1")


def zip_response(entries, name, action, summary, detail):
    """Stream a zip of the entries (audited first; the database is not used while streaming)."""
    stream = downloads.archive(entries)
    audit.record(action, summary, detail=detail, actor=current_user)
    db.session.commit()
    ascii_name = "declarations.zip"
    response = Response(iter(stream), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Length"] = str(len(stream))
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/declarations/<int:declaration_id>/download.zip", endpoint="download_declaration")
@secretariat_required
def download_declaration(declaration_id):
    """One declaration's files as a zip."""
    declaration = get_declaration_or_404(declaration_id)
    entries = downloads.collect(downloads.declaration_ids(declaration_id=declaration.id), declaration.year,
                                with_unit_documents=False)
    name = f"{downloads.safe_component(declaration.decl_no + '-' + declaration.title, 80)}.zip"
    return zip_response(entries, name, "declaration.download", f"下载申报材料 {declaration.decl_no}",
                        {"declaration": declaration.decl_no, "files": len(entries)})


@bp.get("/declarations/download.zip", endpoint="download_declarations")
@secretariat_required
def download_declarations():
    """Every file of the declarations matching the filter (drafts only when asked for), as one zip."""
    filters = overview.Filters.from_args(request.args)
    entries = downloads.collect(downloads.declaration_ids(filters=filters), filters.year)
    return zip_response(entries, f"{filters.year}年申报材料.zip", "declaration.download",
                        f"打包下载{filters.year}年申报材料（{len(entries)}个文件）",
                        dict(filters.as_args(), files=len(entries)))
