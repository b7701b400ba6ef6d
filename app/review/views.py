"""The review blueprint: 成果评审, the experts' workspace (built in a later issue)."""
from flask import Blueprint, render_template

from app.core.permissions import role_required

bp = Blueprint("review", __name__)


@bp.get("/")
@role_required("expert")
def index():
    """The expert's first page."""
    return render_template("main/placeholder.html", title="成果评审")
