"""操作日志 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/audit", endpoint="audit_log")
@secretariat_required
def audit_log():
    """操作日志."""
    return render_template("main/placeholder.html", title="操作日志")
