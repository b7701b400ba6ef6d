"""邮件发件箱 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/outbox", endpoint="outbox")
@secretariat_required
def outbox():
    """邮件发件箱."""
    return render_template("main/placeholder.html", title="邮件发件箱")
