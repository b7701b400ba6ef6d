"""账号管理: secretariat and 评审专家 accounts are created and disabled here; the last active clerk stays."""
import secrets
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import func

from app.accounts.models import ROLE_EXPERT, ROLE_LABELS, ROLE_SECRETARIAT, User
from app.accounts.passwords import hash_password
from app.accounts.sessions import end_all_sessions
from app.core import audit
from app.core.extensions import db
from app.core.pagination import paginate
from app.core.validators import USERNAME_RE, control_char_error, normalize_name, normalize_text

ROLES = (ROLE_SECRETARIAT, ROLE_EXPERT)  # the accounts this page manages (units register themselves)
# a generated first password: no 0/O, 1/l/I, so it can be read out over the phone
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


class AccountError(Exception):
    """An action refused with a Chinese message."""


@dataclass
class AccountForm:
    """The new-account form: values as typed (never the password) and messages per field."""

    values: dict
    errors: dict = field(default_factory=dict)


PER_PAGE = 30


def list_accounts(page=1, per_page=None):
    """One page of secretariat and expert accounts: clerks, enabled, by login name first (two queries)."""
    select = (db.select(User).where(User.role.in_(ROLES))
              .order_by(User.role.desc(), User.is_enabled.desc(), User.username, User.id))
    return paginate(select, page, per_page or PER_PAGE)


def get_or_404(user_id):
    """A secretariat or expert account by id (units are managed under 单位管理), else 404."""
    user = db.session.get(User, user_id)
    if user is None or user.role not in ROLES:
        abort(404)
    return user


def empty_form():
    """The empty form."""
    return AccountForm(values={"role": "", "username": "", "display_name": "", "email": ""})


def generate_password():
    """A first password of 10 characters, shown once to the clerk who creates the account."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))


def parse(form_data):
    """Check the new-account form; returns (AccountForm, cleaned or None). An empty password is generated."""
    values = {"role": form_data.get("role") if form_data.get("role") in ROLES else "",
              "username": normalize_text(form_data.get("username")),
              "display_name": normalize_name(form_data.get("display_name")),
              "email": normalize_text(form_data.get("email"))}
    password = form_data.get("password") or ""
    confirm = form_data.get("password_confirm") or ""
    errors = {}
    if not values["role"]:
        errors["role"] = "请选择角色。"
    if not USERNAME_RE.match(values["username"]):
        errors["username"] = "登录账号应为4至16位字母或数字。"
    elif db.session.scalar(db.select(func.count()).select_from(User)
                           .where(func.lower(User.username) == values["username"].lower())):
        errors["username"] = "该登录账号已被使用。"
    if not values["display_name"]:
        errors["display_name"] = "请填写姓名。"
    elif len(values["display_name"]) > 50:
        errors["display_name"] = "姓名不能超过50字。"
    elif control_char_error(values["display_name"], "姓名"):
        errors["display_name"] = control_char_error(values["display_name"], "姓名")
    if values["email"] and ("@" not in values["email"] or len(values["email"]) > 254):
        errors["email"] = "E-mail格式不正确。"
    generated = not password and not confirm
    if generated:
        password = generate_password()
    elif not 6 <= len(password) <= 16:
        errors["password"] = "初始密码应为6至16位（留空则由系统生成）。"
    elif password != confirm:
        errors["password_confirm"] = "两次输入的密码不一致。"
    form = AccountForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, dict(values, password=password, generated=generated)


def create(cleaned, actor):
    """Create a secretariat or expert account that must change its password at first login; audited."""
    user = User(username=cleaned["username"], display_name=cleaned["display_name"],
                email=cleaned["email"] or None, role=cleaned["role"],
                password_hash=hash_password(cleaned["password"]), must_change_password=True)
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", f"创建{ROLE_LABELS[user.role]}账号：{user.username}（{user.display_name}）",
                 target=user, detail={"role": user.role, "username": user.username,
                                      "display_name": user.display_name, "email": user.email},
                 actor=actor)
    return user


def set_enabled(user, enabled, actor):
    """Enable or disable an account of this page; disabling ends its sessions; audited; flushes only."""
    if user.is_enabled == enabled:
        return False
    if not enabled and user.role == ROLE_SECRETARIAT:
        if actor is not None and user.id == actor.id:
            raise AccountError("不能停用自己正在使用的账号。")
        # Lock the secretariat rows (PostgreSQL) so two clerks cannot disable the last two at once.
        others = db.session.execute(
            db.select(User.id)
            .where(User.role == ROLE_SECRETARIAT, User.is_enabled.is_(True), User.id != user.id)
            .with_for_update()).all()
        if not others:
            raise AccountError("这是最后一个正常使用的秘书处账号，不能停用。")
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user.id)
    db.session.flush()
    audit.record("account.enable" if enabled else "account.disable",
                 f"{'启用' if enabled else '停用'}{ROLE_LABELS[user.role]}账号：{user.username}", target=user,
                 detail={"is_enabled": [not enabled, enabled]}, actor=actor)
    return True
