"""评审结果 of a unit (C-U12): its declarations' results (评审中 until 正式发布), the 公示 links and 提出异议."""
from flask import flash, render_template, request, url_for
from flask_login import current_user

from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.review import objections as objection_service
from app.review import publicity as publicity_service
from app.review import unit_results
from app.review.unit_blueprint import results_bp as bp

CLOSED = "该公示已结束，不能再在线提出异议；如有问题请与秘书处联系。"


@bp.get("/", endpoint="index")
@unit_required
def index():
    """评审结果: 申报编号 · 成果名称 · 小组名称/班组名称 · 企业名称 · 形式审查结论 · 评审结果 · 证书."""
    unit, year = current_unit(), current_declaration_period().year
    publicities = unit_results.visible_publicities(year)
    return render_template("review/results/index.html", year=year, rows=unit_results.rows(unit, year),
                           publicities=publicities, kinds=publicity_service.PUBLICITY_KINDS,
                           notices=unit_results.notices_by_id([p.notice_id for p in publicities]),
                           status_labels=publicity_service.STATUS_LABELS,
                           can_object={p.id for p in publicities
                                       if publicity_service.is_open_for_objections(p)},
                           objections=objection_service.for_unit(unit, year),
                           objection_labels=objection_service.STATUS_LABELS, in_review=unit_results.IN_REVIEW)


def _form_page(publicity, form, status=200):
    return render("review/results/objection_form.html", "review/results/_objection_form.html", status=status,
                  publicity=publicity, form=form, choices=objection_service.listed_choices(publicity))


@bp.route("/publicity/<int:publicity_id>/objection", methods=["GET", "POST"], endpoint="new_objection")
@unit_required
def new_objection(publicity_id):
    """提出异议 against an achievement the open 公示 lists (涉及成果, 异议内容, 联系人, 联系电话)."""
    publicity = publicity_service.get_or_404(publicity_id)
    if not publicity_service.is_open_for_objections(publicity):
        flash(CLOSED, "error")
        return htmx_redirect(url_for("results.index"))
    unit = current_unit()
    if request.method == "GET":
        return _form_page(publicity, objection_service.empty_form(unit.contact, unit.mobile))
    form, cleaned = objection_service.parse(request.form, objection_service.listed_choices(publicity))
    if cleaned is None:
        return _form_page(publicity, form, status=422)
    objection_service.file(publicity, cleaned, current_user, unit=unit)
    db.session.commit()
    flash("已提交异议，秘书处处理后将在本页显示处理结果。", "success")
    return htmx_redirect(url_for("results.index"))


@bp.get("/objections/<int:objection_id>", endpoint="objection")
@unit_required
def objection(objection_id):
    """One of the unit's own 异议 with its 处理结果 (another unit's is 404)."""
    row = objection_service.get_or_404(objection_id, unit=current_unit())
    return render_template("review/results/objection.html", objection=row,
                           publicity=publicity_service.get_or_404(row.publicity_id),
                           objection_labels=objection_service.STATUS_LABELS)
