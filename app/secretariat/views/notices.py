"""通知公告: the secretariat publishes notices with attachments; visitors see them on the home page."""
from flask import flash, request, send_file, url_for
from flask_login import current_user

from app.core import notices as notice_service
from app.core import uploads
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.models import NoticeAttachment
from app.core.permissions import secretariat_required
from app.secretariat.views import bp


@bp.get("/notices", endpoint="notices")
@secretariat_required
def notices():
    """The list of notices."""
    pagination = notice_service.list_notices(page=request.args.get("page", 1, type=int))
    return render("admin/notices.html", "admin/_notice_table.html", pagination=pagination)


@bp.get("/notices/new", endpoint="new_notice")
@secretariat_required
def new_notice():
    """The empty notice form."""
    return render("admin/notice_form.html", "admin/_notice_form.html",
                  form=notice_service.form_for(), notice=None)


def _save(notice):
    form, cleaned = notice_service.parse(request.form, request.files)
    if cleaned is not None:
        try:
            if notice is None:
                notice = notice_service.create(cleaned, current_user)
            else:
                notice_service.update(notice, cleaned, current_user)
        except ValueError as exc:
            db.session.rollback()
            form.errors["attachments"] = str(exc)
            cleaned = None
    if cleaned is None:
        chosen = [f for f in request.files.getlist("attachments") if f.filename]
        if chosen and not form.errors.get("attachments"):
            # A browser cannot refill a file input: say so beside it rather than lose the choice silently.
            form.errors["attachments"] = f"所选的{len(chosen)}个附件尚未保存，请更正上面的项目后重新选择附件。"
        return render("admin/notice_form.html", "admin/_notice_form.html", status=422,
                      form=form, notice=notice)
    db.session.commit()
    flash(f"通知公告“{notice.title}”已保存。", "success")
    return htmx_redirect(url_for("admin.edit_notice", notice_id=notice.id))


@bp.post("/notices/new", endpoint="create_notice")
@secretariat_required
def create_notice():
    """Publish a new notice."""
    return _save(None)


@bp.get("/notices/<int:notice_id>", endpoint="edit_notice")
@secretariat_required
def edit_notice(notice_id):
    """The form of an existing notice with its attachments."""
    notice = notice_service.get_or_404(notice_id)
    return render("admin/notice_form.html", "admin/_notice_form.html",
                  form=notice_service.form_for(notice), notice=notice)


@bp.post("/notices/<int:notice_id>", endpoint="update_notice")
@secretariat_required
def update_notice(notice_id):
    """Save changes (and new attachments) of a notice."""
    return _save(notice_service.get_or_404(notice_id))


@bp.post("/notices/<int:notice_id>/delete", endpoint="delete_notice")
@secretariat_required
def delete_notice(notice_id):
    """Delete a notice with its attachments."""
    notice = notice_service.get_or_404(notice_id)
    title = notice.title
    names = notice_service.delete(notice, current_user)
    db.session.commit()
    uploads.delete_files(names)
    flash(f"通知公告“{title}”已删除。", "success")
    return htmx_redirect(url_for("admin.notices"))


@bp.post("/notices/<int:notice_id>/attachments/<int:attachment_id>/delete",
         endpoint="delete_notice_attachment")
@secretariat_required
def delete_notice_attachment(notice_id, attachment_id):
    """Remove one attachment from a notice."""
    notice = notice_service.get_or_404(notice_id)
    names = notice_service.remove_attachment(notice, attachment_id, current_user)
    db.session.commit()
    uploads.delete_files(names)
    flash("附件已删除。", "success")
    return htmx_redirect(url_for("admin.edit_notice", notice_id=notice.id))


@bp.get("/notices/attachments/<int:attachment_id>", endpoint="notice_attachment")
@secretariat_required
def notice_attachment(attachment_id):
    """Download an attachment, also of an unpublished notice."""
    attachment = db.get_or_404(NoticeAttachment, attachment_id)
    stored = attachment.file
    return send_file(notice_service.file_path(stored), as_attachment=True, download_name=stored.original_name,
                     mimetype=stored.content_type)
