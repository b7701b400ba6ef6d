"""邀请备案 views."""
from flask import render_template

from app.invite import bp
from app.permissions import unit_required


@bp.get("/")
@unit_required
def index():
    """邀请备案 page."""
    return render_template("main/placeholder.html", title="邀请备案")
