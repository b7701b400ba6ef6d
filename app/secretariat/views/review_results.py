"""评审结果 (C-S9): 成果得分 of the 当前申报年度 per kind, 决赛入围, 定级 with live counts, overrides, 定级锁定, exports."""
from flask import abort, flash, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import award_exports, award_lock
from app.review import award_levels as levels
from app.review import awards as service
from app.review.models import AWARD_LEVELS, EXPERT_KINDS
from app.review.rounds import ReviewError
from app.secretariat.views import bp
from app.secretariat.views.declarations import XLSX_TYPE


def _board(kind):
    if not service.check_kind(kind):
        abort(404)
    return service.board(current_declaration_period().year, kind)


def _page(the_board, errors=None, form=None, level_form=None, status=200):
    level_form = level_form or levels.level_form(the_board.plan)
    preview = None
    if level_form.params is not None or not level_form.errors:
        params = level_form.params if level_form.params is not None else levels.plan_params(the_board.plan)
        preview = levels.counts(levels.compute_levels(the_board, level_form.mode, params))
    rows, page_no = service.page_of(the_board.rows, request.args.get("page", 1, type=int))
    return render("admin/review_results/index.html", "admin/review_results/_results.html", status=status,
                  board=the_board, rows=rows, page_no=page_no, page_size=service.PAGE_SIZE,
                  kinds=EXPERT_KINDS, errors=errors or {}, form=form or {}, level_form=level_form, preview=preview,
                  mode_labels=levels.MODE_LABELS, stale=the_board.applied and service.is_stale(the_board))


def _done(kind, message):
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent 应用 / 保存入围 inserted the same results first
        return _refused(kind, CONFLICT_MESSAGE)
    flash(message, "success")
    return htmx_redirect(url_for("admin.review_results", kind=kind))


CONFLICT_MESSAGE = "评审结果刚被其他操作更新，请刷新后重试。"


def _refused(kind, error):
    db.session.rollback()
    flash(str(error), "error")
    return htmx_redirect(url_for("admin.review_results", kind=kind))


@bp.get("/review/results", endpoint="review_results")
@secretariat_required
def review_results():
    """评审结果: 成果得分 (ranked, paginated), 决赛入围, 定级 and 定级锁定 of a kind (?kind=team, 小组成果 first)."""
    return _page(_board(request.args.get("kind") or "group"))


@bp.get("/review/results/<kind>/levels/preview", endpoint="preview_award_levels")
@secretariat_required
def preview_award_levels(kind):
    """The counts per level the typed 定级 parameters would give (htmx, on every change; writes nothing)."""
    the_board = _board(kind)
    form = levels.parse_levels(request.args)
    preview = None
    if not form.errors:
        preview = levels.counts(levels.compute_levels(the_board, form.mode, form.params))
    return render_template("admin/review_results/_level_counts.html", board=the_board, level_form=form,
                           preview=preview)


@bp.post("/review/results/<kind>/levels", endpoint="apply_award_levels")
@secretariat_required
def apply_award_levels(kind):
    """应用: write the levels of every accepted declaration of the kind."""
    the_board = _board(kind)
    form = levels.parse_levels(request.form)
    if form.errors:
        return _page(the_board, level_form=form, status=422)
    try:
        tally = service.apply_levels(the_board, form, current_user)
    except ReviewError as error:
        return _refused(kind, error)
    except IntegrityError:
        return _refused(kind, CONFLICT_MESSAGE)
    return _done(kind, "已应用定级：" + "，".join(f"{k}{v}项" for k, v in tally.items()) + "。")


@bp.post("/review/results/<kind>/finalists", endpoint="set_finalists")
@secretariat_required
def set_finalists(kind):
    """保存入围: 决赛入围数 and 优胜杯数."""
    the_board = _board(kind)
    try:
        errors = service.set_finalists(the_board, request.form, current_user)
    except ReviewError as error:
        return _refused(kind, error)
    except IntegrityError:
        return _refused(kind, CONFLICT_MESSAGE)
    if errors:
        db.session.rollback()
        return _page(_board(kind), errors, dict(request.form), status=422)
    tied = len(the_board.tied)
    return _done(kind, f"已保存决赛入围：{len(the_board.finalists)}项入围"
                 + (f"，其中{tied}项在分数线上并列，请逐项确定是否入围" if tied else "") + "。")


