"""提交申报 checks (spec A12): what blocks submission, and the warnings shown but not blocking.

Blocking problems come back as {key: message}: a field's form name, `file_<purpose>` for files, `window` or
`quota` for the declaration as a whole. Messages are Chinese and name what is wrong.
"""
from sqlalchemy import func, select

from app.core.extensions import db
from app.core.template_helpers import china_date
from app.core.validators import normalize_name
from app.declarations.fields import KIND_LABELS, MAX_CONTRIBUTORS, fields_for
from app.declarations.models import (
    KIND_GROUP,
    KIND_TEAM,
    STATUS_ACCEPTED,
    STATUS_DEFERRED,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    Declaration,
)

TITLE_WARN_CHARS = 50
COUNTED_STATUSES = (STATUS_SUBMITTED, STATUS_RETURNED, STATUS_ACCEPTED, STATUS_DEFERRED)
FILING_TOPIC_TYPES = {"问题解决型（自定目标）": ("问题解决型", "自定目标"),
                      "问题解决型（指令性目标）": ("问题解决型", "指令性目标"), "创新型": ("创新型", None)}


def topic_of_filing(filing):
    """(课题类型, 目标类型) of a group filing's topic type."""
    return FILING_TOPIC_TYPES.get(filing.topic_type, (None, None))


def date_errors(values, period):
    """成果完成日期 against the year's earliest completion and today (a draft may not store a wrong date)."""
    completed = values.get("completed_on")
    if completed is None:
        return {}
    earliest = china_date(period.earliest_completion)
    if completed < period.earliest_completion:
        return {"completed_on": f"成果完成日期应在{earliest}以后（通知要求{earliest}以后完成的成果）。"}
    if completed > period.today:
        return {"completed_on": "成果完成日期不能晚于今天。"}
    return {}


def field_problems(declaration, period):
    """Required fields, minimum lengths and the team rules of a saved declaration."""
    found = {}
    for spec in fields_for(declaration.kind):
        value = getattr(declaration, spec.column)
        if spec.required and spec.type != "pledge" and value in (None, "", []):
            found[spec.name] = f"请填写{spec.label}。"
        elif spec.min_len and value and len(value) < spec.min_len:
            found[spec.name] = f"{spec.label}至少{spec.min_len}字（现有{len(value)}字）。"
    if declaration.kind == KIND_GROUP and declaration.topic_type == "问题解决型" and not declaration.topic_subtype:
        found["topic_subtype"] = "问题解决型课题请选择目标类型（自定目标或指令性目标）。"
    limit = MAX_CONTRIBUTORS[declaration.kind]
    if len(declaration.main_contributors or []) > limit:
        found["main_contributors"] = f"主要完成人不能超过{limit}人（现有{len(declaration.main_contributors)}人）。"
    if declaration.kind == KIND_TEAM:
        if declaration.accidents:
            found["accidents"] = "班组近三年无质量、安全、环保事故方可申报，年质量、安全事故数应为0。"
        if not declaration.no_accident_pledge:
            found["no_accident_pledge"] = "请确认班组近三年无质量、安全、环保事故。"
    found.update(date_errors({"completed_on": declaration.completed_on}, period))
    return found


def quota_problem(declaration, period):
    """The per-unit limit of declarations of a kind (0 = none), or None."""
    quota = period.quota(declaration.kind)
    if not quota:
        return None
    used = db.session.scalar(select(func.count()).select_from(Declaration).where(
        Declaration.unit_id == declaration.unit_id, Declaration.year == declaration.year,
        Declaration.kind == declaration.kind, Declaration.status.in_(COUNTED_STATUSES),
        Declaration.id != declaration.id))
    if used >= quota:
        return f"本单位{declaration.year}年度{KIND_LABELS[declaration.kind]}成果申报数量已达上限{quota}项。"
    return None


def _differs(a, b):
    return normalize_name(a or "") != normalize_name(b or "")


def warnings(declaration):
    """[(field name, message)]: differences from the filing, long titles, more contributors than members."""
    filing = declaration.filing
    found = []
    label = KIND_LABELS[declaration.kind]
    if declaration.title and len(declaration.title) > TITLE_WARN_CHARS:
        found.append(("title", f"成果名称超过{TITLE_WARN_CHARS}字（现有{len(declaration.title)}字），请尽量简明扼要。"))
    if filing is not None:
        filed_name = filing.group_name if declaration.kind == KIND_GROUP else filing.team_name
        if declaration.kind == KIND_GROUP and declaration.title and _differs(declaration.title, filing.topic):
            found.append(("title", f"成果名称与备案课题名称“{filing.topic}”不一致。"))
        if declaration.group_name and _differs(declaration.group_name, filed_name):
            found.append(("group_name", f"{label}名称与备案名称“{filed_name}”不一致。"))
        if declaration.enterprise_name and _differs(declaration.enterprise_name, filing.enterprise_name):
            found.append(("enterprise_name", f"企业名称与备案的“{filing.enterprise_name}”不一致。"))
        if declaration.kind == KIND_GROUP:
            filed_type = topic_of_filing(filing)[0]
            if declaration.topic_type and filed_type and declaration.topic_type != filed_type:
                found.append(("topic_type", f"课题类型与备案的“{filing.topic_type}”不一致。"))
            if declaration.started_on and filing.founded_on and declaration.started_on < filing.founded_on:
                found.append(("started_on", f"活动开始日期早于小组成立时间（{china_date(filing.founded_on)}）。"))
    count = len(declaration.main_contributors or [])
    if declaration.member_count and count > declaration.member_count:
        found.append(("main_contributors", f"主要完成人（{count}人）多于{label}人数（{declaration.member_count}人）。"))
    return found
