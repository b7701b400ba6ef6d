"""评委库 (spec B3): 遴选 of the units' recommendations (附件7) and the expert pool with its logins.

入选 creates an expert with a login of role 评审专家 named zj<year><3 digits> (a never-reused counter, kind "ZJ"),
or links the recommendation to the expert who already has the same mobile or e-mail. A new login gets a mail
with a single-use link to set the password (the password itself is never mailed or shown).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from app.accounts import password_reset
from app.accounts.models import ROLE_EXPERT, Unit, User
from app.accounts.passwords import hash_password
from app.accounts.sessions import end_all_sessions
from app.core import audit, outbox, uploads
from app.core.extensions import db
from app.core.pagination import page_number, paginate
from app.core.tokens import new_token
from app.core.validators import mobile_error, normalize_mobile, normalize_text, postcode_error
from app.declarations.overview import typed_text
from app.declarations.models import (
    SELECTION_DECLINED,
    SELECTION_PENDING,
    SELECTION_SELECTED,
    ExpertRecommendation,
)
from app.filings.regno import bump
from app.review.models import EXPERT_KINDS, Expert, ExpertYear

PER_PAGE = 30
LOGIN_COUNTER = "ZJ"
LINK_LIFETIME = timedelta(days=7)
SIGNATURE_MAX = 1024 * 1024
SELECTION_LABELS = {SELECTION_PENDING: "待遴选", SELECTION_SELECTED: "入选", SELECTION_DECLINED: "未入选"}
FIELDS = ("name", "company", "department", "address", "postcode", "mobile", "email", "experience")
LABELS = {"name": "姓名", "company": "工作单位", "department": "部门", "address": "通讯地址", "postcode": "邮编",
          "mobile": "手机", "email": "E-mail", "experience": "相关经历描述", "kinds": "评审类型"}
LIMITS = {"name": 50, "company": 200, "department": 100, "address": 200, "email": 254, "experience": 300}
SUBJECT_NEW = "【石油和化工行业QC成果申报系统】评审专家账号"
SUBJECT_SELECTED = "【石油和化工行业QC成果申报系统】入选行业优秀成果评审委员会"


class ExpertError(Exception):
    """An action refused with a Chinese message."""


@dataclass
class ExpertForm:
    """The 新增评委 / 编辑 form: values as typed and messages per field."""

    values: dict
    errors: dict = field(default_factory=dict)


def kinds_label(kinds):
    """小组成果、班组成果 for ["group", "team"]."""
    return "、".join(EXPERT_KINDS[k] for k in EXPERT_KINDS if k in (kinds or ()))


# ---- 评委推荐 and 遴选 --------------------------------------------------------------------------

def recommendations(year, selection="", page=1):
    """One page of the year's recommendations with their unit and proof files (three queries)."""
    select = (db.select(ExpertRecommendation, Unit.name.label("unit_name"))
              .join(Unit, Unit.id == ExpertRecommendation.unit_id)
              .where(ExpertRecommendation.year == year)
              .options(selectinload(ExpertRecommendation.files))
              .order_by(Unit.name, ExpertRecommendation.seq, ExpertRecommendation.id))
    if selection in SELECTION_LABELS:
        select = select.where(ExpertRecommendation.selection == selection)
    total = db.session.scalar(db.select(func.count()).select_from(select.order_by(None).subquery()))
    page = page_number(page, total, PER_PAGE)
    rows = db.session.execute(select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return rows, total, page


def get_recommendation_or_404(recommendation_id):
    """A recommendation by id, or 404."""
    from flask import abort

    row = db.session.get(ExpertRecommendation, recommendation_id)
    if row is None:
        abort(404)
    return row


def find_existing(mobile, email, exclude_id=None):
    """The expert who already has this mobile or e-mail (compared normalised), or None."""
    conditions = []
    if mobile:
        conditions.append(Expert.mobile == normalize_mobile(mobile))
    if email:
        conditions.append(func.lower(Expert.email) == email.strip().lower())
    if not conditions:
        return None
    select = db.select(Expert).where(or_(*conditions)).order_by(Expert.id).limit(1)
    if exclude_id is not None:
        select = select.where(Expert.id != exclude_id)
    return db.session.execute(select).scalar_one_or_none()


def _join_year(expert, year, kinds):
    row = db.session.execute(db.select(ExpertYear).where(ExpertYear.expert_id == expert.id,
                                                         ExpertYear.year == year)).scalar_one_or_none()
    if row is None:
        row = ExpertYear(expert_id=expert.id, year=year, kinds=list(kinds))
        db.session.add(row)
    else:
        row.kinds = [k for k in EXPERT_KINDS if k in set(row.kinds or ()) | set(kinds)]
    return row


def select_recommendation(recommendation, year, actor):
    """入选: create the expert and login (mail with a set-password link) or link the existing one; flushes only."""
    if recommendation.selection == SELECTION_SELECTED:
        raise ExpertError("该推荐已入选。")
    unit = db.session.get(Unit, recommendation.unit_id)
    existing = find_existing(recommendation.mobile, recommendation.email)
    if existing is not None:
        expert = existing
        expert.kinds = [k for k in EXPERT_KINDS if k in set(expert.kinds or ()) | set(recommendation.kinds or ())]
        created = False
    else:
        values = {"name": recommendation.name, "company": recommendation.company_dept, "department": "",
                  "address": recommendation.address, "postcode": recommendation.postcode,
                  "mobile": normalize_mobile(recommendation.mobile), "email": recommendation.email.strip(),
                  "experience": recommendation.experience, "kinds": list(recommendation.kinds or ())}
        expert = create_expert(values, year, actor, recommendation=recommendation, unit=unit)
        created = True
    recommendation.selection = SELECTION_SELECTED
    recommendation.expert_id = expert.id
    _join_year(expert, year, recommendation.kinds or ())
    audit.record("expert.select", f"评委遴选入选：{recommendation.name}（{unit.name if unit else ''}）"
                 + ("，新建评委" if created else f"，关联已有评委{expert.user.username if expert.user else ''}"),
                 target=recommendation, detail={"expert_id": expert.id, "created": created}, actor=actor)
    if not created and expert.email:
        _queue_selected_mail(expert, year)
    db.session.flush()
    return expert, created


def decline_recommendation(recommendation, actor):
    """未入选 (an 入选 is not undone here: the expert is stopped in 评委库); flushes only."""
    if recommendation.selection == SELECTION_SELECTED:
        raise ExpertError("该推荐已入选并已建立评委账号，如不再聘请请在评委库中停用。")
    recommendation.selection = SELECTION_DECLINED
    audit.record("expert.decline", f"评委遴选未入选：{recommendation.name}", target=recommendation, actor=actor)
    db.session.flush()


# ---- the pool -------------------------------------------------------------------------------------

def experts(q="", page=1):
    """One page of the pool, enabled first, with login and recommending unit (two queries)."""
    select = (db.select(Expert).options(selectinload(Expert.user), selectinload(Expert.recommended_by_unit))
              .order_by(Expert.is_enabled.desc(), Expert.id.desc()))
    text = typed_text(q, 50)
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        select = select.where(or_(Expert.name.ilike(pattern), Expert.company.ilike(pattern),
                                  Expert.mobile.ilike(pattern), Expert.user.has(User.username.ilike(pattern))))
    return paginate(select, page, PER_PAGE)


def get_or_404(expert_id):
    """An expert by id, or 404."""
    from flask import abort

    expert = db.session.get(Expert, expert_id)
    if expert is None:
        abort(404)
    return expert


def form_for(expert=None):
    """The form filled with an expert's values (empty for 新增评委)."""
    values = {name: (getattr(expert, name) or "") if expert else "" for name in FIELDS}
    values["kinds"] = list(expert.kinds or ()) if expert else ["group"]
    return ExpertForm(values=values)


def parse(form_data, expert=None):
    """Check the expert form; returns (ExpertForm, cleaned or None). Mobile and e-mail must be new to the pool."""
    values = {name: typed_text(form_data.get(name)) if name != "experience"
              else (form_data.get(name) or "").replace("\x00", "").strip() for name in FIELDS}
    values["email"] = normalize_text(values["email"])
    values["mobile"] = normalize_mobile(values["mobile"])
    values["kinds"] = [k for k in EXPERT_KINDS if k in form_data.getlist("kinds")]
    errors = {}
    for name in ("name", "company"):
        if not values[name]:
            errors[name] = f"请填写{LABELS[name]}。"
    for name, limit in LIMITS.items():
        if name not in errors and len(values[name]) > limit:
            errors[name] = f"{LABELS[name]}不能超过{limit}字。"
    if mobile_error(values["mobile"]):
        errors["mobile"] = mobile_error(values["mobile"])
    if not values["email"] or "@" not in values["email"] or " " in values["email"]:
        errors.setdefault("email", "请填写正确的E-mail，评委通过它设置登录密码。")
    if values["postcode"] and postcode_error(values["postcode"]):
        errors["postcode"] = postcode_error(values["postcode"])
    if not values["kinds"]:
        errors["kinds"] = "请至少选择一种评审类型：小组成果或班组成果。"
    if "mobile" not in errors and "email" not in errors:
        other = find_existing(values["mobile"], values["email"], exclude_id=expert.id if expert else None)
        if other is not None:
            which = "mobile" if other.mobile == values["mobile"] else "email"
            errors[which] = f"评委库中已有该{LABELS[which]}的评委：{other.name}（{other.company}）。"
    form = ExpertForm(values=values, errors=errors)
    return (form, None) if errors else (form, dict(values))


def next_login_name(year):
    """zj2027001: "zj", the year and a three-digit number that is never reused."""
    return f"zj{year}{bump(LOGIN_COUNTER, year):03d}"


def create_expert(values, year, actor, recommendation=None, unit=None):
    """Add an expert with a login of role 评审专家 and mail a set-password link; flushes only."""
    user = User(username=next_login_name(year), role=ROLE_EXPERT, display_name=values["name"],
                email=values["email"] or None, password_hash=hash_password(new_token()))
    db.session.add(user)
    db.session.flush()
    expert = Expert(user_id=user.id, **{name: values[name] for name in FIELDS}, kinds=list(values["kinds"]),
                    recommended_by_unit_id=unit.id if unit else None,
                    recommendation_id=recommendation.id if recommendation else None)
    db.session.add(expert)
    db.session.flush()
    expert.user = user
    audit.record("expert.create", f"新增评委：{expert.name}，登录账号{user.username}", target=expert,
                 detail={"username": user.username, "kinds": expert.kinds}, actor=actor)
    send_password_link(expert, actor, first=True)
    return expert


def update_expert(expert, cleaned, actor):
    """Save the edit form; the login's name and e-mail follow; audited with old → new; flushes only."""
    changes = {}
    for name in FIELDS + ("kinds",):
        old = getattr(expert, name)
        if old != cleaned[name]:
            changes[name] = [old, cleaned[name]]
            setattr(expert, name, cleaned[name])
    if expert.user is not None:
        expert.user.display_name, expert.user.email = expert.name, expert.email or None
    if changes:
        audit.record("expert.update", f"修改评委信息：{expert.name}", target=expert, detail=changes, actor=actor)
    db.session.flush()
    return changes


def set_enabled(expert, enabled, actor):
    """停用 / 启用 an expert and the login; stopping ends the login's sessions; audited; flushes only."""
    if expert.is_enabled == enabled:
        return False
    expert.is_enabled = enabled
    if expert.user is not None:
        expert.user.is_enabled = enabled
        if not enabled:
            end_all_sessions(expert.user.id)
    audit.record("expert.enable" if enabled else "expert.disable",
                 f"{'启用' if enabled else '停用'}评委：{expert.name}", target=expert, actor=actor)
    db.session.flush()
    return True


def set_signature(expert, file_storage, actor):
    """上传签章: a PNG or JPEG image of at most 1 MB, checked by content; audited; flushes only."""
    if file_storage is None or not file_storage.filename:
        raise uploads.UploadError("请先点击“浏览...”选择签章图片。")
    data = file_storage.stream.read(SIGNATURE_MAX + 1)
    if len(data) > SIGNATURE_MAX:
        raise uploads.UploadError("签章图片不能超过1M。")
    kind = uploads.sniff_kind(data)
    if kind not in ("png", "jpeg"):
        raise uploads.UploadError("签章应为PNG或JPG图片。")
    uploads.check_image(data)
    stored = uploads.store(data, kind, file_storage.filename, "signature")
    expert.signature_file_id = stored.id
    audit.record("expert.signature", f"上传评委签章：{expert.name}", target=expert, actor=actor)
    db.session.flush()
    return stored


def send_password_link(expert, actor, first=False):
    """Mail a single-use link (valid 7 days) to set the login's password; audited; flushes nothing."""
    user = expert.user
    if user is None or not expert.email:
        raise ExpertError("该评委没有登录账号或E-mail，无法发送设置密码链接。")
    if not expert.is_enabled:
        raise ExpertError("该评委已停用，请先启用。")
    link = password_reset.issue_link(user, LINK_LIFETIME)
    intro = ("您已被列入石油和化工行业优秀成果评审委员会评委库，系统为您开设了评审专家账号。" if first
             else "秘书处为您发送了设置登录密码的链接。")
    body = (f"{expert.name}：\n\n{intro}\n\n登录账号：{user.username}\n登录时“类型”请选择：评审专家\n\n"
            f"请在7天内打开下面的链接设置登录密码（链接只能使用一次）：\n\n{link}\n\n"
            "设置密码后即可登录网上申报与评审系统，进入“成果评审”。\n\n"
            "中国石油和化学工业联合会 质量工作委员会秘书处\n")
    outbox.queue_mail(expert.email, SUBJECT_NEW, body)
    audit.record("expert.password_link", f"发送设置密码链接：{user.username}", target=user, actor=actor)


def _queue_selected_mail(expert, year):
    username = expert.user.username if expert.user else ""
    body = (f"{expert.name}：\n\n您已入选{year}年石油和化工行业优秀成果评审委员会评委。"
            f"请使用原有评审专家账号（登录账号：{username}）登录系统。\n\n"
            "中国石油和化学工业联合会 质量工作委员会秘书处\n")
    outbox.queue_mail(expert.email, SUBJECT_SELECTED, body)
