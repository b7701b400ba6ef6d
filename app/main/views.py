"""The home page: login box and notices for visitors, a welcome page for units."""
from flask import Blueprint, redirect, render_template, send_file, url_for
from flask_login import current_user

from app.core import notices as notice_service
from app.core.extensions import db
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_filing_period
from app.main.progress import unit_progress

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """系统首页: visitors see the login box; each role its own first page."""
    if current_user.is_authenticated:
        if current_user.is_secretariat:
            return redirect(url_for("admin.dashboard"))
        if current_user.is_expert:
            return redirect(url_for("review.index"))
        return _unit_home()
    return render_template("main/index.html", notices=notice_service.published_notices())


@unit_required
def _unit_home():
    """系统首页 of a unit: the notices, the year's dates, and how far its filing has got."""
    period = current_filing_period()
    return render_template("main/welcome.html", notices=notice_service.published_notices(),
                           progress=unit_progress(current_unit(), period.year))


@bp.get("/notices/attachments/<int:attachment_id>")
def notice_attachment(attachment_id):
    """Download an attachment of a published notice (anyone may: the annual notice promises it)."""
    attachment = notice_service.published_attachment_or_404(attachment_id)
    stored = attachment.file
    return send_file(notice_service.file_path(stored), as_attachment=True, download_name=stored.original_name,
                     mimetype=stored.content_type)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="favicon.ico"), code=301)


@bp.get("/healthz")
def healthz():
    """Liveness check for load balancers: the database answers."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
