"""单位管理 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/units", endpoint="units")
@secretariat_required
def units():
    """单位管理."""
    return render_template("main/placeholder.html", title="单位管理")
