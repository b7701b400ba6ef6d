"""评审管理 — 评分矩阵 (B13, C-S9): each 专业组's declarations with every expert's submitted total, the stored mean and
the outliers; 重新计算 of the round's means; the xlsx export."""
from flask import flash, request, send_file, url_for
from flask_login import current_user

from app.core import audit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import matrix
from app.review import results as result_service
from app.review import rounds as round_service
from app.review.aggregation import OUTLIER_TITLE
from app.secretariat.views import bp

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen_round(year):
    rounds = matrix.round_choices(year)
    wanted = request.args.get("round", type=int)
    return rounds, next((r for r in rounds if r.id == wanted), rounds[0] if rounds else None)


def _group_filter(group_options):
    wanted = request.args.get("group", type=int)
    return wanted if wanted in dict(group_options) else None


@bp.get("/review/matrix", endpoint="review_matrix")
@secretariat_required
def review_matrix():
    """评分矩阵 of a round: per 专业组 block, paginated, filter by 专业组; 重新计算; 导出Excel."""
    year = current_declaration_period().year  # worked out once per request
    rounds, review_round = _chosen_round(year)
    group_options = matrix.groups(review_round) if review_round else []
    group_id = _group_filter(group_options)
    page_no = max(request.args.get("page", 1, type=int), 1)
    blocks, total = matrix.page(review_round, group_id, page_no, group_list=group_options) if review_round \
        else ([], 0)
    return render("admin/review/matrix.html", "admin/review/_matrix.html", year=year,
                  rounds=rounds, review_round=review_round, group_options=group_options, group_id=group_id,
                  blocks=blocks, total=total, page_no=page_no, page_size=matrix.PAGE_SIZE,
                  outlier_title=OUTLIER_TITLE, team=review_round is not None and review_round.kind == "team")


@bp.post("/review/rounds/<int:round_id>/recompute", endpoint="recompute_round_results")
@secretariat_required
def recompute_round_results(round_id):
    """重新计算: every mean of the round from the submitted, non-avoided sheets."""
    review_round = round_service.get_round_or_404(round_id)
    back = url_for("admin.review_matrix", round=round_id, group=request.args.get("group", type=int))
    try:
        written = result_service.recompute_round(review_round, current_user)
    except round_service.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return htmx_redirect(back)
    db.session.commit()
    flash(f"已重新计算：{written}项成果的结果有变化。" if written else "已重新计算：结果没有变化。", "success")
    return htmx_redirect(back)


@bp.get("/review/rounds/<int:round_id>/matrix.xlsx", endpoint="export_review_matrix")
@secretariat_required
def export_review_matrix(round_id):
    """评分矩阵 as xlsx (all 专业组, or the one filtered)."""
    review_round = round_service.get_round_or_404(round_id)
    group_id = _group_filter(matrix.groups(review_round))
    fileobj = matrix.export(review_round, group_id)
    name = f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label}评分矩阵"
    audit.record("review_matrix.export", f"导出评分矩阵：{name}", target=review_round,
                 detail={"group_id": group_id}, actor=current_user)
    db.session.commit()
    return send_file(fileobj, mimetype=XLSX_TYPE, as_attachment=True, download_name=f"{name}.xlsx")
