"""评委推荐 附件7: the unit's 1–2 experts (add, edit, delete), their proof files, print and stamped scan."""
from flask import flash, request, url_for

from app.core import audit, uploads
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.core.uploads import UploadError, upload_limit
from app.declarations import documents as docs
from app.declarations import recommendations as service
from app.declarations.document_forms import EXPERIENCE_MAX, ExpertForm
from app.declarations.models import DOC_RECOMMENDATION
from app.declarations.printing import PDF_MIME, recommendations_pdf
from app.declarations.views import bp
from app.declarations.views.helpers import editable, render_document, send_generated, store_scan


def _list_page(message=None, scan_error=None, status=200):
    unit, period = current_unit(), current_declaration_period()
    experts = service.experts_of(unit, period.year)
    can_edit, closed = editable(unit, period)
    scan = None
    if experts:
        scan = docs.scan_of(docs.get_document(unit, period.year, DOC_RECOMMENDATION),
                            service.recommendations_hash(unit, period.year, experts))
    return render_document("declarations/_recommendations.html", status, tab="recommendations",
                           page_title="评委推荐", experts=experts, can_edit=can_edit, closed_message=closed,
                           message=message, scan=scan, scan_error=scan_error, doc=DOC_RECOMMENDATION,
                           unit=unit, title=service.title(period.year), requirements=service.REQUIREMENTS,
                           notes=service.NOTES, kinds_text=service.kinds_text,
                           max_experts=service.MAX_EXPERTS, too_many=service.TOO_MANY)


def _form_page(form, expert=None, message=None, status=200):
    unit, period = current_unit(), current_declaration_period()
    can_edit, closed = editable(unit, period)
    action = (url_for("declarations.recommendation_edit", expert_id=expert.id) if expert
              else url_for("declarations.recommendation_new"))
    return render("declarations/expert_form.html", "declarations/_expert_form.html", status,
                  tab="recommendations",
                  form=form, expert=expert, action=action, can_edit=can_edit, closed_message=closed,
                  form_message=message, experience_max=EXPERIENCE_MAX, max_files=service.MAX_FILES,
                  requirements=service.REQUIREMENTS)


@bp.get("/recommendations")
@unit_required
def recommendations():
    """评委推荐: the 推荐要求, the unit's experts with their proof files, print and 盖章件."""
    return _list_page()


def _save(form, expert=None):
    """Validate, read the proof files and save in one transaction; returns (expert, message or None)."""
    unit, period = current_unit(), current_declaration_period()
    if not docs.documents_open(unit, period):
        return None, docs.closed_message(period)
    if not form.validate_on_submit():
        return None, "请更正标出的项目。"
    try:
        proofs = service.read_proofs(request.files.getlist("files"))
        if expert is None:
            expert = service.add_expert(unit, period.year, form.expert_values(), proofs)
            removed = []
        else:
            remove = [int(v) for v in request.form.getlist("remove_files") if v.isdecimal() and len(v) < 12]
            removed = service.update_expert(unit, expert, form.expert_values(), proofs, remove)
    except UploadError as error:
        db.session.rollback()
        form.files.errors = list(form.files.errors) + [str(error)]
        return None, "请更正标出的项目。"
    except service.RecommendationError as error:
        db.session.rollback()
        form.apply_errors(error.field_errors)
        return None, error.message
    audit.record("declaration.expert_save", f"保存{period.year}年推荐评委“{expert.name}”", target=expert)
    db.session.commit()
    for stored in removed:
        docs.remove_bytes(stored)
    return expert, None


@bp.route("/recommendations/new", methods=["GET", "POST"])
@upload_limit(service.PROOF_MAX_BYTES * service.MAX_FILES)
@unit_required
def recommendation_new():
    """添加评委 (a third one is refused: 每个单位推荐1至2名专家。)."""
    unit, period = current_unit(), current_declaration_period()
    form = ExpertForm()
    if request.method == "GET":
        full = len(service.experts_of(unit, period.year)) >= service.MAX_EXPERTS
        return _form_page(form, message=service.TOO_MANY if full else None)
    expert, message = _save(form)
    if expert is None:
        return _form_page(form, message=message, status=422)
    flash(f"已添加推荐评委“{expert.name}”。", "success")
    return htmx_redirect(url_for("declarations.recommendations"))


@bp.route("/recommendations/<int:expert_id>/edit", methods=["GET", "POST"])
@upload_limit(service.PROOF_MAX_BYTES * service.MAX_FILES)
@unit_required
def recommendation_edit(expert_id):
    """编辑 one of the unit's experts (fields and proof files)."""
    unit, period = current_unit(), current_declaration_period()
    expert = service.get_expert_or_404(unit, period.year, expert_id)
    if request.method == "GET":
        names = ("name", "company_dept", "address", "postcode", "mobile", "email", "experience", "kinds")
        form = ExpertForm(formdata=None, data={name: getattr(expert, name) for name in names})
        return _form_page(form, expert)
    form = ExpertForm()
    saved, message = _save(form, expert)
    if saved is None:
        return _form_page(form, expert, message=message, status=422)
    flash(f"已保存推荐评委“{saved.name}”。", "success")
    return htmx_redirect(url_for("declarations.recommendations"))


@bp.post("/recommendations/<int:expert_id>/delete")
@unit_required
def recommendation_delete(expert_id):
    """删除 an expert and their proof files (hx-confirm on the button)."""
    unit, period = current_unit(), current_declaration_period()
    expert = service.get_expert_or_404(unit, period.year, expert_id)
    if not docs.documents_open(unit, period):
        return _list_page(status=422)
    name = expert.name
    removed = service.delete_expert(expert)
    audit.record("declaration.expert_delete", f"删除{period.year}年推荐评委“{name}”")
    db.session.commit()
    for stored in removed:
        docs.remove_bytes(stored)
    return _list_page(message=f"已删除推荐评委“{name}”。")


@bp.get("/recommendations/proofs/<int:proof_id>")
@unit_required
def recommendation_proof(proof_id):
    """A proof file of one of the unit's experts (images and PDFs inline, sandboxed)."""
    row = service.get_file_or_404(current_unit(), proof_id)
    return uploads.send_stored(row.stored_file, download=request.args.get("download") == "1")


@bp.get("/recommendations/print")
@unit_required
def recommendations_print():
    """打印推荐表 (A4 landscape)."""
    unit, period = current_unit(), current_declaration_period()
    experts = service.experts_of(unit, period.year)
    return send_generated(recommendations_pdf(unit, period.year, experts), PDF_MIME,
                          f"{period.year}年评委推荐表.pdf", inline=True)


@bp.post("/recommendations/scan")
@upload_limit(docs.SCAN_MAX_BYTES)
@unit_required
def recommendations_scan():
    """上传盖章件 of the 评委推荐表."""
    unit, period = current_unit(), current_declaration_period()
    experts = service.experts_of(unit, period.year)
    if not docs.documents_open(unit, period):
        return _list_page(status=422)
    if not experts:
        return _list_page(scan_error="请先添加推荐评委，打印盖章后再上传。", status=422)
    current = service.recommendations_hash(unit, period.year, experts)
    error = store_scan(unit, period, DOC_RECOMMENDATION, current)
    if error:
        return _list_page(scan_error=error, status=422)
    return _list_page(message="盖章件已上传。")
