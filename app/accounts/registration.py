"""注册 and 审核注册: validate a registration, create the pending unit, approve or reject it."""
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from app.accounts.models import (
    ROLE_UNIT,
    STATUS_APPROVED,
    STATUS_PENDING,
    STATUS_REJECTED,
    Unit,
    UnitChangeLog,
    User,
)
from app.accounts.passwords import hash_password
from app.core import audit, outbox, uploads
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.validators import (
    USERNAME_RE,
    clean_text,
    control_char_errors,
    credit_code_error,
    mobile_error,
    name_key,
    normalize_credit_code,
    normalize_mobile,
    normalize_name,
    normalize_text,
    postcode_error,
)

MAIL_PREFIX = "【石油和化工行业QC成果申报系统】"
NAME_TAKEN = "该单位已注册。一个单位只能注册一个账号，如需变更注册信息，请联系秘书处。"
CODE_TAKEN = "该统一社会信用代码已注册。一个单位只能注册一个账号，如需变更注册信息，请联系秘书处。"
USERNAME_TAKEN = "该账号已被使用，请换一个。"
CONTACT_FIELDS = ("contact", "mobile", "address", "postcode", "province_code", "industry_code", "email")
FIELD_LABELS = {
    "name": "申报单位名称", "credit_code": "统一社会信用代码", "license_file_id": "营业执照",
    "contact": "联系人", "mobile": "手机", "address": "通讯地址", "postcode": "邮编",
    "province_code": "所属省份", "industry_code": "所属行业", "email": "电子邮箱", "status": "审核状态",
    "reject_reason": "不通过原因", "password": "登录密码",
}


