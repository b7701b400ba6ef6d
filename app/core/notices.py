"""通知公告: notices shown on the home page, with downloadable attachments."""
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import abort, current_app

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import Notice, NoticeAttachment, StoredFile
from app.core.pagination import paginate
from app.core.validators import clean_text, control_char_errors

PURPOSE = "notice"
ALLOWED_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".zip", ".rar", ".7z",
                      ".jpg", ".jpeg", ".png", ".txt"}
CONTENT_TYPES = {
    ".pdf": "application/pdf", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
MAX_FILES_PER_REQUEST = 20


@dataclass
class NoticeForm:
    """The notice form: values as typed and a message per wrong field."""

    values: dict
    errors: dict = field(default_factory=dict)


def list_notices(page=1, per_page=20):
    """Every notice, newest first, attachments loaded in one extra query."""
    select = (db.select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc())
              .options(db.selectinload(Notice.attachments).joinedload(NoticeAttachment.file)))
    return paginate(select, page, per_page)


def published_notices(limit=10):
    """The published notices for the home page with their attachments (two queries)."""
    return db.session.execute(
        db.select(Notice).where(Notice.is_published.is_(True))
        .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)
        .options(db.selectinload(Notice.attachments).joinedload(NoticeAttachment.file))
    ).scalars().all()


def get_or_404(notice_id):
    """A notice by id, else 404."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return notice


def form_for(notice=None):
    """The form filled from a notice (or empty)."""
    if notice is None:
        return NoticeForm(values={"title": "", "body": "", "is_published": "1"})
    return NoticeForm(values={"title": notice.title, "body": notice.body,
                              "is_published": "1" if notice.is_published else ""})


def check_upload(storage):
    """None when an uploaded file may be attached, else a Chinese message."""
    name = storage.filename or ""
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        return f"附件“{name}”的类型不允许，只能上传 PDF、Word、Excel、WPS、压缩包或图片。"
    return None


def parse(form_data, files):
    """Read and check the posted notice form; returns (NoticeForm, cleaned or None)."""
    values = {"title": clean_text(form_data.get("title")), "body": (form_data.get("body") or "").strip(),
              "is_published": "1" if form_data.get("is_published") else ""}
    errors = {}
    if not values["title"]:
        errors["title"] = "请填写标题。"
    elif len(values["title"]) > 200:
        errors["title"] = "标题不能超过200字。"
    if len(values["body"]) > 20000:
        errors["body"] = "正文不能超过20000字。"
    errors.update(control_char_errors(values, {"title": "标题", "body": "正文"}))
    uploads = [f for f in files.getlist("attachments") if f and f.filename]
    if len(uploads) > MAX_FILES_PER_REQUEST:
        errors["attachments"] = f"一次最多上传{MAX_FILES_PER_REQUEST}个附件。"
    for storage in uploads:
        message = check_upload(storage)
        if message:
            errors["attachments"] = message
            break
    form = NoticeForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, {"title": values["title"], "body": values["body"],
                  "is_published": bool(values["is_published"]), "uploads": uploads}


def store_file(storage, purpose=PURPOSE):
    """Write an uploaded file under UPLOAD_DIR with a random name; returns the StoredFile (flushed).

    Raises ValueError with a Chinese message when the file is too large.
    """
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    ext = os.path.splitext(storage.filename or "")[1].lower()
    stored_name = secrets.token_hex(16) + ext
    path = upload_dir / stored_name
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as fh:
        while chunk := storage.stream.read(65536):
            size += len(chunk)
            if size > limit:
                fh.close()
                path.unlink(missing_ok=True)
                raise ValueError(f"附件“{storage.filename}”超过{limit // (1024 * 1024)}MB。")
            digest.update(chunk)
            fh.write(chunk)
    row = StoredFile(stored_name=stored_name, original_name=os.path.basename(storage.filename)[:255],
                     content_type=CONTENT_TYPES.get(ext, "application/octet-stream"), size=size,
                     sha256=digest.hexdigest(), purpose=purpose)
    db.session.add(row)
    db.session.flush()
    return row


def _attach(notice, uploads):
    names = []
    for storage in uploads:
        stored = store_file(storage)
        notice.attachments.append(NoticeAttachment(file=stored))
        names.append(stored.original_name)
    return names


def create(cleaned, actor):
    """Publish a new notice with its attachments; audited; flushes only."""
    notice = Notice(title=cleaned["title"], body=cleaned["body"], is_published=cleaned["is_published"],
                    published_at=utcnow(), created_by_id=getattr(actor, "id", None))
    db.session.add(notice)
    db.session.flush()
    names = _attach(notice, cleaned["uploads"])
    db.session.flush()
    audit.record("notice.create", f"发布通知公告：{notice.title}", target=notice,
                 detail={"attachments": names, "is_published": notice.is_published}, actor=actor)
    return notice


def update(notice, cleaned, actor):
    """Change a notice's text and add attachments; audited; flushes only."""
    changes = {}
    for name in ("title", "body", "is_published"):
        if getattr(notice, name) != cleaned[name]:
            changes[name] = [getattr(notice, name), cleaned[name]]
            setattr(notice, name, cleaned[name])
    names = _attach(notice, cleaned["uploads"])
    if names:
        changes["attachments_added"] = names
    db.session.flush()
    audit.record("notice.update", f"修改通知公告：{notice.title}", target=notice, detail=changes, actor=actor)
    return notice


def remove_attachment(notice, attachment_id, actor):
    """Detach a file from a notice (the file itself is deleted after commit by uploads.delete_files)."""
    attachment = db.session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice.id:
        abort(404)
    stored = attachment.file
    notice.attachments.remove(attachment)
    db.session.flush()
    db.session.delete(stored)
    db.session.flush()
    audit.record("notice.attachment_delete", f"删除通知公告附件：{stored.original_name}（{notice.title}）",
                 target=notice, detail={"file": stored.original_name, "sha256": stored.sha256}, actor=actor)
    return [stored.stored_name]


def delete(notice, actor):
    """Delete a notice and its attachments' rows; returns the stored names to delete after commit."""
    stored = [a.file for a in notice.attachments]
    names = [f.stored_name for f in stored]
    audit.record("notice.delete", f"删除通知公告：{notice.title}", target=notice,
                 detail={"title": notice.title, "attachments": [f.original_name for f in stored]},
                 actor=actor)
    db.session.delete(notice)
    db.session.flush()
    for row in stored:
        db.session.delete(row)
    db.session.flush()
    return names


def published_attachment_or_404(attachment_id):
    """An attachment of a published notice (for the public download), else 404."""
    attachment = db.session.get(NoticeAttachment, attachment_id)
    if attachment is None or not attachment.notice.is_published:
        abort(404)
    return attachment


def file_path(stored):
    """Where a stored file lives on disk."""
    return Path(current_app.config["UPLOAD_DIR"]) / stored.stored_name
