"""评委管理 (C-S5): tab 评委推荐 (遴选 入选 / 未入选, proof files) and tab 评委库 (add, edit, stop, signature,
set-password link)."""
from flask import abort, flash, request, url_for
from flask_login import current_user

from app.core import uploads
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import declaration_period
from app.declarations.models import ExpertRecommendationFile
from app.review import experts as pool
from app.review.models import EXPERT_KINDS
from app.secretariat.views import bp


def _year():
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else declaration_period().year


@bp.get("/experts/recommendations", endpoint="expert_recommendations")
@secretariat_required
def expert_recommendations():
    """评委推荐: the year's recommendations of every unit with proof files and 遴选."""
    year, selection = _year(), request.args.get("selection", "")
    rows, total, page = pool.recommendations(year, selection, request.args.get("page", 1, type=int))
    return render("admin/experts/recommendations.html", "admin/experts/_recommendations.html", rows=rows,
                  total=total, page_number=page, pages=max(1, -(-total // pool.PER_PAGE)), year=year,
                  selection=selection,
                  selection_labels=pool.SELECTION_LABELS, kinds_label=pool.kinds_label)


def _decide(recommendation_id, decision):
    """遴选: 入选 creates or links the expert (with a set-password mail), 未入选 records the decision."""
    recommendation = pool.get_recommendation_or_404(recommendation_id)
    back = url_for("admin.expert_recommendations", year=recommendation.year)
    try:
        if decision == "select":
            expert, created = pool.select_recommendation(recommendation, recommendation.year, current_user)
            message = (f"{recommendation.name}已入选，评委账号 {expert.user.username}，设置密码链接已发往 {expert.email}。"
                       if created else f"{recommendation.name}已入选，已关联评委库中的{expert.name}"
                       f"（{expert.user.username if expert.user else ''}）。")
        else:
            pool.decline_recommendation(recommendation, current_user)
            message = f"{recommendation.name}未入选。"
    except pool.ExpertError as error:
        db.session.rollback()
        flash(str(error), "error")
        return htmx_redirect(back)
    db.session.commit()
    flash(message, "success")
    return htmx_redirect(back)


@bp.post("/experts/recommendations/<int:recommendation_id>/select", endpoint="select_recommendation")
@secretariat_required
def select_recommendation(recommendation_id):
    """入选."""
    return _decide(recommendation_id, "select")


@bp.post("/experts/recommendations/<int:recommendation_id>/decline", endpoint="decline_recommendation")
@secretariat_required
def decline_recommendation(recommendation_id):
    """未入选."""
    return _decide(recommendation_id, "decline")


@bp.get("/experts/recommendations/files/<int:file_id>", endpoint="recommendation_file")
@secretariat_required
def recommendation_file(file_id):
    """A proof file (证明材料) of a recommendation: PDF and images inline (sandboxed)."""
    file = db.session.get(ExpertRecommendationFile, file_id)
    if file is None:
        abort(404)
    return uploads.send_stored(file.stored_file, download=request.args.get("download") == "1")


@bp.get("/experts", endpoint="experts")
@secretariat_required
def experts():
    """评委库: every expert with login, kinds, recommending unit, state and signature."""
    q = request.args.get("q", "")
    return render("admin/experts/index.html", "admin/experts/_table.html",
                  pagination=pool.experts(q, request.args.get("page", 1, type=int)), q=q,
                  kinds_label=pool.kinds_label)


def _form_page(form, expert=None, status=200):
    return render("admin/experts/form.html", "admin/experts/_form.html", status=status, form=form, expert=expert,
                  kinds=EXPERT_KINDS)


@bp.route("/experts/new", methods=["GET", "POST"], endpoint="new_expert")
@secretariat_required
def new_expert():
    """新增评委: a login zj<year><nnn> and a mail with a set-password link."""
    if request.method == "GET":
        return _form_page(pool.form_for())
    form, cleaned = pool.parse(request.form)
    if cleaned is None:
        return _form_page(form, status=422)
    expert = pool.create_expert(cleaned, declaration_period().year, current_user)
    db.session.commit()
    flash(f"已新增评委{expert.name}，登录账号 {expert.user.username}，设置密码链接已发往 {expert.email}。", "success")
    return htmx_redirect(url_for("admin.experts"))


@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"], endpoint="edit_expert")
@secretariat_required
def edit_expert(expert_id):
    """编辑 an expert's data and kinds."""
    expert = pool.get_or_404(expert_id)
    if request.method == "GET":
        return _form_page(pool.form_for(expert), expert)
    form, cleaned = pool.parse(request.form, expert)
    if cleaned is None:
        return _form_page(form, expert, status=422)
    pool.update_expert(expert, cleaned, current_user)
    db.session.commit()
    flash(f"已保存评委{expert.name}的信息。", "success")
    return htmx_redirect(url_for("admin.experts"))


def _toggle(expert_id, enabled):
    expert = pool.get_or_404(expert_id)
    if pool.set_enabled(expert, enabled, current_user):
        db.session.commit()
        flash(f"已{'启用' if enabled else '停用'}评委{expert.name}。", "success")
    return htmx_redirect(url_for("admin.experts"))


@bp.post("/experts/<int:expert_id>/disable", endpoint="disable_expert")
@secretariat_required
def disable_expert(expert_id):
    """停用 an expert: the login stops at once."""
    return _toggle(expert_id, False)


@bp.post("/experts/<int:expert_id>/enable", endpoint="enable_expert")
@secretariat_required
def enable_expert(expert_id):
    """启用 an expert again."""
    return _toggle(expert_id, True)


@bp.post("/experts/<int:expert_id>/password-link", endpoint="expert_password_link")
@secretariat_required
def expert_password_link(expert_id):
    """重置密码: mail the expert a new single-use set-password link."""
    expert = pool.get_or_404(expert_id)
    try:
        pool.send_password_link(expert, current_user)
    except pool.ExpertError as error:
        flash(str(error), "error")
        return htmx_redirect(url_for("admin.experts"))
    db.session.commit()
    flash(f"设置密码链接已发往 {expert.email}（7天内有效，单次使用）。", "success")
    return htmx_redirect(url_for("admin.experts"))


@bp.post("/experts/<int:expert_id>/signature", endpoint="upload_expert_signature")
@secretariat_required
def upload_expert_signature(expert_id):
    """上传签章: PNG or JPEG, at most 1 MB."""
    expert = pool.get_or_404(expert_id)
    try:
        pool.set_signature(expert, request.files.get("signature"), current_user)
    except uploads.UploadError as error:
        db.session.rollback()
        flash(f"{expert.name}的签章未上传：{error}", "error")
        return htmx_redirect(url_for("admin.edit_expert", expert_id=expert.id))
    db.session.commit()
    flash(f"已上传评委{expert.name}的签章。", "success")
    return htmx_redirect(url_for("admin.edit_expert", expert_id=expert.id))


@bp.get("/experts/<int:expert_id>/signature", endpoint="expert_signature")
@secretariat_required
def expert_signature(expert_id):
    """The signature image (inline, sandboxed)."""
    expert = pool.get_or_404(expert_id)
    if expert.signature_file is None:
        abort(404)
    return uploads.send_stored(expert.signature_file)
