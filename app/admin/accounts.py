"""账号管理 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/accounts", endpoint="accounts")
@secretariat_required
def accounts():
    """账号管理."""
    return render_template("main/placeholder.html", title="账号管理")
