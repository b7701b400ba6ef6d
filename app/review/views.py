"""The review blueprint: 成果评审, the experts' workspace (spec B7, C-E2, C-E3)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.core.extensions import db
from app.core.permissions import role_required
from app.core.uploads import send_stored
from app.declarations.models import FILE_RECORDS, FILE_REPORT, FILE_REPORT_PDF, TOPIC_TYPES, DeclarationFile
from app.review import leader, scoring, self_avoidance
from app.review.models import RECOMMEND_LEVELS, ROUND_OPEN, SHEET_SUBMITTED, GroupConfirmation
from app.review.rounds import ReviewError, points_text

bp = Blueprint("review", __name__)

EXPERT_FILES = (FILE_REPORT, FILE_REPORT_PDF, FILE_RECORDS)
FILE_LABELS = {FILE_REPORT: "成果报告书（Word）", FILE_REPORT_PDF: "成果报告书（PDF）", FILE_RECORDS: "活动记录"}


def _list_context(expert, review_round, member, rounds):
    rows = scoring.workspace(review_round, expert, member)
    done, due = scoring.progress(rows)
    shown, filters = scoring.filter_rows(rows, request.args)
    return {"review_round": review_round, "rounds": rounds, "rows": shown, "done": done, "due": due,
            "submitted": scoring.is_submitted(rows), "filters": filters, "topic_types": TOPIC_TYPES,
            "is_open": review_round.status() == ROUND_OPEN, "group_name": member.group.name,
            "is_leader": member.is_leader, "tab": "list",
            "confirmed": db.session.get(GroupConfirmation, member.group_id) is not None}


@bp.get("/")
@role_required("expert")
def index():
    """成果评审: the declarations of the expert's group in a started round, with progress and filters."""
    expert = scoring.expert_of(current_user)
    rounds = scoring.expert_rounds(expert)
    if not rounds:
        return render_template("review/index.html", review_round=None, rounds=[], tab="list")
    chosen = request.args.get("round", type=int)
    review_round, member = next(((r, m) for r, m in rounds if r.id == chosen), rounds[0])
    return render_template("review/index.html", **_list_context(expert, review_round, member, rounds))


def _context(round_id, declaration_id):
    expert = scoring.expert_of(current_user)
    review_round, member = scoring.membership_or_404(expert, round_id)
    declaration = scoring.declaration_or_refuse(review_round, member, expert, declaration_id)
    return expert, review_round, member, declaration


def _render_sheet(expert, review_round, declaration, values=None, errors=None, status=200, form=None):
    sheet = scoring.sheet_of(review_round, expert, declaration)
    stored = scoring.item_values(sheet)
    items = scoring.rubric_items(review_round, declaration)
    files = db.session.execute(db.select(DeclarationFile).where(
        DeclarationFile.declaration_id == declaration.id, DeclarationFile.purpose.in_(EXPERT_FILES))
        .order_by(DeclarationFile.id)).scalars().all()
    form = form or {}
    editable = review_round.status() == ROUND_OPEN and (sheet is None or sheet.status != SHEET_SUBMITTED)
    return render_template(
        "review/sheet.html", review_round=review_round, declaration=declaration, sheet=sheet,
        rubric_rows=items, stored=stored, values=values if values is not None else stored,
        errors=errors or {}, files=files, file_labels=FILE_LABELS, editable=editable, levels=RECOMMEND_LEVELS,
        points_text=points_text,
        closed_message=scoring.closed_message(review_round),
        comment=form.get("comment", sheet.overall_comment if sheet else ""),
        level=form.get("level", sheet.recommend_level if sheet else ""),
        total=points_text(sheet.total_c) if sheet and sheet.saved_at else ""), status


@bp.get("/rounds/<int:round_id>/declarations/<int:declaration_id>")
@role_required("expert")
def sheet(round_id, declaration_id):
    """评分: the declaration's data, its files and the rubric table with 得分 inputs."""
    expert, review_round, _member, declaration = _context(round_id, declaration_id)
    return _render_sheet(expert, review_round, declaration)


@bp.post("/rounds/<int:round_id>/declarations/<int:declaration_id>")
@role_required("expert")
def save_sheet(round_id, declaration_id):
    """保存: the changed 得分 are stored, 总分 is computed on the server."""
    expert, review_round, _member, declaration = _context(round_id, declaration_id)
    try:
        saved = scoring.save(review_round, expert, declaration, request.form, current_user)
    except scoring.ScoreErrors as error:
        db.session.rollback()
        values = {item.id: request.form.get(f"item_{item.id}", "")
                  for item in scoring.rubric_items(review_round, declaration)}
        return _render_sheet(expert, review_round, declaration, values, error.errors, 422, request.form)
    except ReviewError as error:
        db.session.rollback()
        values = {item.id: request.form.get(f"item_{item.id}", "")
                  for item in scoring.rubric_items(review_round, declaration)}
        errors = {"sheet": str(error)}
        return _render_sheet(expert, review_round, declaration, values, errors, 409, request.form)
    total, complete = points_text(saved.total_c), saved.is_complete
    db.session.commit()
    flash(f"已保存，总分{total}。" + ("" if complete else "尚有评审项目未评分。"), "success")
    return redirect(url_for("review.sheet", round_id=round_id, declaration_id=declaration_id))


@bp.get("/rounds/<int:round_id>/declarations/<int:declaration_id>/files/<int:file_id>")
@role_required("expert")
def declaration_file(round_id, declaration_id, file_id):
    """成果报告书 / 活动记录 of an assigned, non-avoided declaration (PDF inline, Word download)."""
    _expert, _round, _member, declaration = _context(round_id, declaration_id)
    row = db.session.get(DeclarationFile, file_id)
    if row is None or row.declaration_id != declaration.id or row.purpose not in EXPERT_FILES:
        abort(404)
    return send_stored(row.stored_file)


