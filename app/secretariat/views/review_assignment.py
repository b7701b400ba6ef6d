"""评审管理 (C-S7, C-S8): 成果分组 with 自动分组 (preview, then 确认分组) and manual moves; 回避管理."""
from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import assignment as service
from app.review import avoidance_records as avoidances
from app.review import rounds as round_service
from app.review.models import AVOID_SOURCE_LABELS
from app.secretariat.views import bp

ASSIGNMENT_PAGE = 100


def _chosen_round():
    rounds = round_service.rounds(current_declaration_period().year)
    wanted = request.args.get("round", type=int)
    return rounds, next((r for r in rounds if r.id == wanted), rounds[0] if rounds else None)


# ---- 成果分组 ----------------------------------------------------------------------------------------

def _assignment_filters():
    return {"q": (request.args.get("q") or "").strip()[:100], "topic": (request.args.get("topic") or "")[:20],
            "group": (request.args.get("group") or "")[:12]}


def _assignments_page(rounds, review_round, errors=None, status=200):
    filters = _assignment_filters()
    rows, inputs = service.assignment_rows(review_round, filters) if review_round else ([], None)
    page = max(request.args.get("page", 1, type=int), 1)
    start = (page - 1) * ASSIGNMENT_PAGE
    return render("admin/review/assignments.html", "admin/review/_assignments.html", status=status,
                  year=current_declaration_period().year, rounds=rounds, review_round=review_round,
                  rows=rows[start:start + ASSIGNMENT_PAGE], total=len(rows), start=start, page_no=page,
                  page_size=ASSIGNMENT_PAGE, inputs=inputs, filters=filters,
                  query={k: v for k, v in filters.items() if v}, errors=errors or {},
                  min_experts=service.MIN_EXPERTS)


@bp.get("/review/assignments", endpoint="review_assignments")
@secretariat_required
def review_assignments():
    """成果分组: the round's accepted declarations with their 专业组 and 有效评委数; 分配到专业组, 自动分组."""
    rounds, review_round = _chosen_round()
    return _assignments_page(rounds, review_round)


@bp.post("/review/rounds/<int:round_id>/assignments/<int:declaration_id>", endpoint="move_assignment")
@secretariat_required
def move_assignment(round_id, declaration_id):
    """分配到专业组 (or move to another group)."""
    review_round = round_service.get_round_or_404(round_id)
    declaration = service.get_accepted_or_404(review_round, declaration_id)
    try:
        group_id = request.form.get("group_id", type=int)
        warning = service.move(review_round, declaration, group_id, current_user)
    except round_service.ReviewError as error:
        db.session.rollback()
        rounds = round_service.rounds(review_round.year)
        return _assignments_page(rounds, round_service.get_round_or_404(round_id),
                                 {declaration_id: str(error)}, status=422)
    db.session.commit()
    flash(f"已将成果{declaration.decl_no}分配到专业组。", "success")
    if warning:
        flash(warning, "warning")
    back = {k: v for k, v in {**_assignment_filters(), "page": request.args.get("page", type=int)}.items() if v}
    return htmx_redirect(url_for("admin.review_assignments", round=round_id, **back))


def _preview_page(review_round, message="", status=200):
    result = service.preview(review_round)
    return render("admin/review/auto_group.html", "admin/review/_auto_group.html", status=status,
                  review_round=review_round, plan=result, message=message, min_experts=service.MIN_EXPERTS)


@bp.get("/review/rounds/<int:round_id>/auto-group", endpoint="auto_group_preview")
@secretariat_required
def auto_group_preview(round_id):
    """自动分组 preview: counts per group and 课题类型, 回避 per group, the declarations that could not be placed."""
    return _preview_page(round_service.get_round_or_404(round_id))


