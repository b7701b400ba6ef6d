"""Mail outbox: mails are rows written with their cause, delivered later by a sender.

A sender claims one due row at a time with a guarded UPDATE (status and lease checked, rowcount 1),
so any number of senders (threads, gunicorn workers, `flask send-mail`, hosts) never deliver a mail
twice. A failed attempt is retried with growing delays; after MAIL_MAX_ATTEMPTS the mail is 失败.

queue_mail() follows the project rule (flush only; the request commits). The sender functions are the
exception on purpose: they run outside any request (thread, CLI) and each claim, delivery and result is its
own unit of work, committed before and after talking to the SMTP server so no transaction is held open.
"""
import logging
import os
import smtplib
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import click
from flask import current_app, request
from sqlalchemy import and_, or_, update

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import MAIL_FAILED, MAIL_PENDING, MAIL_SENDING, MAIL_SENT, OutboxMail

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 600


def queue_mail(recipient, subject, body):
    """Write a mail into the outbox in the current transaction (sent after commit)."""
    mail = OutboxMail(recipient=recipient, subject=subject, body=body)
    db.session.add(mail)
    return mail


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


def base_url():
    """The address used in links of emails: BASE_URL (required in production), else a local address.

    The request's Host header is used only when it names this machine: a forged Host must never
    end up in a password-reset or invitation link (host-header poisoning).
    """
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/") + "/"
    fallback = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/"
    try:
        host = request.host
    except RuntimeError:  # outside a request (CLI, sender thread)
        return fallback
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if hostname in LOCAL_HOSTS or hostname in (current_app.config.get("TRUSTED_HOSTS") or ()):
        return request.host_url
    return fallback


def absolute_url(path):
    """An absolute link for an email from a path like /reset/abc."""
    return base_url().rstrip("/") + path


def retry_delay(attempts):
    """Seconds to wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes, at most 1 hour."""
    base = current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60)
    return min(base * 2 ** max(attempts - 1, 0), 3600)


def _lease_seconds():
    """How long a claim protects a row: longer than one delivery can take."""
    return int(current_app.config.get("MAIL_TIMEOUT", 10) * 4 + 30)


def _due_condition(now):
    return or_(and_(OutboxMail.status == MAIL_PENDING, OutboxMail.next_attempt_at <= now),
               and_(OutboxMail.status == MAIL_SENDING, OutboxMail.locked_until < now))


def claim(mail_id, now=None):
    """Claim one due mail for this sender; True when this sender won it (commits)."""
    now = now or utcnow()
    result = db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, _due_condition(now))
        .values(status=MAIL_SENDING, locked_until=now + timedelta(seconds=_lease_seconds()),
                attempts=OutboxMail.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def build_message(mail):
    """The RFC 5322 message of an outbox row (UTF-8 subject and body)."""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@localhost"
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox{mail.id}")
    message.set_content(mail.body)
    return message


def smtp_send(message):
    """Deliver one message to MAIL_SERVER with a connection timeout (raises on failure)."""
    config = current_app.config
    timeout = config.get("MAIL_TIMEOUT", 10)
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config.get("MAIL_PORT") or 25, timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def _finish(mail_id, **values):
    db.session.execute(update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == MAIL_SENDING)
                       .values(locked_until=None, **values).execution_options(synchronize_session=False))
    db.session.commit()


def deliver_one(mail_id, now=None):
    """Claim and deliver one mail; returns 'sent', 'retry', 'failed' or None (not claimed)."""
    if not claim(mail_id, now):
        return None
    mail = db.session.get(OutboxMail, mail_id, populate_existing=True)
    message, attempts, recipient = build_message(mail), mail.attempts, mail.recipient
    db.session.commit()  # hold no transaction open while talking to the mail server
    try:
        smtp_send(message)
    except Exception as error:  # noqa: BLE001 — any failure of delivery is recorded and retried
        text = f"{type(error).__name__}: {error}"[:1000]
        max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 6)
        if attempts >= max_attempts:
            _finish(mail_id, status=MAIL_FAILED, last_error=text)
            log.warning("mail %s to %s failed for good: %s", mail_id, recipient, text)
            return "failed"
        delay = retry_delay(attempts)
        _finish(mail_id, status=MAIL_PENDING, last_error=text,
                next_attempt_at=(now or utcnow()) + timedelta(seconds=delay))
        log.info("mail %s to %s will be retried in %ss: %s", mail_id, recipient, delay, text)
        return "retry"
    _finish(mail_id, status=MAIL_SENT, sent_at=utcnow(), last_error=None)
    return "sent"


