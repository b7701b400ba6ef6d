"""Mail outbox: mails are rows written with their cause, delivered later by a sender.

The accounts issue completes delivery (timeouts, retries with growing delays, a final 失败 state,
locking so concurrent senders never deliver one mail twice) and the sender thread.
"""
from app.extensions import db
from app.models import OutboxMail


def queue_mail(recipient, subject, body):
    """Write a mail into the outbox in the current transaction (sent after commit)."""
    mail = OutboxMail(recipient=recipient, subject=subject, body=body)
    db.session.add(mail)
    return mail


def init_app(app):
    """Start the sender when configured (filled in by the accounts issue)."""
    return None
