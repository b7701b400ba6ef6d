"""申请回避 by the expert (spec B5 "self", D23): with a reason, before he or she submits; it takes effect at once
(the declaration leaves the due list, its round mean is recomputed) and the secretariat is mailed."""
from flask import current_app, url_for

from app.core import audit, outbox
from app.core.extensions import db
from app.core.validators import control_char_error
from app.review import results
from app.review.models import (
    AVOID_SELF,
    ROUND_OPEN,
    SHEET_SUBMITTED,
    Avoidance,
    ExpertRoundStatus,
    ScoreSheet,
)
from app.review.rounds import ReviewError
from app.review.scoring import has_submitted, lock_statuses

REASON_LIMIT = 200
SUBMITTED = "已提交打分，不能申请回避。如需回避请先撤回打分提交。"


class AvoidanceErrors(ReviewError):
    """A refused 回避原因: {field: message}."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def clean_reason(raw):
    """The 回避原因 trimmed; AvoidanceErrors when empty, too long or holding control characters."""
    reason = (raw or "").strip()
    if not reason:
        raise AvoidanceErrors({"reason": "请填写回避原因。"})
    if len(reason) > REASON_LIMIT:
        raise AvoidanceErrors({"reason": f"回避原因不能超过{REASON_LIMIT}字。"})
    if problem := control_char_error(reason, "回避原因"):
        raise AvoidanceErrors({"reason": problem})
    return reason


def _submitted(review_round, expert):
    status = db.session.execute(db.select(ExpertRoundStatus).where(
        ExpertRoundStatus.round_id == review_round.id, ExpertRoundStatus.expert_id == expert.id)).scalar()
    if has_submitted(status):
        return True
    return db.session.execute(db.select(ScoreSheet.id).where(
        ScoreSheet.round_id == review_round.id, ScoreSheet.expert_id == expert.id,
        ScoreSheet.status == SHEET_SUBMITTED).limit(1)).first() is not None


def request(review_round, expert, declaration, raw_reason, actor):
    """申请回避 (flushes): an active "self" record for the round, the declaration's mean recomputed, a mail to the
    secretariat queued and the audit entry written. Refused once the round is not open or after submission."""
    reason = clean_reason(raw_reason)
    if review_round.status() != ROUND_OPEN:
        raise ReviewError("评审未在进行中，不能申请回避。")
    lock_statuses(review_round, [expert.id])
    if _submitted(review_round, expert):
        raise ReviewError(SUBMITTED)
    row = Avoidance(declaration_id=declaration.id, expert_id=expert.id, year=review_round.year,
                    round_id=review_round.id, source=AVOID_SELF, reason=reason, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    results.recompute(review_round, [declaration.id])
    recipient = (current_app.config.get("SECRETARIAT_CONTACT") or {}).get("email")
    if recipient:
        outbox.queue_mail(recipient, f"评委申请回避：{declaration.decl_no} {declaration.title}"[:255],
                          _mail_body(review_round, expert, declaration, reason))
    audit.record("avoidance.self", f"申请回避：评委{expert.name}回避成果{declaration.decl_no}（{reason}）",
                 target=row, detail={"round_id": review_round.id, "declaration_id": declaration.id,
                                     "expert_id": expert.id, "mailed": bool(recipient)}, actor=actor)
    return row


def _mail_body(review_round, expert, declaration, reason):
    link = outbox.absolute_url(url_for("admin.review_avoidances", round=review_round.id))
    return (f"秘书处：\n\n评委{expert.name}（{expert.company}）在{review_round.year}年度{review_round.kind_label}"
            f"{review_round.stage_label}中申请回避以下成果，回避已生效：\n\n"
            f"申报编号：{declaration.decl_no}\n成果名称：{declaration.title}\n企业名称：{declaration.enterprise_name}\n"
            f"回避原因：{reason}\n\n请在回避管理中查看：{link}\n")
