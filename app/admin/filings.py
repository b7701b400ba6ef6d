"""备案总览 (placeholder until its issue builds it)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required


@bp.get("/filings", endpoint="filings")
@secretariat_required
def filings():
    """备案总览."""
    return render_template("main/placeholder.html", title="备案总览")
