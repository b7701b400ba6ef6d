"""邮件发件箱: every queued mail with its state, attempts and last error; open one to read it; 重发 a 失败 one."""
from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import Conflict

from app.core import outbox as outbox_service
from app.core.extensions import db
from app.core.htmx import render
from app.core.models import MAIL_FAILED, MAIL_STATUS_LABELS, OutboxMail
from app.core.permissions import secretariat_required
from app.secretariat.views import bp

PER_PAGE = 30


def _context(**extra):
    return dict(status_labels=MAIL_STATUS_LABELS, describe_error=outbox_service.describe_error,
                mail_server=current_app.config.get("MAIL_SERVER"), **extra)


def _mail_or_404(mail_id):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    return mail


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
    return render("admin/outbox/index.html", "admin/outbox/_list.html",
                  **_context(pager=page, mail_status=status, status_counts=counts))


@bp.get("/outbox/<int:mail_id>", endpoint="outbox_mail")
@secretariat_required
def outbox_mail(mail_id):
    """One mail as it was written: recipient, subject, body, state and the delivery error."""
    return render("admin/outbox/mail.html", "admin/outbox/mail.html", **_context(mail=_mail_or_404(mail_id)))


@bp.post("/outbox/<int:mail_id>/resend", endpoint="outbox_resend")
@secretariat_required
def outbox_resend(mail_id):
    """重发 a 失败 mail: back in the queue with a fresh set of attempts (other states are left alone)."""
    mail = _mail_or_404(mail_id)
    if mail.status != MAIL_FAILED:
        error = Conflict()
        error.zh_message = f"这封邮件{mail.status_label}，只有发送失败的邮件可以重发。"
        raise error
    outbox_service.resend(mail, actor=current_user)
    db.session.commit()
    if request.form.get("from") == "mail":
        return render("admin/outbox/mail.html", "admin/outbox/mail.html", **_context(mail=mail, resent=True))
    return render("admin/outbox/_row.html", "admin/outbox/_row.html", **_context(mail=mail))
