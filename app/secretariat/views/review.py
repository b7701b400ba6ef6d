"""评审管理 (C-S6, C-S7): 评审轮次 of the 当前申报年度, 评分表 (copy to a year, edit until frozen) and 专业组管理."""
from flask import flash, request, url_for
from flask_login import current_user

from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import groups as group_service
from app.review import rounds as service
from app.review.models import EXPERT_KINDS, ROUND_STATUS_LABELS, STAGE_LABELS
from app.secretariat.views import bp


def _year():
    return current_declaration_period().year


# ---- 评审轮次 ----------------------------------------------------------------------------------------

@bp.get("/review/rounds", endpoint="review_rounds")
@secretariat_required
def review_rounds():
    """评审轮次: the rounds of the 当前申报年度 with 评分表, times and status."""
    return render("admin/review/rounds.html", "admin/review/_rounds.html", rounds=service.rounds(_year()),
                  year=_year(), status_labels=ROUND_STATUS_LABELS)


def _round_page(form, review_round=None, status=200):
    return render("admin/review/round_form.html", "admin/review/_round_form.html", status=status, form=form,
                  review_round=review_round, year=_year(), rubrics=service.rubric_choices(_year()),
                  kinds=EXPERT_KINDS, stages=STAGE_LABELS)


@bp.route("/review/rounds/new", methods=["GET", "POST"], endpoint="new_review_round")
@secretariat_required
def new_review_round():
    """新增评审轮次 for the 当前申报年度."""
    if request.method == "GET":
        return _round_page(service.round_form())
    form, cleaned = service.parse_round(request.form, _year())
    if cleaned is None:
        return _round_page(form, status=422)
    review_round = service.create_round(_year(), cleaned, current_user)
    db.session.commit()
    flash(f"已新增{review_round.kind_label}的{review_round.stage_label}。", "success")
    return htmx_redirect(url_for("admin.review_rounds"))


@bp.route("/review/rounds/<int:round_id>/edit", methods=["GET", "POST"], endpoint="edit_review_round")
@secretariat_required
def edit_review_round(round_id):
    """修改 a round's times and rubrics (the rubrics only before it starts)."""
    review_round = service.get_round_or_404(round_id)
    if request.method == "GET":
        return _round_page(service.round_form(review_round), review_round)
    form, cleaned = service.parse_round(request.form, review_round.year, review_round)
    if cleaned is None:
        return _round_page(form, review_round, status=422)
    service.update_round(review_round, cleaned, current_user)
    db.session.commit()
    flash(f"已保存{review_round.kind_label}的{review_round.stage_label}。", "success")
    return htmx_redirect(url_for("admin.review_rounds"))


# ---- 评分表 ------------------------------------------------------------------------------------------

@bp.get("/review/rubrics", endpoint="review_rubrics")
@secretariat_required
def review_rubrics():
    """评分表: a year's rubrics with 合计 and whether they are frozen; 复制到新年度."""
    year = request.args.get("year", type=int)
    year = year if year and 2000 <= year <= 2100 else _year()
    rubrics, frozen = service.rubrics(year)
    return render("admin/review/rubrics.html", "admin/review/_rubrics.html", rubrics=rubrics, frozen=frozen,
                  year=year, points_text=service.points_text)


@bp.post("/review/rubrics/<int:rubric_id>/copy", endpoint="copy_rubric")
@secretariat_required
def copy_rubric(rubric_id):
    """复制到新年度."""
    rubric = service.get_rubric_or_404(rubric_id)
    year = request.form.get("year", type=int) or 0
    try:
        copy = service.copy_rubric(rubric, year, current_user)
    except service.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return htmx_redirect(url_for("admin.review_rubrics", year=rubric.year))
    db.session.commit()
    flash(f"已将{rubric.name}（{rubric.code}）复制到{year}年度。", "success")
    return htmx_redirect(url_for("admin.edit_rubric", rubric_id=copy.id))


def _rubric_page(rubric, form, frozen, status=200):
    return render("admin/review/rubric.html", "admin/review/_rubric_form.html", status=status, rubric=rubric,
                  form=form, frozen=frozen, points_text=service.points_text)


