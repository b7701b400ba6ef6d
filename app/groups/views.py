"""小组备案 views."""
from flask import render_template

from app.groups import bp
from app.permissions import unit_required


@bp.get("/")
@unit_required
def index():
    """小组备案 page."""
    return render_template("main/placeholder.html", title="小组备案")
