"""公示 and 正式发布 (spec B11, D28): after 定级锁定 the secretariat publishes a 公示 of a kind or both as a 通知公告
with the list as xlsx and PDF attachments, ends it, and after the period, with no 异议 待处理, publishes the
results: award_plan and award_result get published_at, 证书编号 are allocated, and the 获奖名单 goes out as a 通知公告.

Services flush; the view commits once. Replaced attachment files are returned so the view deletes them after
commit.
"""
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import abort
from werkzeug.datastructures import FileStorage

from app.core import audit
from app.core import notices as notice_service
from app.core.clock import china_today, utcnow
from app.core.extensions import db
from app.core.models import Notice, NoticeAttachment, YearSetting
from app.core.validators import clean_text, control_char_errors
from app.review import publicity_files as files
from app.review.certificate_numbers import allocate_numbers
from app.review.models import PUBLICITY_KINDS, AwardPlan, AwardResult, Objection, Publicity

KINDS = {"group": ("group",), "team": ("team",), "both": ("group", "team")}
DEFAULT_DAYS = 7
SUBJECTS = {"group": "优秀质量管理小组活动成果", "team": "质量信得过班组建设活动成果",
            "both": "优秀质量管理小组活动成果和质量信得过班组建设活动成果"}
STATUS_LABELS = {"open": "公示中", "ended": "公示已结束", "published": "已正式发布"}
MAX_CONTACT = 1000


class PublicityError(ValueError):
    """A refused action; the message is shown to the secretariat."""


@dataclass
class PublicityForm:
    """The 发布公示 form: values as typed and a message per wrong field."""

    values: dict
    errors: dict = field(default_factory=dict)


def default_title(year, kind):
    """'2027年度石油和化工行业优秀质量管理小组活动成果…评审结果公示'."""
    return f"{year}年度石油和化工行业{SUBJECTS[kind]}评审结果公示"


def final_title(year, kind):
    """The title of the 正式发布 notice."""
    return f"{year}年度石油和化工行业{SUBJECTS[kind]}获奖名单"


def publicity_days(year):
    """公示期（天） of the year (YearSetting.publicity_days, DEFAULT 7)."""
    setting = db.session.get(YearSetting, year)
    return (setting.publicity_days if setting and setting.publicity_days else None) or DEFAULT_DAYS


def plans(year):
    """{kind: AwardPlan or None} of the year."""
    rows = db.session.execute(db.select(AwardPlan).where(AwardPlan.year == year)).scalars().all()
    found = {row.kind: row for row in rows}
    return {kind: found.get(kind) for kind in ("group", "team")}


def publicities(year):
    """The year's 公示, newest first, with their open 异议 counted (two queries)."""
    rows = db.session.execute(db.select(Publicity).where(Publicity.year == year)
                              .order_by(Publicity.id.desc())).scalars().all()
    counts = dict(db.session.execute(
        db.select(Objection.publicity_id, db.func.count())
        .join(Publicity, Publicity.id == Objection.publicity_id)
        .where(Publicity.year == year, Objection.status == "open").group_by(Objection.publicity_id)).all())
    return [(row, counts.get(row.id, 0)) for row in rows]


def covered_kinds(year):
    """The kinds that already have a 公示 this year."""
    kinds = set()
    for (kind,) in db.session.execute(db.select(Publicity.kind).where(Publicity.year == year)).all():
        kinds.update(KINDS[kind])
    return kinds


def form_for(year, kind="both"):
    """The form with its defaults: title by kind, today (China) to today + 公示期."""
    start = china_today()
    ends = start + timedelta(days=publicity_days(year))
    return PublicityForm(values={"kind": kind, "title": default_title(year, kind),
                                 "starts_on": start.isoformat(), "ends_on": ends.isoformat(), "contact": ""})