class RegistrationError(ValueError):
    """A registration that cannot be saved; .errors maps field names to Chinese messages."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# ---- validation -----------------------------------------------------------------------------------

def name_taken(name, exclude_unit_id=None):
    """True when a pending or approved unit already has this name, compared by key: "（北京）" and
    "(北京)", or a different case or spacing, are the same unit."""
    query = db.select(Unit.id).where(Unit.name_key == name_key(name), Unit.status != STATUS_REJECTED)
    if exclude_unit_id:
        query = query.where(Unit.id != exclude_unit_id)
    return db.session.execute(query.limit(1)).first() is not None


def credit_code_taken(code, exclude_unit_id=None):
    """True when a pending or approved unit already has this credit code."""
    query = db.select(Unit.id).where(Unit.credit_code == code, Unit.status != STATUS_REJECTED)
    if exclude_unit_id:
        query = query.where(Unit.id != exclude_unit_id)
    return db.session.execute(query.limit(1)).first() is not None


def username_owner(username):
    """The account holding a login name (compared case-insensitively), or None."""
    return db.session.execute(
        db.select(User).where(db.func.lower(User.username) == username.lower())).scalars().first()


def username_available(username):
    """True when nobody holds the name, or only a rejected registration does (it is freed on reuse)."""
    owner = username_owner(username)
    return owner is None or (owner.unit is not None and owner.unit.status == STATUS_REJECTED)


def name_error(name, exclude_unit_id=None):
    """None when the unit name can be registered, else a message."""
    if not name:
        return "请填写申报单位名称（全称）。"
    if len(name) < 4 or len(name) > 100:
        return "请填写单位全称（4-100个字）。"
    if name_taken(name, exclude_unit_id):
        return NAME_TAKEN
    return None


def username_error(username):
    """None when the login name is well-formed and free, else a message."""
    if not USERNAME_RE.match(username or ""):
        return "用户名为4-16个字符或数字。"
    if not username_available(username):
        return USERNAME_TAKEN
    return None


def password_error(password, label="登录密码"):
    """None when a password has 6-16 characters; an empty one is asked for, never called too short."""
    if not password:
        return f"请填写{label}（6-16位）。"
    if not 6 <= len(password) <= 16:
        return "密码为6-16位。"
    return None


def email_error(value):
    """None for a plausible email address (no DNS lookup)."""
    try:
        validate_email(value or "", check_deliverability=False)
    except EmailNotValidError:
        return "请输入有效的电子邮箱地址，例如 name@example.com。"
    return None


def province_warning(code, province_code):
    """A warning (never a refusal) when digits 3-4 of the credit code name another province."""
    digits = (code or "")[2:4]
    if not province_code or not digits.isdigit() or digits == "10" or digits == province_code:
        return None
    named = db.session.get(Province, digits)
    if named is None:
        return None
    return f"提示：代码第3-4位（{digits}）对应{named.name}，与所选省份不一致，请核对（不影响提交）。"


def clean_contact(form, errors):
    """Validate the contact fields shared by 注册 and 修改资料; returns the cleaned values."""
    values = {
        "contact": normalize_name(form.get("contact"))[:50],
        "mobile": normalize_mobile(form.get("mobile")),
        "address": normalize_name(form.get("address"))[:200],
        "postcode": normalize_text(form.get("postcode")),
        "province_code": normalize_text(form.get("province_code")),
        "industry_code": normalize_text(form.get("industry_code")),
        "email": normalize_text(form.get("email")).lower()[:254],
    }
    if not values["contact"]:
        errors["contact"] = "请填写申报直接联系人姓名。"
    if mobile_error(values["mobile"]):
        errors["mobile"] = "请填写申报直接联系人手机（11位手机号码）。"
    if not values["address"]:
        errors["address"] = "请填写通讯地址。"
    if postcode_error(values["postcode"]):
        errors["postcode"] = postcode_error(values["postcode"])
    if not values["province_code"] or db.session.get(Province, values["province_code"]) is None:
        errors["province_code"] = "请选择所属省份。"
    if not values["industry_code"] or db.session.get(Industry, values["industry_code"]) is None:
        errors["industry_code"] = "请选择所属行业。"
    if email_error(values["email"]):
        errors["email"] = email_error(values["email"])
    errors.update(control_char_errors(form, {name: FIELD_LABELS[name] for name in CONTACT_FIELDS}))
    return values


def clean_registration(form):
    """Validate the 注册 form (captcha and license are checked by the caller); returns (values, errors)."""
    errors = {}
    values = {
        "name": normalize_name(form.get("name")),
        "credit_code": normalize_credit_code(form.get("credit_code")),
        "username": normalize_text(form.get("username")),
        "password": form.get("password") or "",
    }
    if name_error(values["name"]):
        errors["name"] = name_error(values["name"])
    code_error = credit_code_error(values["credit_code"]) if values["credit_code"] else "请填写统一社会信用代码。"
    if code_error is None and credit_code_taken(values["credit_code"]):
        code_error = CODE_TAKEN
    if code_error:
        errors["credit_code"] = code_error
    if username_error(values["username"]):
        errors["username"] = username_error(values["username"])
    if password_error(values["password"]):
        errors["password"] = password_error(values["password"])
    elif not form.get("password2"):
        errors["password2"] = "请再次输入密码。"
    elif values["password"] != form.get("password2"):
        errors["password2"] = "两次输入的密码不一致，请再次输入密码。"
    errors.update(control_char_errors(form, {"name": FIELD_LABELS["name"], "username": "登录账号",
                                             "credit_code": FIELD_LABELS["credit_code"]}))
    values.update(clean_contact(form, errors))
    return values, errors


# ---- registering ----------------------------------------------------------------------------------

def _free_rejected_username(username):
    """A rejected applicant's login name is given up when someone registers it again (renamed)."""
    owner = username_owner(username)
    if owner is not None and owner.unit is not None and owner.unit.status == STATUS_REJECTED:
        owner.username = f"{owner.username}~r{owner.id}"[:32]
        owner.is_enabled = False
        db.session.flush()