def _round_action(round_id, action, done_message):
    expert = scoring.expert_of(current_user)
    review_round, member = scoring.membership_or_404(expert, round_id)
    try:
        result = action(review_round, expert, member)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done_message(result), "success")
    return redirect(url_for("review.index", round=round_id))


@bp.post("/rounds/<int:round_id>/submit")
@role_required("expert")
def submit(round_id):
    """提交最终打分结果."""
    return _round_action(round_id, lambda r, e, m: scoring.submit(r, e, m, current_user),
                         lambda count: f"已提交{count}项成果的最终打分结果。")


@bp.post("/rounds/<int:round_id>/withdraw")
@role_required("expert")
def withdraw(round_id):
    """撤回打分提交."""
    return _round_action(round_id, lambda r, e, m: scoring.withdraw(r, e, m, current_user),
                         lambda _result: "已撤回打分提交，可以修改评分后重新提交。")


# ---- 申请回避 (spec B5 self, D23) ---------------------------------------------------------------------

def _render_avoid(review_round, declaration, reason="", errors=None, status=200):
    return render_template("review/avoid.html", review_round=review_round, declaration=declaration,
                           reason=reason, errors=errors or {}, limit=self_avoidance.REASON_LIMIT), status


@bp.get("/rounds/<int:round_id>/declarations/<int:declaration_id>/avoid")
@role_required("expert")
def avoid_form(round_id, declaration_id):
    """申请回避: the reason form for a declaration of the expert's group."""
    _expert, review_round, _member, declaration = _context(round_id, declaration_id)
    return _render_avoid(review_round, declaration)


@bp.post("/rounds/<int:round_id>/declarations/<int:declaration_id>/avoid")
@role_required("expert")
def request_avoidance(round_id, declaration_id):
    """申请回避: takes effect at once, the secretariat is mailed; refused after submission."""
    expert, review_round, _member, declaration = _context(round_id, declaration_id)
    reason = request.form.get("reason", "")
    try:
        self_avoidance.request(review_round, expert, declaration, reason, current_user)
    except self_avoidance.AvoidanceErrors as error:
        db.session.rollback()
        return _render_avoid(review_round, declaration, reason, error.errors, 422)
    except ReviewError as error:
        db.session.rollback()
        return _render_avoid(review_round, declaration, reason, {"form": str(error)}, 409)
    db.session.commit()
    flash(f"已申请回避成果{declaration.decl_no}，秘书处已收到通知。", "success")
    return redirect(url_for("review.index", round=round_id))


# ---- 组长: 本组情况, 专家组意见表, 组长确认 (spec B4, B10, C-E4) --------------------------------------------

def _leader_context(round_id):
    expert = scoring.expert_of(current_user)
    review_round, member = scoring.membership_or_404(expert, round_id)
    leader.leader_or_403(member)
    return expert, review_round, member, scoring.expert_rounds(expert)


def _render_group(review_round, member, rounds, values=None, errors=None, status=200):
    view = leader.overview(review_round, member.group)
    return render_template("review/group.html", review_round=review_round, rounds=rounds, view=view,
                           group_name=member.group.name, is_leader=True, tab="group",
                           is_open=review_round.status() == ROUND_OPEN, levels=leader.SUGGESTED_LEVELS,
                           values=values or {}, errors=errors or {}, limit=leader.OPINION_LIMIT), status


def _typed(form):
    return {key: form.get(key, "") for key in form if key.startswith(("level_", "opinion_"))}


@bp.get("/rounds/<int:round_id>/group")
@role_required("expert")
def group(round_id):
    """本组情况 (组长 only): members' progress and submission, then the 专家组意见表 once all have submitted."""
    _expert, review_round, member, rounds = _leader_context(round_id)
    return _render_group(review_round, member, rounds)


def _group_action(round_id, action, done_message):
    _expert, review_round, member, rounds = _leader_context(round_id)
    try:
        result = action(review_round, member.group, request.form, current_user)
    except leader.OpinionErrors as error:
        db.session.rollback()
        return _render_group(review_round, member, rounds, _typed(request.form), error.errors, 422)
    except ReviewError as error:
        db.session.rollback()
        return _render_group(review_round, member, rounds, _typed(request.form), {"form": str(error)}, 409)
    db.session.commit()
    flash(done_message(result), "success")
    return redirect(url_for("review.group", round_id=round_id))


@bp.post("/rounds/<int:round_id>/group")
@role_required("expert")
def save_opinions(round_id):
    """保存 建议等级 and 专家组意见."""
    return _group_action(round_id, leader.save_opinions, lambda changed: f"已保存专家组意见（修改{changed}项）。")


@bp.post("/rounds/<int:round_id>/group/confirm")
@role_required("expert")
def confirm_group(round_id):
    """组长确认: ends withdrawals for the group."""
    return _group_action(round_id, leader.confirm,
                         lambda _result: "已确认本组评审结果，本组专家不能再撤回打分提交。")


@bp.get("/rounds/<int:round_id>/group/print")
@role_required("expert")
def print_opinions(round_id):
    """打印专家组意见表: a print page with signature lines, once every member has submitted."""
    _expert, review_round, member, _rounds = _leader_context(round_id)
    view = leader.overview(review_round, member.group)
    if not view.all_submitted:
        flash(leader.NOT_ALL_SUBMITTED.replace("填写专家组意见", "打印专家组意见表"), "error")
        return redirect(url_for("review.group", round_id=round_id))
    return render_template("review/group_print.html", review_round=review_round, view=view,
                           group_name=member.group.name)
