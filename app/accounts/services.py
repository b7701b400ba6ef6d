"""登录 with lockout, 修改密码, and 修改资料 with change requests for name, credit code and license."""
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from app.accounts import registration, sessions
from app.accounts.models import (
    ROLE_LABELS,
    STATUS_APPROVED,
    STATUS_PENDING,
    STATUS_REJECTED,
    UnitChangeRequest,
)
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.registration import (
    CONTACT_FIELDS,
    FIELD_LABELS,
    MAIL_PREFIX,
    RegistrationError,
    clean_contact,
    log_change,
    password_error,
)
from app.core import audit, clock, outbox, ratelimit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import RateLimitBucket
from app.core.validators import (
    clean_text,
    control_char_errors,
    credit_code_error,
    normalize_credit_code,
    normalize_name,
    normalize_text,
)

# Failures are counted over the last FAILURE_WINDOW seconds (a sliding window, core/ratelimit.py): the 5th
# failure within any 15 minutes locks the account name, however the failures fall on the clock.
MAX_ACCOUNT_FAILURES = 5
FAILURE_WINDOW = 15 * 60
LOCK_SECONDS = 15 * 60
MAX_ADDRESS_FAILURES = 30
GENERIC_ERROR = "账号或密码错误，请确认“类型”选择正确后重新输入。"
LOCKED_ERROR = "登录失败次数过多，该账号已被锁定15分钟，请稍后再试。"
ADDRESS_ERROR = "登录失败次数过多，请稍后再试。"


@dataclass
class LoginResult:
    """The outcome of a login attempt: a user, or a message (and the field it belongs to)."""

    user: object = None
    error: str = None
    field: str = "password"


def _account_key(username):
    return f"login-fail:{normalize_text(username).lower()[:64]}"


def _lock_key(username):
    return f"login-lock:{normalize_text(username).lower()[:64]}"


def _address_key(ip):
    return f"login-fail-ip:{ip or '-'}"


def locked_until(username, now=None):
    """Epoch second until which the account name is locked, or None."""
    now = int(now if now is not None else clock.epoch())
    start = db.session.execute(
        db.select(db.func.max(RateLimitBucket.window_start))
        .where(RateLimitBucket.key == _lock_key(username), RateLimitBucket.window_start > now - LOCK_SECONDS)
    ).scalar()
    return start + LOCK_SECONDS if start is not None else None


def record_address_failure(ip, now=None):
    """Count a failed attempt (e.g. a wrong captcha) against the client address only."""
    ratelimit.hit(_address_key(ip), MAX_ADDRESS_FAILURES, FAILURE_WINDOW, now=now)


def record_failure(username, ip, now=None):
    """Count a failed attempt for the account name and the address; lock the name at the 5th failure within
    any FAILURE_WINDOW (the count restarts after a lock or a successful login)."""
    record_address_failure(ip, now)
    if not ratelimit.hit(_account_key(username), MAX_ACCOUNT_FAILURES - 1, FAILURE_WINDOW, now=now):
        now = int(now if now is not None else clock.epoch())
        try:
            with db.session.begin_nested():
                db.session.add(RateLimitBucket(key=_lock_key(username), window_start=now, count=1))
        except IntegrityError:
            pass  # a concurrent failure locked it in the same second
        ratelimit.reset(_account_key(username), FAILURE_WINDOW, now=now)
        audit.record("login.locked", f"账号 {normalize_text(username)[:32]} 连续登录失败，已锁定15分钟")
        db.session.flush()
        return True
    return False


def address_blocked(ip, now=None):
    """True when this address failed too often over the last FAILURE_WINDOW."""
    return ratelimit.count(_address_key(ip), FAILURE_WINDOW, now=now) >= MAX_ADDRESS_FAILURES