def _date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(form_data, year):
    """Read and check the posted 发布公示 form; returns (PublicityForm, cleaned or None)."""
    values = {name: clean_text(form_data.get(name)) for name in ("kind", "title", "starts_on", "ends_on")}
    values["contact"] = (form_data.get("contact") or "").strip()
    errors = {}
    if values["kind"] not in KINDS:
        errors["kind"] = "请选择公示的成果类型。"
    if not values["title"]:
        errors["title"] = "请填写公示标题。"
    elif len(values["title"]) > 200:
        errors["title"] = "公示标题不能超过200字。"
    starts, ends = _date(values["starts_on"]), _date(values["ends_on"])
    if starts is None:
        errors["starts_on"] = "请填写公示开始日期，例如2027-06-01。"
    if ends is None:
        errors["ends_on"] = "请填写公示截止日期，例如2027-06-08。"
    elif starts is not None and ends < starts:
        errors["ends_on"] = "公示截止日期不能早于公示开始日期。"
    if not values["contact"]:
        errors["contact"] = "请填写联系方式（联系人、电话、邮箱等），公示期间收到的异议由此反映。"
    elif len(values["contact"]) > MAX_CONTACT:
        errors["contact"] = f"联系方式不能超过{MAX_CONTACT}字。"
    errors.update({k: v for k, v in control_char_errors(
        values, {"title": "公示标题", "contact": "联系方式"}).items() if k not in errors})
    form = PublicityForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, {"kind": values["kind"], "title": values["title"], "starts_on": starts, "ends_on": ends,
                  "contact": values["contact"]}


def chinese_date(d):
    """'2027年6月1日'."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_text(publicity):
    """'公示期：2027年6月1日至2027年6月8日'."""
    return f"公示期：{chinese_date(publicity.starts_on)}至{chinese_date(publicity.ends_on)}"


def notice_body(publicity):
    """The 公示 notice text: what is listed, the period, how to raise an 异议 and the contact."""
    return (f"经评审委员会审定，{publicity.year}年度石油和化工行业{SUBJECTS[publicity.kind]}评审结果已确定，"
            f"现将获奖名单予以公示（见附件）。\n{period_text(publicity)}。\n"
            "公示期间，如对公示名单有异议，请以书面形式或电话向秘书处反映，"
            "已注册的申报单位也可登录本系统在“评审结果”页面提出异议。\n"
            f"联系方式：\n{publicity.contact}")


def _attach_lists(notice, publicity):
    kinds = KINDS[publicity.kind]
    rows = files.listed_rows(publicity.year, kinds)
    base = files.safe_filename(publicity.title)
    made = ((files.publicity_xlsx(publicity.title, rows, kinds), f"{base}.xlsx"),
            (files.publicity_pdf(publicity.title, period_text(publicity), rows, kinds), f"{base}.pdf"))
    for data, name in made:
        stored = notice_service.store_file(FileStorage(io.BytesIO(data), name), purpose="publicity")
        notice.attachments.append(NoticeAttachment(file=stored))
    return len(rows)


def create(year, cleaned, actor):
    """发布公示: refused unless the kinds' 定级 is locked and not yet published or under another 公示; flushes."""
    kinds = KINDS[cleaned["kind"]]
    found = plans(year)
    for kind in kinds:
        plan = found[kind]
        if plan is None or plan.locked_at is None:
            raise PublicityError(f"{year}年度{files.KIND_NAMES[kind]}尚未定级锁定，定级锁定后才能发布公示。")
    taken = covered_kinds(year) & set(kinds)
    if taken:
        names = "、".join(files.KIND_NAMES[k] for k in kinds if k in taken)
        raise PublicityError(f"{year}年度{names}已发布过公示。")
    publicity = Publicity(year=year, kind=cleaned["kind"], title=cleaned["title"], contact=cleaned["contact"],
                          starts_on=cleaned["starts_on"], ends_on=cleaned["ends_on"], status="open",
                          created_by_id=getattr(actor, "id", None))
    db.session.add(publicity)
    notice = Notice(title=publicity.title, body=notice_body(publicity), is_published=True,
                    published_at=utcnow(), created_by_id=getattr(actor, "id", None))
    db.session.add(notice)
    db.session.flush()
    count = _attach_lists(notice, publicity)
    publicity.notice_id = notice.id
    db.session.flush()
    audit.record("publicity.create", f"发布公示：{publicity.title}", target=publicity,
                 detail={"kind": PUBLICITY_KINDS[publicity.kind], "starts_on": publicity.starts_on,
                         "ends_on": publicity.ends_on, "count": count}, actor=actor)
    return publicity


def get_or_404(publicity_id):
    """A 公示 by id, else 404."""
    publicity = db.session.get(Publicity, publicity_id)
    if publicity is None:
        abort(404)
    return publicity


