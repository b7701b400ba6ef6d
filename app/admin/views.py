"""Secretariat pages (filled in by the accounts and secretariat issues)."""
from flask import render_template

from app.admin import bp
from app.permissions import secretariat_required

PAGES = {
    "dashboard": ("/", "工作台"),
    "registrations": ("/registrations", "审核注册"),
    "units": ("/units", "单位管理"),
    "filings": ("/filings", "备案总览"),
    "year_settings": ("/settings", "年度设置"),
    "notices": ("/notices", "通知公告"),
    "audit_log": ("/audit", "操作日志"),
    "outbox": ("/outbox", "邮件发件箱"),
    "accounts": ("/accounts", "账号管理"),
}


def _placeholder(title):
    @secretariat_required
    def view():
        return render_template("main/placeholder.html", title=title)
    return view


for _endpoint, (_rule, _title) in PAGES.items():
    bp.add_url_rule(_rule, _endpoint, _placeholder(_title))
