"""申报汇总表, 活动统计表 and 评委推荐 (owned by the unit-documents work; placeholders for now)."""
from flask import render_template

from app.core.permissions import unit_required
from app.declarations.views import bp


@bp.get("/summary/<any(group, team):kind>")
@unit_required
def summary_table(kind):
    """申报汇总表 (placeholder)."""
    return render_template("declarations/placeholder.html", tab="summary")


@bp.get("/statistics")
@unit_required
def statistics():
    """活动统计表 (placeholder)."""
    return render_template("declarations/placeholder.html", tab="statistics")


@bp.get("/recommendations")
@unit_required
def recommendations():
    """评委推荐 (placeholder)."""
    return render_template("declarations/placeholder.html", tab="recommendations")