def register_unit(values, license_file):
    """Create the account and the pending unit from cleaned values; flushes only."""
    _free_rejected_username(values["username"])
    user = User(username=values["username"], password_hash=hash_password(values["password"]), role=ROLE_UNIT,
                display_name=values["name"], email=values["email"])
    unit = Unit(user=user, name=values["name"], credit_code=values["credit_code"],
                status=STATUS_PENDING, **{k: values[k] for k in CONTACT_FIELDS})
    try:
        with db.session.begin_nested():
            db.session.add_all([user, unit])
            db.session.flush()
    except IntegrityError:
        # Another registration with the same name, code or login name won the race.
        errors = {}
        if name_taken(values["name"]):
            errors["name"] = NAME_TAKEN
        if credit_code_taken(values["credit_code"]):
            errors["credit_code"] = CODE_TAKEN
        if not errors:
            errors["username"] = USERNAME_TAKEN
        raise RegistrationError(errors) from None
    uploads.attach(license_file, unit.id)
    unit.license_file_id = license_file.id
    audit.record("unit.register", f"提交注册资料：{unit.name}", target=unit, actor=user)
    db.session.flush()
    return unit


# ---- review ---------------------------------------------------------------------------------------

def log_change(unit, field, old, new, actor):
    """Record one changed field of a registration (who, when, old, new)."""
    if (old or "") == (new or ""):
        return
    db.session.add(UnitChangeLog(unit_id=unit.id, actor_id=getattr(actor, "id", None), field=field,
                                 old_value=None if old is None else str(old),
                                 new_value=None if new is None else str(new)))


def mail_signature():
    """The secretariat's signature under every email."""
    return "\n中国石油和化学工业联合会 质量工作委员会秘书处\n联系电话：010-84885418、84885009\n"


def approve(unit, actor):
    """通过: the unit may log in; the 注册成功 email is queued in the same transaction."""
    if unit.status != STATUS_PENDING:
        raise RegistrationError({"status": f"该注册已{unit.status_label}，不能重复审核。"})
    log_change(unit, "status", unit.status, STATUS_APPROVED, actor)
    unit.status = STATUS_APPROVED
    unit.reject_reason = None
    unit.reviewed_at = utcnow()
    unit.reviewed_by_id = actor.id
    body = (f"{unit.name}：\n\n"
            "您单位在石油和化工行业质量管理小组活动成果和质量信得过班组建设活动成果网上申报与评审系统提交的注册资料"
            "已审核通过，注册成功。\n\n"
            f"登录账号：{unit.user.username}\n"
            f"系统网址：{outbox.base_url()}\n\n"
            "登录时请在“类型”处选择“申报用户”，依次填写登录账号、密码和验证码后点击“登录”。\n"
            "请牢记本单位注册的登录账号和登录密码。本账号长期有效，可以跨年使用，不能重复注册。\n"
            "本单位联系人或联系方式等今后若发生变化，可登录系统点击“修改资料”，或联系秘书处申请变更。\n"
            + mail_signature())
    outbox.queue_mail(unit.email, MAIL_PREFIX + "注册成功", body)
    audit.record("unit.approve", f"审核通过注册：{unit.name}", target=unit, actor=actor)
    db.session.flush()


def reject(unit, actor, reason):
    """不通过 (a reason is required): the 注册失败 email with the reason is queued."""
    reason = clean_text(reason)  # it goes into the mail exactly as typed
    if not reason:
        raise RegistrationError({"reason": "请填写不通过的原因。"})
    if unit.status != STATUS_PENDING:
        raise RegistrationError({"status": f"该注册已{unit.status_label}，不能重复审核。"})
    log_change(unit, "status", unit.status, STATUS_REJECTED, actor)
    log_change(unit, "reject_reason", unit.reject_reason, reason, actor)
    unit.status = STATUS_REJECTED
    unit.reject_reason = reason[:1000]
    unit.reviewed_at = utcnow()
    unit.reviewed_by_id = actor.id
    body = (f"{unit.name}：\n\n"
            "很抱歉，您单位在石油和化工行业质量管理小组活动成果和质量信得过班组建设活动成果网上申报与评审系统提交的注册资料"
            "未通过审核，注册失败。\n\n"
            f"原因：{unit.reject_reason}\n\n"
            f"请按上述原因完善资料后重新注册：{outbox.base_url()}register\n"
            + mail_signature())
    outbox.queue_mail(unit.email, MAIL_PREFIX + "注册失败", body)
    audit.record("unit.reject", f"审核不通过注册：{unit.name}", target=unit, actor=actor,
                 detail={"reason": unit.reject_reason})
    db.session.flush()
