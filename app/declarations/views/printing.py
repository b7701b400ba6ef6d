"""打印申报表 / 汇总表 / 统计表 / 推荐表 as PDFs for 盖章 (owned by the printing work).

The two routes below are stand-ins with the printing work's names, so the list and the form can link to them
before it is merged; the merge keeps the real routes.
"""
from flask import abort

from app.core.permissions import current_unit, unit_required
from app.declarations import services as service
from app.declarations.views import bp


@bp.get("/<int:declaration_id>/print")
@unit_required
def print_declaration(declaration_id):
    """打印申报表 (stand-in until the printing work is merged)."""
    service.get_declaration_or_404(current_unit(), declaration_id)
    abort(404)


@bp.get("/<int:declaration_id>/report-template.docx")
@unit_required
def report_template(declaration_id):
    """下载报告书模板 (stand-in until the printing work is merged)."""
    service.get_declaration_or_404(current_unit(), declaration_id)
    abort(404)