def is_open_for_objections(publicity, today=None):
    """True while a unit may file an 异议: the 公示 is open and today (China) is within its period."""
    today = today or china_today()
    return publicity.status == "open" and publicity.starts_on <= today <= publicity.ends_on


def end(publicity, actor):
    """结束公示: no more 异议 from units; flushes."""
    if publicity.status != "open":
        raise PublicityError("该公示已结束。")
    publicity.status = "ended"
    db.session.flush()
    audit.record("publicity.end", f"结束公示：{publicity.title}", target=publicity, actor=actor)


def reissue(publicity, actor, reason=""):
    """重新发布公示名单: the notice's attachments are made again from the current levels; returns the stored names
    of the replaced files (to delete after commit); flushes."""
    if publicity.status == "published":
        raise PublicityError("已正式发布，不能再重新发布公示名单。")
    notice = db.session.get(Notice, publicity.notice_id) if publicity.notice_id else None
    if notice is None:
        raise PublicityError("公示的通知公告已被删除，无法重新发布公示名单。")
    old = [a.file for a in notice.attachments]
    notice.attachments.clear()
    db.session.flush()
    for stored in old:
        db.session.delete(stored)
    count = _attach_lists(notice, publicity)
    db.session.flush()
    audit.record("publicity.reissue", f"重新发布公示名单：{publicity.title}", target=publicity,
                 detail={"count": count, "reason": reason}, actor=actor)
    return [f.stored_name for f in old]


def publish(publicity, actor, today=None):
    """正式发布: refused before the period has ended (China date) or while an 异议 is 待处理; sets published_at,
    allocates 证书编号 and publishes the 获奖名单 notice; flushes."""
    today = today or china_today()
    if publicity.status == "published":
        raise PublicityError("该公示的评审结果已正式发布。")
    if today <= publicity.ends_on:
        raise PublicityError(f"公示期至{chinese_date(publicity.ends_on)}（含当日），公示期结束后才能正式发布。")
    pending = db.session.scalar(db.select(db.func.count()).select_from(Objection).where(
        Objection.publicity_id == publicity.id, Objection.status == "open"))
    if pending:
        raise PublicityError(f"还有{pending}条异议待处理，全部处理后才能正式发布。")
    now = utcnow()
    kinds = KINDS[publicity.kind]
    found = plans(publicity.year)
    for kind in kinds:
        if found[kind] is None or found[kind].locked_at is None:
            raise PublicityError(f"{files.KIND_NAMES[kind]}的定级已解锁，重新定级锁定（并重新发布公示名单）后才能正式发布。")
    allocated = {}
    for kind in kinds:
        found[kind].published_at = now
        db.session.execute(db.update(AwardResult).where(
            AwardResult.year == publicity.year, AwardResult.kind == kind).values(published_at=now))
        allocated[kind] = allocate_numbers(publicity.year, kind)
    publicity.status = "published"
    publicity.published_at = now
    title = final_title(publicity.year, publicity.kind)
    notice = Notice(title=title, is_published=True, published_at=now,
                    created_by_id=getattr(actor, "id", None),
                    body=(f"{publicity.year}年度石油和化工行业{SUBJECTS[publicity.kind]}评审结果经公示无异议"
                          f"（异议已处理完毕），现正式发布获奖名单（见附件）。\n联系方式：\n{publicity.contact}"))
    db.session.add(notice)
    db.session.flush()
    rows = files.listed_rows(publicity.year, kinds)
    data = files.award_xlsx(title, rows, kinds)
    stored = notice_service.store_file(FileStorage(io.BytesIO(data), f"{files.safe_filename(title)}.xlsx"),
                                       purpose="publicity")
    notice.attachments.append(NoticeAttachment(file=stored))
    publicity.final_notice_id = notice.id
    db.session.flush()
    audit.record("publicity.publish", f"正式发布评审结果：{title}", target=publicity,
                 detail={"kind": PUBLICITY_KINDS[publicity.kind], "count": len(rows),
                         "certificates": sum(allocated.values())}, actor=actor)
    return publicity


def published_kinds(year):
    """The kinds whose results are published this year (units then see levels)."""
    return {plan.kind for plan in plans(year).values() if plan is not None and plan.published_at is not None}
