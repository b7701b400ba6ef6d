"""打印申报表 (PDF for 盖章) and 下载报告书模板 (.docx) of one of the unit's declarations."""
from app.core.permissions import current_unit, unit_required
from app.declarations import services as service
from app.declarations.printing import PDF_MIME, declaration_filename, declaration_pdf
from app.declarations.report_template import DOCX_MIME, build_report_template, template_filename
from app.declarations.views import bp
from app.declarations.views.helpers import send_generated


@bp.get("/<int:declaration_id>/print")
@unit_required
def print_declaration(declaration_id):
    """打印申报表: 附件2 (groups) or 附件3 (teams) with the 盖章 lines, notes and the 校验码 footer."""
    declaration = service.get_declaration_or_404(current_unit(), declaration_id)
    return send_generated(declaration_pdf(declaration), PDF_MIME, declaration_filename(declaration),
                          inline=True)


@bp.get("/<int:declaration_id>/report-template.docx")
@unit_required
def report_template(declaration_id):
    """下载报告书模板: the 成果报告书 format of 附件8/9 prefilled from this declaration."""
    declaration = service.get_declaration_or_404(current_unit(), declaration_id)
    return send_generated(build_report_template(declaration), DOCX_MIME, template_filename(declaration))
