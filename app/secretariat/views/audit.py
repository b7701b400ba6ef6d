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
from app.secretariat.views import bp

PER_PAGE = 50
ACTION_LABELS = {
    "unit.register": "注册", "unit.approve": "审核通过注册", "unit.reject": "审核不通过注册",
    "unit.change_request": "提交变更申请", "unit.change_approve": "通过变更申请", "unit.change_reject": "驳回变更申请",
    "unit.profile": "修改资料", "unit.enable": "启用单位账号", "unit.disable": "停用单位账号",
    "account.create": "创建秘书处账号", "account.enable": "启用秘书处账号", "account.disable": "停用秘书处账号",
    "password.change": "修改密码", "password.reset": "重置密码", "password.reset_link": "发送重置密码链接",
    "login.locked": "登录锁定", "mail.resend": "重发邮件", "settings.year": "年度设置",
    "notice.create": "发布通知公告", "notice.update": "修改通知公告", "notice.delete": "删除通知公告",
    "notice.attachment_delete": "删除通知附件", "filing.export": "导出备案总览",
    "invitation.created": "邀请企业", "invitation.deleted": "删除邀请", "invitation.link_mailed": "发送邀请链接",
    "invitation.link_regenerated": "重新生成邀请链接", "unit_year_stat.save": "保存年度统计",
}
for _kind, _label in (("group", "小组"), ("team", "班组")):
    for _verb, _text in (("create", "新增{}备案"), ("update", "修改{}备案"), ("delete", "删除{}备案"),
                         ("delete_for_invitation", "随邀请删除{}备案"), ("import", "导入{}备案"),
                         ("export", "导出{}备案")):
        ACTION_LABELS[f"{_kind}_filing.{_verb}"] = _text.format(_label)


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
                  actions=actions, labels=ACTION_LABELS, date_error=date_range_error(filters))
