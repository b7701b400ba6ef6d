"""通知公告 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/notices", endpoint="notices")
@secretariat_required
def notices():
    """通知公告."""
    return render_template("main/placeholder.html", title="通知公告")