def authenticate(role, username, password, ip, now=None):
    """Check a login (captcha already checked); never says which of account or password was wrong."""
    username = normalize_text(username)
    if address_blocked(ip, now):
        return LoginResult(error=ADDRESS_ERROR, field="form")
    if locked_until(username, now):
        return LoginResult(error=LOCKED_ERROR, field="form")
    user = sessions.get_user_by_username(username) if username else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user.role != role or role not in ROLE_LABELS:
        locked = record_failure(username, ip, now)
        return LoginResult(error=LOCKED_ERROR if locked else GENERIC_ERROR, field="form")
    ratelimit.reset(_account_key(username), FAILURE_WINDOW, now=now)
    if not user.is_enabled:
        return LoginResult(error="该账号已被停用，请联系秘书处。", field="form")
    if user.is_unit and user.unit is not None:
        if user.unit.status == STATUS_PENDING:
            return LoginResult(error="您单位的注册资料正在审核中，审核通过后系统将给注册时填写的电子邮箱发送注册成功的邮件，"
                                     "届时即可登录。", field="form")
        if user.unit.status == STATUS_REJECTED:
            reason = (user.unit.reject_reason or "").rstrip("。.；;， ") or "未说明"
            return LoginResult(error=f"您单位的注册未通过审核，原因：{reason}。请按要求完善资料后重新注册。", field="form")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user=user)


# ---- passwords ------------------------------------------------------------------------------------

def change_password(user, old_password, new_password, new_password2):
    """修改密码: returns errors (empty when changed). Other sessions of the user end."""
    errors = change_password_errors(user, old_password, new_password, new_password2)
    if not errors and new_password == old_password:
        errors["new_password"] = "新密码不能与原密码相同。"
    if errors:
        return errors
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    sessions.end_other_sessions(user)
    if user.unit is not None:
        log_change(user.unit, "password", "******", "（已修改）", user)
    audit.record("password.change", f"修改登录密码：{user.username}", target=user, actor=user)
    db.session.flush()
    return {}


# ---- 修改资料 ---------------------------------------------------------------------------------------

def pending_change_request(unit):
    """The unit's change request awaiting the secretariat, or None."""
    return db.session.execute(db.select(UnitChangeRequest).where(
        UnitChangeRequest.unit_id == unit.id, UnitChangeRequest.status == STATUS_PENDING)).scalars().first()


def update_profile(unit, user, form, license_file=None):
    """修改资料: contact fields now, password if given, name/code/license as a change request.

    Returns (errors, change_request_or_None). Flushes only; nothing is saved when errors are returned.
    """
    errors = {}
    values = clean_contact(form, errors)
    new_name = normalize_name(form.get("name")) or unit.name
    new_code = normalize_credit_code(form.get("credit_code")) or unit.credit_code
    wants_change = new_name != unit.name or new_code != unit.credit_code or license_file is not None
    pending = pending_change_request(unit)
    if wants_change and pending is not None:
        errors["name"] = "已有待秘书处审核的变更申请，审核完成后才能再次申请。"
    if new_name != unit.name and "name" not in errors:
        message = registration.name_error(new_name, exclude_unit_id=unit.id)
        if message:
            errors["name"] = message
    if new_code != unit.credit_code:
        message = credit_code_error(new_code)
        if message is None and registration.credit_code_taken(new_code, exclude_unit_id=unit.id):
            message = registration.CODE_TAKEN
        if message:
            errors["credit_code"] = message
    errors.update(control_char_errors(form, {"name": registration.FIELD_LABELS["name"],
                                             "credit_code": registration.FIELD_LABELS["credit_code"]}))
    password_fields = (form.get("old_password"), form.get("new_password"), form.get("new_password2"))
    if any(password_fields):
        for key, message in change_password_errors(user, *password_fields).items():
            errors[key] = message
    if errors:
        return errors, None
    for field in CONTACT_FIELDS:
        old = getattr(unit, field)
        if old != values[field]:
            log_change(unit, field, old, values[field], user)
            setattr(unit, field, values[field])
    user.email = unit.email
    if any(password_fields):
        change_password(user, *password_fields)
    request_row = None
    if wants_change:
        request_row = UnitChangeRequest(
            unit_id=unit.id, new_name=new_name if new_name != unit.name else None,
            new_credit_code=new_code if new_code != unit.credit_code else None,
            old_name=unit.name, old_credit_code=unit.credit_code,
            new_license_file_id=license_file.id if license_file is not None else None)
        db.session.add(request_row)
        if license_file is not None:
            from app.core import uploads
            uploads.attach(license_file, unit.id)
        db.session.flush()
        audit.record("unit.change_request", f"申请变更注册信息：{unit.name}", target=unit, actor=user,
                     detail=describe_request(request_row))
    audit.record("unit.profile", f"修改资料：{unit.name}", target=unit, actor=user)
    db.session.flush()
    return {}, request_row


