"""Mails of 成果申报 (spec A14): the receipt of a submitted declaration, and the reminder 3 days before the window
closes. Both go through the outbox in the caller's transaction (sent after commit)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.clock import china_today
from app.core.extensions import db
from app.core.outbox import absolute_url, queue_mail
from app.core.settings import declaration_period
from app.core.template_helpers import china_date, china_time
from app.declarations.completeness import for_units
from app.declarations.fields import KIND_LABELS
from app.declarations.models import DeclarationReminder

SIGNATURE = "中国石油和化学工业联合会质量工作委员会秘书处"
REMINDER_DAYS = 3


def _link(endpoint, **values):
    """An absolute link for a mail, also from the cron command (no request)."""
    return absolute_url(current_app.url_map.bind("localhost").build(endpoint, values))


def queue_receipt(declaration):
    """申报已提交: the receipt with the 申报编号, to the unit's registered e-mail."""
    unit = declaration.unit
    label = KIND_LABELS[declaration.kind]
    name_label = "质量管理小组名称" if declaration.kind == "group" else "质量信得过班组名称"
    body = "\n".join([
        f"{unit.name}：",
        "",
        f"贵单位的{declaration.year}年度{label}成果申报已提交，等待秘书处形式审查。",
        "",
        f"申报编号：{declaration.decl_no}",
        f"成果名称：{declaration.title}",
        f"{name_label}：{declaration.group_name}",
        f"企业名称：{declaration.enterprise_name}",
        f"提交时间：{china_time(declaration.submitted_at)}（北京时间）",
        "",
        "申报截止前、秘书处开始形式审查前，可在“成果申报”中撤回，修改后重新提交。",
        f"查看申报：{_link('declarations.show', declaration_id=declaration.id)}",
        "",
        SIGNATURE,
    ])
    return queue_mail(unit.email, f"申报已提交：{declaration.decl_no} {declaration.title}"[:255], body)


def reminder_due(period):
    """True on the last REMINDER_DAYS days before the window closes (and its last day)."""
    return period.end - timedelta(days=REMINDER_DAYS) <= period.today <= period.end and period.today >= period.start


def reminder_body(unit, period, state):
    """The reminder's text: the window's end, the drafts, and what is missing."""
    lines = [f"{unit.name}：", "", f"{period.year}年度成果申报将于{china_date(period.end)}（北京时间当日24时）截止。"
             "以下事项尚未完成，请在截止前处理：", ""]
    if state.drafts:
        lines.append("尚未提交的申报（草稿）：")
        lines += [f"  {d.decl_no} {d.title or '（未填写成果名称）'}" for d in state.drafts]
        lines.append("")
    gaps = [gap for gap in state.gaps if gap.items]
    if gaps:
        lines.append("申报材料缺少或需重新上传：")
        lines += [f"  {gap.declaration.decl_no}：{'、'.join(gap.items)}" for gap in gaps]
        lines.append("")
    missing_documents = [doc for doc in state.documents if doc.needs_action]
    if missing_documents:
        lines.append("单位材料：")
        lines += [f"  {doc.label}：{doc.state}" for doc in missing_documents]
        lines.append("")
    lines += [f"请登录系统处理：{_link('declarations.index')}", "", SIGNATURE]
    return "\n".join(lines)


def send_reminders(today=None):
    """Queue one reminder per unit and year (recorded, so a second run sends nothing); returns the count.

    Runs from cron (`flask declaration-reminders`), daily; it acts only on the last days of the window.
    """
    period = declaration_period(today=today or china_today())
    if not reminder_due(period):
        return 0
    reminded = set(db.session.scalars(select(DeclarationReminder.unit_id).where(
        DeclarationReminder.year == period.year)))
    sent = 0
    for unit, state in for_units(period, exclude_unit_ids=reminded):
        if not state.needs_action:
            continue
        try:
            with db.session.begin_nested():  # another run got there first: its row wins, no second mail
                db.session.add(DeclarationReminder(unit_id=unit.id, year=period.year))
                db.session.flush()
        except IntegrityError:
            continue
        queue_mail(unit.email, f"{period.year}年度成果申报即将截止，请完成申报材料", reminder_body(unit, period, state))
        sent += 1
    return sent
