"""附件材料 (C-U7): upload (streamed, content-checked), download and delete the files of a declaration."""
from flask import request
from sqlalchemy.orm.exc import StaleDataError

from app.core import uploads
from app.core.extensions import db
from app.core.htmx import render
from app.core.permissions import unit_required
from app.core.uploads import UploadError, upload_limit
from app.declarations import files as declaration_files
from app.declarations import services as service
from app.declarations.views import bp
from app.declarations.views.form import CHANGED_ELSEWHERE, load_declaration


def _files_section(declaration, window, status=200, errors=None, message=None):
    """The 附件材料 section alone (what an upload or delete swaps)."""
    return render("declarations/files_page.html", "declarations/_files.html", status,
                  declaration=declaration, window=window, can_edit=service.can_edit(declaration, window),
                  slots=declaration_files.slots(declaration, declaration.files), file_errors=errors or {},
                  file_message=message)


@bp.post("/<int:declaration_id>/files/<any(report, report_pdf, records, stamped_form):purpose>")
@upload_limit(declaration_files.purpose_limit)
@unit_required
def upload_file(declaration_id, purpose):
    """上传: one file of a purpose; a report or scan replaces the previous one."""
    declaration, window = load_declaration(declaration_id, lock=True)
    if not service.can_edit(declaration, window):
        return _files_section(declaration, window, 422, {purpose: window.closed_message or "该申报已提交，不能再修改附件。"})
    try:
        row, replaced = declaration_files.upload(declaration, purpose, request.files.get("file"))
        db.session.commit()
    except UploadError as exc:
        db.session.rollback()
        return _files_section(declaration, window, 422, {purpose: str(exc)})
    except StaleDataError:
        db.session.rollback()
        return _files_section(declaration, window, 422, {purpose: CHANGED_ELSEWHERE})
    uploads.delete_files(replaced)
    return _files_section(declaration, window, message=f"已上传“{row.stored_file.original_name}”。")


@bp.get("/<int:declaration_id>/files/<int:file_id>")
@unit_required
def file(declaration_id, file_id):
    """下载 / view a file: only to its unit; PDFs and images inline (sandboxed), the rest as attachments."""
    declaration, _window = load_declaration(declaration_id)
    row = declaration_files.get_file_or_404(declaration, file_id)
    return uploads.send_stored(row.stored_file, download=request.args.get("download") == "1")


@bp.post("/<int:declaration_id>/files/<int:file_id>/delete")
@unit_required
def delete_file(declaration_id, file_id):
    """删除 one file while the declaration is editable."""
    declaration, window = load_declaration(declaration_id, lock=True)
    row = declaration_files.get_file_or_404(declaration, file_id)
    if not service.can_edit(declaration, window):
        return _files_section(declaration, window, 422, {row.purpose: window.closed_message or "该申报已提交，不能再修改附件。"})
    try:
        names = declaration_files.delete(declaration, row)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _files_section(declaration, window, 422, {row.purpose: CHANGED_ELSEWHERE})
    uploads.delete_files(names)
    return _files_section(declaration, window, message="已删除。")
