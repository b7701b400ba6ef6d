"""Uploaded files: checked by content, stored under a generated name outside static/, served carefully."""
import base64
import hashlib
import io
import os
import secrets
import time
import warnings
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import abort, current_app, g, request, send_file
from PIL import Image, UnidentifiedImageError

from app.core import ratelimit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import StoredFile
from app.core.tokens import hash_token, new_token

DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # a 600 dpi A4 scan is about 35 million pixels
# A staged license (上传 before 提交注册资料) is kept for hours, not days: anyone can stage one.
STAGING_LIFETIME = timedelta(hours=3)
STAGED_WINDOW = 3600
MB = 1024 * 1024
CHUNK = MB
INLINE_TYPES = ("image/jpeg", "image/png", "application/pdf")
KINDS = {
    "jpeg": ("image/jpeg", ".jpg"), "png": ("image/png", ".png"), "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "doc": ("application/msword", ".doc"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    "ppt": ("application/vnd.ms-powerpoint", ".ppt"),
}
SUFFIXES = {"jpeg": (".jpg", ".jpeg"), "png": (".png",), "pdf": (".pdf",), "docx": (".docx",), "doc": (".doc",),
            "pptx": (".pptx",), "ppt": (".ppt",)}
LICENSE_HINT = "请上传本单位的“企业法人营业执照”、“社会组织登记证书”或“事业单位法人证书”电子版（图片或pdf格式），大小不能超过5M。"


class UploadError(ValueError):
    """A file that cannot be accepted; the message is shown beside the field."""


def _max_bytes():
    return current_app.config.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)


def _max_pixels():
    return current_app.config.get("MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)


def sniff_kind(data):
    """The real kind of the content: 'jpeg', 'png', 'pdf' or None (the file name is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def check_image(source):
    """Refuse images whose pixel count would exhaust memory, and images that do not parse (bytes or a path)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source if isinstance(source, Path) else io.BytesIO(source)) as img:  # the header only
                width, height = img.size
                if width * height > _max_pixels():
                    raise UploadError("图片像素尺寸过大，请将图片缩小后再上传。")
                img.verify()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError("图片像素尺寸过大，请将图片缩小后再上传。") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadError("图片文件已损坏或不是有效的JPG/PNG图片。") from None


def read_upload(file_storage):
    """Read an uploaded file (bounded) and return (bytes, kind); raise UploadError when unacceptable."""
    if file_storage is None or not file_storage.filename:
        raise UploadError("请先点击“浏览...”选择文件。")
    limit = _max_bytes()
    data = file_storage.stream.read(limit + 1)
    if len(data) > limit:
        abort(413)
    if not data:
        raise UploadError("上传的文件是空的。")
    kind = sniff_kind(data)
    if kind is None:
        raise UploadError("文件内容不是图片（JPG/PNG）或PDF，请上传营业执照或证书的图片或PDF文件。")
    if kind in ("jpeg", "png"):
        check_image(data)
    return data, kind