@bp.post("/review/rounds/<int:round_id>/auto-group", endpoint="apply_auto_group")
@secretariat_required
def apply_auto_group(round_id):
    """确认分组: applies the preview that was shown, unless the data changed since (then the new preview, 422: the
    status htmx swaps)."""
    review_round = round_service.get_round_or_404(round_id)
    try:
        result = service.apply(review_round, request.form.get("token", ""), current_user)
        db.session.commit()
    except round_service.ReviewError as error:
        db.session.rollback()
        return _preview_page(round_service.get_round_or_404(round_id), str(error), status=422)
    except IntegrityError:  # another 确认分组 of the same round committed first
        db.session.rollback()
        return _preview_page(round_service.get_round_or_404(round_id), service.STALE_MESSAGE, status=422)
    flash(f"已确认分组：{len(result.placed)}项成果已分到专业组"
          + (f"，{len(result.unplaced)}项未能分组" if result.unplaced else "") + "。", "success")
    return htmx_redirect(url_for("admin.review_assignments", round=round_id))


# ---- 回避管理 ----------------------------------------------------------------------------------------

def _avoidances_page(rounds, review_round, errors=None, form=None, status=200):
    filters = avoidances.parse_filters(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = avoidances.records(review_round, filters, page) if review_round else ([], 0)
    experts = avoidances.round_experts(review_round) if review_round else []
    return render("admin/review/avoidances.html", "admin/review/_avoidances.html", status=status,
                  year=current_declaration_period().year, rounds=rounds, review_round=review_round, rows=rows,
                  total=total, page_no=page, page_size=avoidances.PAGE_SIZE, filters=filters, experts=experts,
                  errors=errors or {}, form=form or {}, source_labels=AVOID_SOURCE_LABELS,
                  warnings=avoidances.name_warnings(review_round) if review_round else [],
                  state_labels=avoidances.STATE_LABELS)


@bp.get("/review/avoidances", endpoint="review_avoidances")
@secretariat_required
def review_avoidances():
    """回避管理: every 回避 record of the round (automatic ones for review), filters, 设为回避, 取消回避."""
    rounds, review_round = _chosen_round()
    return _avoidances_page(rounds, review_round)


def _avoidance_action(review_round, key, action, success, form=None):
    try:
        action()
    except round_service.ReviewError as error:
        db.session.rollback()
        review_round = round_service.get_round_or_404(review_round.id)
        return _avoidances_page(round_service.rounds(review_round.year), review_round, {key: str(error)},
                                form, status=422)
    db.session.commit()
    flash(success() if callable(success) else success, "success")
    return htmx_redirect(url_for("admin.review_avoidances", round=review_round.id))


@bp.post("/review/rounds/<int:round_id>/avoidances", endpoint="add_avoidance")
@secretariat_required
def add_avoidance(round_id):
    """设为回避 (manual, reason required)."""
    review_round = round_service.get_round_or_404(round_id)
    form = {k: (request.form.get(k) or "").strip()[:500] for k in ("decl_no", "expert_id", "reason")}
    return _avoidance_action(
        review_round, "new", lambda: avoidances.add_manual(
            review_round, form["decl_no"], request.form.get("expert_id", type=int),
            request.form.get("reason", ""), current_user),
        f"已设为回避：成果{form['decl_no']}。", form)


@bp.post("/review/rounds/<int:round_id>/avoidances/<int:avoidance_id>/cancel", endpoint="cancel_avoidance")
@secretariat_required
def cancel_avoidance(round_id, avoidance_id):
    """取消回避 with a reason."""
    review_round = round_service.get_round_or_404(round_id)
    row = avoidances.get_record_or_404(review_round, avoidance_id)
    reason = request.form.get("reason", "")
    return _avoidance_action(review_round, row.id,
                             lambda: avoidances.cancel(review_round, row, reason, current_user), "已取消回避。")


@bp.post("/review/rounds/<int:round_id>/avoidances/recheck", endpoint="recheck_avoidances")
@secretariat_required
def recheck_avoidances(round_id):
    """重新检查回避: re-run the automatic rules over the round's experts and accepted declarations."""
    review_round = round_service.get_round_or_404(round_id)
    counts = {}

    def run():
        counts["added"], counts["cancelled"] = avoidances.recheck(review_round, current_user)

    return _avoidance_action(review_round, "recheck", run,
                             lambda: f"已重新检查回避：新增{counts['added']}条，取消{counts['cancelled']}条。")
