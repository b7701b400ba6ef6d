"""工作台 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/", endpoint="dashboard")
@secretariat_required
def dashboard():
    """工作台."""
    return render_template("main/placeholder.html", title="工作台")
