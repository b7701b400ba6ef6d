"""Helpers of the declaration views: the document page, may the unit change it now, scans, generated files."""
import io

from flask import request, send_file

from app.core import audit
from app.core.extensions import db
from app.core.htmx import render
from app.core.uploads import UploadError
from app.declarations import documents as docs


def render_document(partial, status=200, **context):
    """A unit-document page (tabs + the partial), or only the partial for htmx."""
    return render("declarations/document_page.html", partial, status, page_partial=partial, **context)


def editable(unit, period):
    """(can_edit, closed message or None)."""
    can_edit = docs.documents_open(unit, period)
    return can_edit, None if can_edit else docs.closed_message(period)


def store_scan(unit, period, doc, current_hash):
    """Store the uploaded 盖章件 (field "scan") for the data whose 校验码 is current_hash and commit; returns an
    error message (nothing stored) or None."""
    try:
        replaced = docs.attach_scan(unit, period.year, doc, request.files.get("scan"), current_hash)
    except UploadError as error:
        db.session.rollback()
        return str(error)
    audit.record("declaration.scan", f"上传{period.year}年{docs.DOC_LABELS[doc]}盖章件（校验码{current_hash}）",
                 detail={"doc": doc, "year": period.year, "hash": current_hash})
    db.session.commit()
    docs.remove_bytes(replaced)
    return None


def send_generated(data, mimetype, filename, inline=False):
    """A generated file: PDFs open in the browser's viewer (to print), everything else downloads."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline,
                         download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline:  # our own PDF, no active content: nothing may load or run in its viewer
        response.headers["Content-Security-Policy"] = ("default-src 'none'; img-src 'self' data:; "
                                                       "style-src 'unsafe-inline'; frame-ancestors 'none'")
    return response
