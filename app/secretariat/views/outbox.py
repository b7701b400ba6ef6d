"""邮件发件箱: every queued mail with its state, attempts and last error; 重发."""
from flask import abort, current_app, request

from app.core import outbox as outbox_service
from app.core.extensions import db
from app.core.htmx import render
from app.core.models import MAIL_SENDING, MAIL_STATUS_LABELS, OutboxMail
from app.core.permissions import secretariat_required
from app.secretariat.views import bp

PER_PAGE = 30


@bp.get("/outbox", endpoint="outbox")
@secretariat_required
def outbox():
    """邮件发件箱: 收件人, 主题, 状态, 尝试次数, 最后错误, 重发."""
    status = request.args.get("status", "")
    status = status if status in MAIL_STATUS_LABELS else ""
    query = db.select(OutboxMail)
    if status in MAIL_STATUS_LABELS:
        query = query.where(OutboxMail.status == status)
    page = db.paginate(query.order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(
        db.select(OutboxMail.status, db.func.count(OutboxMail.id)).group_by(OutboxMail.status)).all())
    return render("admin/outbox/index.html", "admin/outbox/_list.html", pager=page, mail_status=status,
                  status_labels=MAIL_STATUS_LABELS, status_counts=counts,
                  mail_server=current_app.config.get("MAIL_SERVER"))


@bp.post("/outbox/<int:mail_id>/resend", endpoint="outbox_resend")
@secretariat_required
def outbox_resend(mail_id):
    """重发: back in the queue with a fresh set of attempts."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    if mail.status != MAIL_SENDING:
        outbox_service.resend(mail)
        db.session.commit()
    return render("admin/outbox/_row.html", "admin/outbox/_row.html", mail=mail)
