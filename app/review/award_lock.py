"""定级锁定 (spec B8.2, B10): the 评审委员会 date, 确认以现有评分定级 when results are incomplete, the rounds of
the year and kind locked (scores and 回避 read-only); 解除锁定 with a reason. Both audited; services flush."""
from datetime import date

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.review.award_levels import plain
from app.review.awards import ensure_unlocked, stored_plan, is_stale, year_rounds
from app.review.rounds import ReviewError


def _parse_date(text):
    try:
        return date.fromisoformat(plain(text))
    except ValueError:
        return None


def lock(the_board, data, actor):
    """定级锁定 (B8.2, B10): records the 评审委员会 date; refused while results are incomplete unless confirmed with
    a reason; locks the year's rounds of the kind. Returns {field: message} when refused."""
    ensure_unlocked(the_board)
    values = {k: (data.get(k) or "").strip() for k in ("meeting_on", "incomplete_reason")}
    confirmed = data.get("confirm_incomplete") == "1"
    errors = {}
    meeting_on = _parse_date(values["meeting_on"])
    if meeting_on is None:
        errors["meeting_on"] = "请填写评审委员会审定日期（如2027-08-20）。"
    if is_stale(the_board):
        errors["lock"] = "定级结果不是最新的（评分、入围或参评成果已变化），请先应用定级。"
    incomplete = the_board.incomplete
    reason = values["incomplete_reason"]
    if incomplete:
        if not confirmed or not reason:
            names = "、".join(r.decl_no for r in incomplete[:10]) + ("等" if len(incomplete) > 10 else "")
            errors["incomplete_reason"] = (f"以下{len(incomplete)}项成果评分未完成：{names}。如确认以现有评分定级，"
                                           "请勾选“确认以现有评分定级”并填写原因。")
        elif len(reason) > 500:
            errors["incomplete_reason"] = "原因不能超过500字。"
        elif control_char_error(reason, "原因"):
            errors["incomplete_reason"] = control_char_error(reason, "原因")
    if errors:
        return errors
    now = utcnow()
    plan = stored_plan(the_board.year, the_board.kind)
    plan.meeting_on, plan.locked_at, plan.locked_by_id = meeting_on, now, getattr(actor, "id", None)
    plan.incomplete_reason = reason if incomplete else ""
    for review_round in year_rounds(the_board.year, the_board.kind).values():
        review_round.is_locked, review_round.locked_at = True, now
    db.session.flush()
    audit.record("award.lock", f"定级锁定：{the_board.year}年度{the_board.kind_label}，评审委员会审定日期{meeting_on}"
                 + (f"；确认以现有评分定级（{len(incomplete)}项评分未完成）：{reason}" if incomplete else ""),
                 target=plan, detail={"meeting_on": meeting_on, "incomplete": len(incomplete),
                                      "incomplete_reason": plan.incomplete_reason}, actor=actor)
    return {}


def unlock(the_board, reason, actor):
    """解除锁定 with a reason (audited); refused after 正式发布. Returns {field: message} when refused."""
    if not the_board.is_locked:
        raise ReviewError("定级尚未锁定。")
    if the_board.plan.published_at is not None:
        raise ReviewError("评审结果已正式发布，不能解除锁定。")
    reason = (reason or "").strip()
    if not reason:
        return {"unlock_reason": "请填写解除锁定的原因。"}
    if len(reason) > 500:
        return {"unlock_reason": "原因不能超过500字。"}
    if control_char_error(reason, "原因"):
        return {"unlock_reason": control_char_error(reason, "原因")}
    plan = the_board.plan
    plan.locked_at, plan.locked_by_id = None, None
    for review_round in year_rounds(the_board.year, the_board.kind).values():
        review_round.is_locked, review_round.locked_at = False, None
    db.session.flush()
    audit.record("award.unlock", f"解除定级锁定：{the_board.year}年度{the_board.kind_label}（{reason}）",
                 target=plan, detail={"reason": reason}, actor=actor)
    return {}
