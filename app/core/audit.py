"""The audit log (操作日志): who did what, when, from where. Append-only."""
import json

from flask import has_request_context, request
from flask_login import current_user

from app.core.extensions import db
from app.core.models import AuditLog


def record(action, summary, target=None, detail=None, actor=None, actor_name=None):
    """Add an audit entry to the current transaction (flushes nothing, commits nothing).

    `actor_name` names someone without an account (an enterprise filing through its invitation link):
    the entry then has that name as 操作人 and no account, whoever else may be logged in in that browser.
    """
    if actor is None and actor_name is None and has_request_context() and current_user \
            and current_user.is_authenticated:
        actor = current_user
    if actor_name is None:
        actor_name = (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else ""
    entry = AuditLog(
        action=action,
        summary=summary[:500],
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name[:200],
        ip=request.remote_addr if has_request_context() else None,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None and getattr(target, "id", None) is not None else None,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail is not None else None,
    )
    db.session.add(entry)
    return entry
