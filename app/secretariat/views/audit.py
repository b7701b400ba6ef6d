"""操作日志: search and filter the audit log. Read-only: there is no route that changes it."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import request
from sqlalchemy import or_

from app.core.clock import CHINA
from app.core.extensions import db
from app.core.htmx import render
from app.core.models import AuditLog
from app.core.pagination import paginate
from app.core.permissions import secretariat_required
from app.core.validators import normalize_text
from app.secretariat.labels import action_label, describe_detail
from app.secretariat.views import bp

PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    """Search text, action, actor and a China-time date range."""

    q: str = ""
    action: str = ""
    actor: str = ""
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def from_args(cls, args):
        """Read the filters; malformed dates are dropped."""
        def day(name):
            value = normalize_text(args.get(name, ""))
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                return ""
        return cls(q=normalize_text(args.get("q", ""))[:100],
                   action=normalize_text(args.get("action", ""))[:64],
                   actor=normalize_text(args.get("actor", ""))[:100], date_from=day("date_from"),
                   date_to=day("date_to"))

    def as_args(self):
        """The non-empty filters, for paging links."""
        return {k: v for k, v in self.__dict__.items() if v}


def _utc(day):
    """Midnight of a China-time day as naive UTC."""
    local = datetime.combine(day, time.min, tzinfo=CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def search(filters, page):
    """One page of audit entries, newest first (a count and a row query)."""
    select = db.select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    if filters.q:
        like = f"%{filters.q}%"
        select = select.where(or_(AuditLog.summary.ilike(like), AuditLog.detail.ilike(like),
                                  AuditLog.ip.ilike(like), AuditLog.target_id == filters.q))
    if filters.action:
        select = select.where(AuditLog.action == filters.action)
    if filters.actor:
        select = select.where(AuditLog.actor_name.ilike(f"%{filters.actor}%"))
    if filters.date_from:
        select = select.where(AuditLog.created_at >= _utc(date.fromisoformat(filters.date_from)))
    if filters.date_to:
        end = date.fromisoformat(filters.date_to) + timedelta(days=1)
        select = select.where(AuditLog.created_at < _utc(end))
    return paginate(select, page, PER_PAGE)


def date_range_error(filters):
    """A Chinese message when the date range cannot contain anything."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        return "开始日期不能晚于结束日期，请更正日期范围。"
    return ""


@bp.get("/audit", endpoint="audit_log")
@secretariat_required
def audit_log():
    """操作日志 with search and filters (the table alone for htmx)."""
    filters = AuditFilters.from_args(request.args)
    pagination = search(filters, request.args.get("page", 1, type=int))
    actions = db.session.execute(
        db.select(AuditLog.action).distinct().order_by(AuditLog.action)).scalars().all()
    return render("admin/audit.html", "admin/_audit_table.html", pagination=pagination, filters=filters,
                  actions=actions, action_label=action_label, describe_detail=describe_detail,
                  date_error=date_range_error(filters))
