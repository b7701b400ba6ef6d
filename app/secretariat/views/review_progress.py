"""评审管理 (C-S9): 评审进度 — each expert's counts and submission, 查看打分 (read-only), 驳回 with a reason (B7 rule 8)
and 导出打分表 (专家打分情况, B13). The secretariat never changes a score (B15)."""
import io

from flask import flash, request, send_file, url_for
from flask_login import current_user

from app.core import audit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import matrix
from app.review import progress as service
from app.review import rounds as round_service
from app.review import score_export
from app.secretariat.views import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen_round(year):
    rounds = matrix.round_choices(year)  # the picker needs no rubrics
    wanted = request.args.get("round", type=int)
    return rounds, next((r for r in rounds if r.id == wanted), rounds[0] if rounds else None)


@bp.get("/review/progress", endpoint="review_progress")
@secretariat_required
def review_progress():
    """评审进度: per expert of the round 专业组 · 应评数 · 已评数 · 回避数 · 提交状态 · 提交时间, with 查看打分 · 驳回 ·
    导出打分表."""
    year = current_declaration_period().year
    rounds, review_round = _chosen_round(year)
    filters = service.parse_filters(request.args)
    page = service.expert_progress(review_round, filters, request.args.get("page", 1, type=int)) \
        if review_round else None
    return render("admin/review/progress.html", "admin/review/_progress.html",
                  year=year, rounds=rounds, review_round=review_round,
                  pagination=page,
                  filters=filters, groups=service.round_groups(review_round) if review_round else [],
                  state_labels=service.STATE_LABELS,
                  query={k: v for k, v in filters.items() if v})


def _expert_context(round_id, expert_id):
    review_round = round_service.get_round_or_404(round_id)
    expert, member = service.membership_or_404(review_round, expert_id)
    return review_round, expert, member


@bp.get("/review/rounds/<int:round_id>/progress/<int:expert_id>", endpoint="review_expert_scores")
@secretariat_required
def review_expert_scores(round_id, expert_id):
    """查看打分: the expert's sheets in the round, read-only (items, 总分, 总体评价, 推荐意见等级)."""
    review_round, expert, member = _expert_context(round_id, expert_id)
    return render("admin/review/expert_scores.html", "admin/review/expert_scores.html",
                  review_round=review_round, expert=expert, member=member,
                  views=service.expert_sheets(review_round, expert, member),
                  submitted_at=service.submitted_at(review_round, expert),
                  points_text=round_service.points_text)


def _reject_page(review_round, expert, member, reason="", error="", status=200):
    return render("admin/review/reject.html", "admin/review/_reject.html", status=status,
                  review_round=review_round, expert=expert, member=member, reason=reason, error=error,
                  submitted_at=service.submitted_at(review_round, expert), limit=service.REASON_LIMIT)


@bp.route("/review/rounds/<int:round_id>/progress/<int:expert_id>/reject", methods=["GET", "POST"],
          endpoint="reject_expert_scores")
@secretariat_required
def reject_expert_scores(round_id, expert_id):
    """驳回: the expert's submission is reopened with a reason; the expert is mailed."""
    review_round, expert, member = _expert_context(round_id, expert_id)
    if request.method == "GET":
        try:
            service.check_rejectable(review_round)
        except round_service.ReviewError as error:  # said before anything is typed
            return _reject_page(review_round, expert, member, error=str(error))
        return _reject_page(review_round, expert, member)
    reason = request.form.get("reason", "")
    try:
        mail = service.reject(review_round, expert, member, reason, current_user)
    except round_service.ReviewError as error:
        db.session.rollback()
        review_round, expert, member = _expert_context(round_id, expert_id)
        return _reject_page(review_round, expert, member, reason[:2000], str(error), status=422)
    db.session.commit()
    flash(service.REJECTED_FLASH + ("" if mail else "（该专家没有E-mail，未发送邮件。）"), "success")
    return htmx_redirect(url_for("admin.review_progress", round=round_id))


@bp.get("/review/rounds/<int:round_id>/progress/<int:expert_id>/export", endpoint="export_expert_scores")
@secretariat_required
def export_expert_scores(round_id, expert_id):
    """导出打分表: 专家打分情况 xlsx of the expert in the round (signature image and 时间 at the foot)."""
    review_round, expert, member = _expert_context(round_id, expert_id)
    data = score_export.export(review_round, expert, member, service.submitted_at(review_round, expert))
    audit.record("score.export", f"导出专家打分情况：{expert.name}（{service.round_name(review_round)}）",
                 target=review_round, detail={"expert_id": expert.id}, actor=current_user)
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=score_export.filename(review_round, expert))