def _clean_name(filename, kind, stem_default="license"):
    """A display name: base name only, no control characters, bounded length."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip() or stem_default + KINDS[kind][1]
    stem, ext = os.path.splitext(name)
    if ext.lower() not in SUFFIXES[kind]:
        # the content decides: a PDF sent as "执照.png" is kept as "执照.pdf", so it opens right when downloaded
        name = (stem or stem_default) + KINDS[kind][1]
    return name[-120:]


def store(data, kind, original_name, purpose, unit_id=None):
    """Write bytes under a generated name and describe them in a StoredFile row; flushes only."""
    content_type, suffix = KINDS[kind]
    stored_name = secrets.token_hex(16) + suffix
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / stored_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    row = StoredFile(stored_name=stored_name, original_name=_clean_name(original_name, kind),
                     content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                     crc32=zlib.crc32(data), purpose=purpose, unit_id=unit_id)
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class Received:
    """An upload streamed to a private file in UPLOAD_DIR, not yet described by any row."""

    path: Path
    filename: str
    size: int
    sha256: str
    head: bytes  # the first bytes, for sniffing
    crc32: int = 0


def receive(file_storage, max_bytes):
    """Stream an upload to disk in chunks while hashing (never the whole file in memory); refuse empty or too large.

    Werkzeug has already spooled a large multipart file to a temporary file; this copies it chunk by chunk.
    """
    if file_storage is None or not file_storage.filename:
        raise UploadError("请先点击“浏览...”选择文件。")
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (secrets.token_hex(16) + ".part")
    digest, crc, size, head = hashlib.sha256(), 0, 0, b""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := file_storage.stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(f"文件大小超过{max_bytes // MB}M，请压缩或拆分后再上传。")
                if len(head) < 4096:
                    head += chunk[:4096 - len(head)]
                digest.update(chunk)
                crc = zlib.crc32(chunk, crc)
                fh.write(chunk)
        if size == 0:
            raise UploadError("上传的文件是空的（0字节），请重新选择文件。")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path=path, filename=file_storage.filename, size=size, sha256=digest.hexdigest(), head=head,
                    crc32=crc)


def keep(received, kind, purpose, unit_id=None, stem_default="file"):
    """Give a received file its final name and a StoredFile row (flushes only)."""
    content_type, suffix = KINDS[kind]
    stored_name = received.path.stem + suffix
    os.rename(received.path, received.path.with_name(stored_name))
    row = StoredFile(stored_name=stored_name, original_name=_clean_name(received.filename, kind, stem_default),
                     content_type=content_type, size=received.size, sha256=received.sha256, crc32=received.crc32,
                     purpose=purpose,
                     unit_id=unit_id)
    db.session.add(row)
    db.session.flush()
    return row


def discard(received):
    """Remove a received file that was refused."""
    received.path.unlink(missing_ok=True)


PART_MAX_AGE = 6 * 3600  # an upload still being received writes its .part file all the time


def sweep_partial(now_epoch=None):
    """Remove `.part` files older than PART_MAX_AGE: left behind when a worker was killed mid-upload (the
    `except` of `receive` never ran). Returns how many were removed."""
    directory = Path(current_app.config["UPLOAD_DIR"])
    if not directory.is_dir():
        return 0
    cutoff = (time.time() if now_epoch is None else now_epoch) - PART_MAX_AGE
    removed = 0
    for path in directory.glob("*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return removed


def delete_files(stored_names):
    """Remove files from disk once the rows that pointed at them are gone (call after commit)."""
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    for name in stored_names:
        (upload_dir / name).unlink(missing_ok=True)


def upload_limit(file_bytes):
    """Let a view receive one file of up to `file_bytes` (an int, or a function of the view's arguments);
    every other route keeps MAX_CONTENT_LENGTH."""

    def decorator(view):
        view.upload_file_bytes = file_bytes
        return view

    return decorator


def apply_upload_limit():
    """before_request, before anything parses the body: raise this request's limit when its view asks for it."""
    view = current_app.view_functions.get(request.endpoint)
    limit = getattr(view, "upload_file_bytes", None)
    if limit is None:
        return
    if callable(limit):
        limit = limit(request.view_args or {})
    if limit:
        g.upload_limit_mb = limit // MB  # named by the 413 page
        request.max_content_length = limit + MB  # the file plus the form's other fields and boundaries


def stage_license(file_storage, client=None):
    """Accept a license before its form is submitted: returns (StoredFile, staging key).

    `client` (the address) is allowed STAGED_BYTES_PER_HOUR of staged files over the last hour; the
    kilobytes are counted in the shared rate-limit table, so the cap holds across workers and hosts.
    """
    data, kind = read_upload(file_storage)
    if client is not None:
        limit = current_app.config.get("STAGED_BYTES_PER_HOUR", 20 * MB)
        kilobytes = -(-len(data) // 1024)
        if not ratelimit.hit(f"staged-kb:{client}", limit // 1024, STAGED_WINDOW, amount=kilobytes):
            raise UploadError(f"一小时内从本机上传的营业执照文件已超过{limit // MB}M，请稍后再上传"
                              "（已显示“上传成功”的文件无需重复上传）。")
    row = store(data, kind, file_storage.filename, "license")
    key = new_token(24)
    row.staging_key_hash = hash_token(key)
    db.session.flush()
    return row, key


def find_staged(key):
    """The staged file for a key from a hidden field, or None (wrong, claimed or stale key)."""
    if not key or len(key) > 100:
        return None
    return db.session.execute(
        db.select(StoredFile).where(StoredFile.staging_key_hash == hash_token(key),
                                    StoredFile.unit_id.is_(None),
                                    StoredFile.created_at > utcnow() - STAGING_LIFETIME)
    ).scalar_one_or_none()


def attach(stored_file, unit_id):
    """Give a staged file to its unit; the key stops working."""
    stored_file.unit_id = unit_id
    stored_file.staging_key_hash = None


def path_of(stored_file):
    """The file's path on disk."""
    return Path(current_app.config["UPLOAD_DIR"]) / stored_file.stored_name


def is_image(stored_file):
    """True for JPEG and PNG files."""
    return stored_file.content_type.startswith("image/")


def thumbnail_uri(stored_file, size=(240, 240)):
    """A small PNG preview as a data: URI (None for PDFs or unreadable files)."""
    if not is_image(stored_file):
        return None
    try:
        with Image.open(path_of(stored_file)) as img:
            img.draft("RGB", size)
            img.thumbnail(size)
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
    except (OSError, ValueError):
        return None
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# Served files are never pages of this site: no scripts, no forms, an opaque origin (sandbox).
# style-src/img-src let a browser's built-in PDF viewer lay out its own page.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def send_stored(stored_file, download=False):
    """Serve a stored file inline (images and PDFs, sandboxed, nosniff) or, with download, as an attachment."""
    path = path_of(stored_file)
    if not path.exists():
        abort(404)
    inline = stored_file.content_type in INLINE_TYPES and not download
    response = send_file(path, mimetype=stored_file.content_type, as_attachment=not inline,
                         download_name=stored_file.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def purge_stale_staged(now=None):
    """Delete the rows of staged files never attached to a registration (housekeeping; flushes only).

    Returns their stored names: the files go with delete_files once the deletion is committed.
    """
    cutoff = (now or utcnow()) - STAGING_LIFETIME
    rows = db.session.execute(db.select(StoredFile.id, StoredFile.stored_name).where(
        StoredFile.staging_key_hash.is_not(None), StoredFile.unit_id.is_(None),
        StoredFile.created_at < cutoff)).all()
    if rows:
        db.session.execute(db.delete(StoredFile).where(StoredFile.id.in_([row.id for row in rows]))
                           .execution_options(synchronize_session=False))
    return [row.stored_name for row in rows]