@bp.route("/review/rubrics/<int:rubric_id>", methods=["GET", "POST"], endpoint="edit_rubric")
@secretariat_required
def edit_rubric(rubric_id):
    """评分表 editor: 序号 · 评审项目 · 评审方法 · 评审内容 · 配分 · 合计; read-only once frozen."""
    rubric = service.get_rubric_or_404(rubric_id)
    frozen = service.is_frozen(rubric)
    if request.method == "GET":
        return _rubric_page(rubric, service.rubric_form(rubric), frozen)
    if frozen:
        return _rubric_page(rubric, service.rubric_form(rubric), frozen, status=409)
    form, cleaned = service.parse_rubric(request.form)
    if cleaned is None:
        return _rubric_page(rubric, form, frozen, status=422)
    service.update_rubric(rubric, cleaned, current_user)
    db.session.commit()
    flash(f"已保存评分表{rubric.name}（合计{service.points_text(rubric.total_c)}分）。", "success")
    return htmx_redirect(url_for("admin.review_rubrics", year=rubric.year))


# ---- 专业组管理 --------------------------------------------------------------------------------------

def _groups_page(review_round=None, errors=None, status=200):
    year = _year()
    rounds = service.rounds(year)
    if review_round is None:
        wanted = request.args.get("round", type=int)
        review_round = next((r for r in rounds if r.id == wanted), rounds[0] if rounds else None)
    groups = group_service.groups(review_round) if review_round else []
    eligible = group_service.eligible_experts(review_round) if review_round else []
    return render("admin/review/groups.html", "admin/review/_groups.html", status=status, year=year, rounds=rounds,
                  review_round=review_round, groups=groups, eligible=eligible, errors=errors or {})


@bp.get("/review/groups", endpoint="review_groups")
@secretariat_required
def review_groups():
    """专业组管理: the chosen round's groups, their members and 组长, and the experts still free in that round."""
    return _groups_page()


def _group_action(review_round, key, action, success):
    """Run a group service call; a refusal re-renders the page with the message beside the form (422)."""
    try:
        action()
    except service.ReviewError as error:
        db.session.rollback()
        return _groups_page(service.get_round_or_404(review_round.id), {key: str(error)}, status=422)
    db.session.commit()
    flash(success, "success")
    return htmx_redirect(url_for("admin.review_groups", round=review_round.id))


@bp.post("/review/rounds/<int:round_id>/groups", endpoint="create_review_group")
@secretariat_required
def create_review_group(round_id):
    """新增专业组."""
    review_round = service.get_round_or_404(round_id)
    name = (request.form.get("name") or "").strip()
    return _group_action(review_round, "new_group",
                         lambda: group_service.create_group(review_round, name, current_user),
                         f"已新增专业组“{name}”。")


@bp.post("/review/groups/<int:group_id>/delete", endpoint="delete_review_group")
@secretariat_required
def delete_review_group(group_id):
    """删除 an empty group."""
    group = group_service.get_group_or_404(group_id)
    review_round, name = group.round, group.name
    return _group_action(review_round, f"group{group.id}",
                         lambda: group_service.delete_group(group, current_user), f"已删除专业组“{name}”。")


@bp.post("/review/groups/<int:group_id>/members", endpoint="add_group_member")
@secretariat_required
def add_group_member(group_id):
    """加入评委 (optionally as 组长)."""
    group = group_service.get_group_or_404(group_id)
    expert_id = request.form.get("expert_id", type=int)
    leader = request.form.get("leader") == "1"
    return _group_action(group.round, f"group{group.id}",
                         lambda: group_service.add_member(group, expert_id, current_user, leader=leader),
                         f"已将评委加入专业组“{group.name}”。")


@bp.post("/review/groups/<int:group_id>/members/<int:member_id>/leader", endpoint="set_group_leader")
@secretariat_required
def set_group_leader(group_id, member_id):
    """设为组长."""
    group = group_service.get_group_or_404(group_id)
    member = group_service.get_member_or_404(group, member_id)
    return _group_action(group.round, f"group{group.id}",
                         lambda: group_service.set_leader(group, member, current_user),
                         f"已将{member.expert.name}设为专业组“{group.name}”的组长。")


@bp.post("/review/groups/<int:group_id>/members/<int:member_id>/remove", endpoint="remove_group_member")
@secretariat_required
def remove_group_member(group_id, member_id):
    """移出 an expert from the group."""
    group = group_service.get_group_or_404(group_id)
    member = group_service.get_member_or_404(group, member_id)
    name = member.expert.name
    return _group_action(group.round, f"group{group.id}",
                         lambda: group_service.remove_member(group, member, current_user),
                         f"已将{name}移出专业组“{group.name}”。")
