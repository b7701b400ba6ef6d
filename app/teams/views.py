"""班组备案 views."""
from flask import render_template

from app.teams import bp
from app.permissions import unit_required


@bp.get("/")
@unit_required
def index():
    """班组备案 page."""
    return render_template("main/placeholder.html", title="班组备案")
