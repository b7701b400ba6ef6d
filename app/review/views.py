"""成果评审 (review stage; comes in a later issue)."""
from flask import render_template

from app.permissions import role_required
from app.review import bp


@bp.get("/")
@role_required("expert")
def index():
    """The expert's first page."""
    return render_template("main/placeholder.html", title="成果评审")