def deliver_due(now=None, limit=50):
    """Deliver the mails that are due now, once; returns counts by outcome."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    if not current_app.config.get("MAIL_SERVER"):
        return counts
    now = now or utcnow()
    ids = db.session.execute(
        db.select(OutboxMail.id).where(_due_condition(now))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)).scalars().all()
    db.session.commit()  # end the read transaction before the claims
    for mail_id in ids:
        outcome = deliver_one(mail_id, now)
        counts[outcome or "skipped"] += 1
    return counts


ERROR_KINDS = (  # the start of last_error ("ExceptionName: text") → what a clerk reads
    (("SMTPAuthenticationError",), "邮件服务器拒绝登录（发信账号或密码有误）"),
    (("SMTPRecipientsRefused",), "收件人地址被邮件服务器拒收，请核对邮箱地址"),
    (("SMTPSenderRefused",), "发件人地址被邮件服务器拒绝"),
    (("ConnectionRefusedError", "SMTPConnectError", "SMTPServerDisconnected"), "无法连接邮件服务器"),
    (("TimeoutError", "timeout", "socket.timeout"), "连接邮件服务器超时"),
    (("gaierror", "OSError"), "找不到邮件服务器或网络不通"),
)


def describe_error(text):
    """The Chinese gist of a delivery error (the technical text stays on the mail's own page)."""
    if not text:
        return ""
    name = text.split(":", 1)[0].strip()
    for names, message in ERROR_KINDS:
        if name in names:
            return message
    return "发送失败"


def resend(mail, actor=None):
    """重发 a 失败 mail: back in the queue with a fresh set of attempts; flushes only."""
    from app.core import audit

    if mail.status != MAIL_FAILED:
        raise ValueError("only a failed mail is sent again")
    mail.status = MAIL_PENDING
    mail.attempts = 0
    mail.next_attempt_at = utcnow()
    mail.locked_until = None
    audit.record("mail.resend", f"重发邮件：{mail.subject} → {mail.recipient}", target=mail, actor=actor)
    db.session.flush()


def run_housekeeping(app):
    """Run the purges the factory registered (expired captchas, staged uploads, ...), then commit."""
    job = app.extensions.get("housekeeping")
    if job is not None:
        job()
        db.session.commit()


class SenderThread(threading.Thread):
    """Background sender inside a web worker: polls the outbox every few seconds."""

    def __init__(self, app):
        super().__init__(name="outbox-sender", daemon=True)
        self.app = app
        self.stop_event = threading.Event()

    def run(self):
        interval = self.app.config.get("MAIL_POLL_SECONDS", 5)
        last_housekeeping = 0.0
        while not self.stop_event.is_set():
            with self.app.app_context():
                try:
                    deliver_due()
                    if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                        run_housekeeping(self.app)
                        last_housekeeping = time.monotonic()
                except Exception:  # noqa: BLE001 — the sender must survive a database hiccup
                    db.session.rollback()
                    log.exception("outbox sender round failed")
                finally:
                    db.session.remove()
            self.stop_event.wait(interval)


_started = {}
_start_lock = threading.Lock()


def start_sender(app):
    """Start this process's sender thread once (after a fork, the child starts its own)."""
    with _start_lock:
        key = (id(app), os.getpid())
        if key not in _started:
            thread = SenderThread(app)
            thread.start()
            _started[key] = thread
        return _started[key]


def init_app(app, housekeeping=None):
    """Register `flask send-mail`, and start the sender thread with the first request when configured.

    `housekeeping` is the purge job the sender runs now and then (the factory passes
    app.housekeeping.run_if_due, which knows every area and claims its run; the core cannot import them).
    Requests and `flask housekeeping` run it too, so it never depends on mail being configured.

    The thread starts on the first request rather than at import so that CLI commands
    (`flask db upgrade`, ...) never start one; each gunicorn worker runs its own, which is safe
    because every delivery is claimed with a guarded UPDATE.
    """
    app.extensions["housekeeping"] = housekeeping

    @app.cli.command("send-mail")
    def send_mail_command():
        """Deliver the mails that are due now, once (e.g. from cron)."""
        if not current_app.config.get("MAIL_SERVER"):
            click.echo("未配置 MAIL_SERVER：邮件保留在发件箱中，未发送。")
            return
        counts = deliver_due()
        run_housekeeping(current_app)
        click.echo(f"已发送 {counts['sent']} 封，待重试 {counts['retry']} 封，失败 {counts['failed']} 封。")

    if app.config.get("MAIL_SENDER_THREAD") and app.config.get("MAIL_SERVER"):
        @app.before_request
        def _ensure_sender_started():
            start_sender(app)
