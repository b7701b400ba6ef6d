"""The home page: login box and notices for visitors, a welcome page for units."""
from flask import redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.main import bp
from app.models import Notice


@bp.get("/")
def index():
    """系统首页: visitors see the login box; each role its own first page."""
    if current_user.is_authenticated:
        if current_user.is_secretariat:
            return redirect(url_for("admin.dashboard"))
        if current_user.is_expert:
            return redirect(url_for("review.index"))
        return render_template("main/welcome.html")
    notices = db.session.execute(
        db.select(Notice).where(Notice.is_published.is_(True))
        .order_by(Notice.published_at.desc()).limit(10)
    ).scalars().all()
    return render_template("main/index.html", notices=notices)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="favicon.ico"), code=301)


@bp.get("/healthz")
def healthz():
    """Liveness check for load balancers: the database answers."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