@bp.post("/review/results/<kind>/finalists/<int:declaration_id>", endpoint="toggle_finalist")
@secretariat_required
def toggle_finalist(kind, declaration_id):
    """确定入围 / 取消入围 of one declaration tied at the boundary."""
    the_board = _board(kind)
    include = request.form.get("include") == "1"
    try:
        row = service.toggle_finalist(the_board, declaration_id, include, current_user)
    except ReviewError as error:
        return _refused(kind, error)
    return _done(kind, f"已{'确定入围' if include else '取消入围'}：{row.decl_no}。")


def _override_page(the_board, row, errors=None, form=None, status=200):
    return render("admin/review_results/override.html", "admin/review_results/_override_form.html",
                  status=status, board=the_board, row=row, errors=errors or {},
                  form=form or {"level": row.level, "reason": ""}, levels=AWARD_LEVELS)


def _row_or_404(the_board, declaration_id):
    row = next((r for r in the_board.rows if r.declaration_id == declaration_id), None)
    if row is None:
        abort(404)
    return row


@bp.route("/review/results/<kind>/declarations/<int:declaration_id>/level", methods=["GET", "POST"],
          endpoint="override_award_level")
@secretariat_required
def override_award_level(kind, declaration_id):
    """调整等级: one declaration's 评定等级 with a required reason."""
    the_board = _board(kind)
    row = _row_or_404(the_board, declaration_id)
    if request.method == "GET":
        return _override_page(the_board, row)
    form = {"level": (request.form.get("level") or "")[:8],
            "reason": (request.form.get("reason") or "")[:600]}
    try:
        errors = service.override_level(the_board, declaration_id, form["level"], form["reason"],
                                        current_user)
    except ReviewError as error:
        return _refused(kind, error)
    if errors:
        db.session.rollback()
        return _override_page(the_board, row, errors, form, status=422)
    return _done(kind, f"已将{row.decl_no}的评定等级调整为{form['level']}。")


@bp.post("/review/results/<kind>/lock", endpoint="lock_awards")
@secretariat_required
def lock_awards(kind):
    """定级锁定 with the 评审委员会 date (and 确认以现有评分定级 when results are incomplete)."""
    the_board = _board(kind)
    try:
        errors = award_lock.lock(the_board, request.form, current_user)
    except ReviewError as error:
        return _refused(kind, error)
    if errors:
        db.session.rollback()
        return _page(_board(kind), errors, dict(request.form), status=422)
    return _done(kind, f"已定级锁定{the_board.kind_label}：评分、回避和等级均已只读。")


@bp.post("/review/results/<kind>/unlock", endpoint="unlock_awards")
@secretariat_required
def unlock_awards(kind):
    """解除锁定 with a reason."""
    the_board = _board(kind)
    try:
        errors = award_lock.unlock(the_board, request.form.get("unlock_reason"), current_user)
    except ReviewError as error:
        return _refused(kind, error)
    if errors:
        db.session.rollback()
        return _page(_board(kind), errors, dict(request.form), status=422)
    return _done(kind, f"已解除{the_board.kind_label}的定级锁定。")


@bp.post("/review/results/<kind>/recompute", endpoint="recompute_results")
@secretariat_required
def recompute_results(kind):
    """重新计算 the round means of the kind's rounds."""
    the_board = _board(kind)
    try:
        written = service.recompute(the_board, current_user)
    except ReviewError as error:
        return _refused(kind, error)
    return _done(kind, f"已重新计算成果得分（更新{written}项）。")


def _export(kind, builder, name, action, **options):
    the_board = _board(kind)
    fileobj = builder(the_board, **options)
    title = f"{the_board.year}年{the_board.kind_label}{name}"
    audit.record(action, f"导出{title}", detail={"year": the_board.year, "kind": kind}, actor=current_user)
    db.session.commit()
    return send_file(fileobj, mimetype=XLSX_TYPE, as_attachment=True, download_name=f"{title}.xlsx")


@bp.get("/review/results/<kind>/export", endpoint="export_results")
@secretariat_required
def export_results(kind):
    """成果得分 as xlsx."""
    return _export(kind, award_exports.score_sheet, "成果得分", "award.export")


@bp.get("/review/results/<kind>/opinions", endpoint="export_group_opinions")
@secretariat_required
def export_group_opinions(kind):
    """专家组意见表 as xlsx: every 专业组, or one (?group=id) for signatures on paper."""
    group_id = request.args.get("group", type=int)
    return _export(kind, award_exports.opinion_sheet, "专家组意见表", "award.export_opinions", group_id=group_id)
