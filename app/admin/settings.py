"""年度设置 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/settings", endpoint="year_settings")
@secretariat_required
def year_settings():
    """年度设置."""
    return render_template("main/placeholder.html", title="年度设置")
