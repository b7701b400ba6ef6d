"""审核注册 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/registrations", endpoint="registrations")
@secretariat_required
def registrations():
    """审核注册."""
    return render_template("main/placeholder.html", title="审核注册")