def change_password_errors(user, old_password, new_password, new_password2):
    """The errors change_password would report, without changing anything."""
    errors = {}
    if not verify_password(user.password_hash, old_password or ""):
        errors["old_password"] = "原密码不正确。"
    if password_error(new_password, "新密码"):
        errors["new_password"] = password_error(new_password, "新密码")
    elif new_password != (new_password2 or ""):
        errors["new_password2"] = "两次输入的密码不一致，请再次输入密码。"
    return errors


def describe_request(request_row):
    """What a change request asks for, as {label: new value}."""
    changes = {}
    if request_row.new_name:
        changes[FIELD_LABELS["name"]] = request_row.new_name
    if request_row.new_credit_code:
        changes[FIELD_LABELS["credit_code"]] = request_row.new_credit_code
    if request_row.new_license_file_id:
        changes[FIELD_LABELS["license_file_id"]] = "新上传的文件"
    return changes


def decide_change_request(request_row, actor, approve, reason=None):
    """通过 applies the requested values (logged); 不通过 needs a reason. Mails the unit either way."""
    if request_row.status != STATUS_PENDING:
        raise RegistrationError({"status": "该变更申请已处理。"})
    unit = request_row.unit
    reason = clean_text(reason)  # it goes into the mail exactly as typed
    if not approve and not reason:
        raise RegistrationError({"reason": "请填写不通过的原因。"})
    if approve:
        if request_row.new_name and registration.name_taken(request_row.new_name, exclude_unit_id=unit.id):
            raise RegistrationError({"status": registration.NAME_TAKEN})
        if request_row.new_credit_code and registration.credit_code_taken(
                request_row.new_credit_code, exclude_unit_id=unit.id):
            raise RegistrationError({"status": registration.CODE_TAKEN})
        if request_row.new_name:
            log_change(unit, "name", unit.name, request_row.new_name, actor)
            unit.name = request_row.new_name
            unit.user.display_name = unit.name
        if request_row.new_credit_code:
            log_change(unit, "credit_code", unit.credit_code, request_row.new_credit_code, actor)
            unit.credit_code = request_row.new_credit_code
        if request_row.new_license_file_id:
            log_change(unit, "license_file_id", unit.license_file_id, request_row.new_license_file_id, actor)
            unit.license_file_id = request_row.new_license_file_id
    request_row.status = STATUS_APPROVED if approve else STATUS_REJECTED
    request_row.reason = reason or None
    request_row.decided_at = utcnow()
    request_row.decided_by_id = actor.id
    changes = "；".join(f"{k}：{v}" for k, v in describe_request(request_row).items())
    if approve:
        subject, verdict = "注册信息变更成功", "已审核通过，变更已生效"
    else:
        subject, verdict = "注册信息变更未通过", f"未通过审核，原因：{reason}"
    body = (f"{unit.name}：\n\n您单位申请变更的注册信息（{changes}）{verdict}。\n\n"
            f"系统网址：{outbox.base_url()}\n" + registration.mail_signature())
    outbox.queue_mail(unit.email, MAIL_PREFIX + subject, body)
    audit.record("unit.change_approve" if approve else "unit.change_reject",
                 f"{'通过' if approve else '不通过'}变更申请：{unit.name}", target=unit, actor=actor,
                 detail={"changes": describe_request(request_row), "reason": reason or None})
    db.session.flush()
