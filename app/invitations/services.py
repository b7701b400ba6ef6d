"""Invitations (邀请备案): adding, listing with filing counts, link tokens, deleting.

A link token is an HMAC of the server secret over (invitation id, kind, version): the unit can be
shown its link again, the database alone does not reveal it (only its SHA-256 is stored), and
bumping the version replaces it at once. Replaced links and links of deleted invitations keep their
hash in InvitationRetiredToken so they can say 链接已失效 with the inviting unit's contact.
"""
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import STATUS_APPROVED
from app.core import audit
from app.core.extensions import db
from app.core.tokens import hash_token, hmac_token
from app.core.validators import (
    control_char_errors,
    landline_error,
    mobile_error,
    name_key,
    normalize_landline,
    normalize_mobile,
    normalize_name,
    normalize_text,
)
from app.filings.models import QcGroupFiling, TeamFiling
from app.invitations.models import RETIRED_DELETED, RETIRED_REPLACED, Invitation, InvitationRetiredToken

GROUP = "group"
TEAM = "team"
KINDS = (GROUP, TEAM)
KIND_LABELS = {GROUP: "小组", TEAM: "班组"}
FILING_MODELS = {GROUP: QcGroupFiling, TEAM: TeamFiling}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PER_PAGE = 20

STATE_OK = "ok"
STATE_CLOSED = "closed"
STATE_RETIRED = "retired"
STATE_UNKNOWN = "unknown"


class InvitationError(Exception):
    """Invalid invitation data; field_errors maps field names to Chinese messages."""

    def __init__(self, field_errors):
        super().__init__("; ".join(field_errors.values()))
        self.field_errors = field_errors


# ---- tokens -------------------------------------------------------------------------------------

def _version_attr(kind):
    return f"{kind}_token_version"


def _hash_attr(kind):
    return f"{kind}_token_hash"


def link_token(invitation, kind):
    """The secret token of the invitation's group or team link (256 bits, derived, not stored)."""
    return hmac_token("invitation", invitation.id, kind, getattr(invitation, _version_attr(kind)))


def _store_hashes(invitation):
    for kind in KINDS:
        setattr(invitation, _hash_attr(kind), hash_token(link_token(invitation, kind)))


def _retire(invitation, kind, reason):
    old_hash = getattr(invitation, _hash_attr(kind))
    if old_hash:
        db.session.merge(InvitationRetiredToken(
            token_hash=old_hash, unit_id=invitation.unit_id, invitation_id=invitation.id,
            kind=kind, reason=reason))


def regenerate_link(invitation, kind):
    """重新生成链接: bump the kind's version so the old link stops working at once; flushes."""
    _retire(invitation, kind, RETIRED_REPLACED)
    setattr(invitation, _version_attr(kind), getattr(invitation, _version_attr(kind)) + 1)
    setattr(invitation, _hash_attr(kind), hash_token(link_token(invitation, kind)))
    audit.record("invitation.link_regenerated",
                 f"重新生成{KIND_LABELS[kind]}邀请链接：{invitation.enterprise_name}", target=invitation,
                 detail={"kind": kind, "version": getattr(invitation, _version_attr(kind))})
    db.session.flush()


@dataclass
class LinkState:
    """What a link token leads to: ok, closed (deadline passed), retired or unknown."""

    state: str
    kind: str
    invitation: Invitation | None = None
    unit: object = None
    reason: str | None = None

    @property
    def usable(self):
        """True when the enterprise may file through this link now."""
        return self.state == STATE_OK


def resolve_link(kind, token, period):
    """Find the invitation behind a link token (constant work whatever the token)."""
    token_hash = hash_token(token or "")
    invitation = db.session.execute(
        select(Invitation).where(getattr(Invitation, _hash_attr(kind)) == token_hash)
    ).scalar_one_or_none()
    if invitation is not None:
        unit = invitation.unit
        if unit.status != STATUS_APPROVED or not unit.user.is_enabled:
            # A unit whose account was disabled (or is no longer approved) cannot collect filings.
            return LinkState(STATE_RETIRED, kind, None, unit, "inactive")
        return LinkState(STATE_OK if period.is_open else STATE_CLOSED, kind, invitation, unit)
    retired = db.session.get(InvitationRetiredToken, token_hash)
    if retired is not None and retired.kind == kind:
        return LinkState(STATE_RETIRED, kind, None, retired.unit, retired.reason)
    return LinkState(STATE_UNKNOWN, kind)


# ---- adding -------------------------------------------------------------------------------------

INVITATION_LABELS = {"enterprise_name": "被邀企业名称", "contact": "联系人", "email": "邮箱", "phone": "联系电话"}


def clean_invitation_data(data):
    """Normalize and check the four inputs; return (values, field_errors)."""
    values = {
        "enterprise_name": normalize_name(data.get("enterprise_name")),
        "contact": normalize_name(data.get("contact")),
        "email": normalize_text(data.get("email")).lower(),
        "phone": normalize_text(data.get("phone")),
    }
    errors = {}
    if not values["enterprise_name"]:
        errors["enterprise_name"] = "请填写被邀企业名称。"
    elif len(values["enterprise_name"]) > 200:
        errors["enterprise_name"] = "被邀企业名称不能超过200个字。"
    if not values["contact"]:
        errors["contact"] = "请填写联系人。"
    elif len(values["contact"]) > 50:
        errors["contact"] = "联系人不能超过50个字。"
    if not values["email"]:
        errors["email"] = "请填写邮箱。"
    elif len(values["email"]) > 254 or not EMAIL_RE.match(values["email"]):
        errors["email"] = "邮箱格式不正确，例如name@example.com。"
    phone = values["phone"]
    if not phone:
        errors["phone"] = "请填写联系电话。"
    elif not mobile_error(phone):
        values["phone"] = normalize_mobile(phone)
    elif not landline_error(phone):
        values["phone"] = normalize_landline(phone)
    else:
        errors["phone"] = "联系电话应为11位手机号码或区号-座机号码，例如13912345678或010-84885418。"
    errors.update(control_char_errors(data, INVITATION_LABELS))
    return values, errors


def create_invitation(unit, data):
    """添加邀请: validate, add, derive both link hashes; flushes. Raises InvitationError."""
    values, errors = clean_invitation_data(data)
    if "enterprise_name" not in errors:
        # compared by key: "（北京）" and "(北京)" name the same enterprise
        exists = db.session.execute(
            select(Invitation.id).where(Invitation.unit_id == unit.id,
                                        Invitation.enterprise_key == name_key(values["enterprise_name"]))
        ).first()
        if exists:
            errors["enterprise_name"] = "该企业已在邀请列表中，可直接使用它的邀请链接（往年添加的邀请可继续使用）。"
    if errors:
        raise InvitationError(errors)
    invitation = Invitation(unit_id=unit.id, **values)
    db.session.add(invitation)
    db.session.flush()  # the id is part of the tokens
    _store_hashes(invitation)
    audit.record("invitation.created", f"添加邀请：{invitation.enterprise_name}", target=invitation,
                 detail=values)
    db.session.flush()
    return invitation


# ---- listing ------------------------------------------------------------------------------------

@dataclass
class InvitationPage:
    """One page of a unit's invitations with their filing counts of the year."""

    items: list
    total: int
    page: int
    per_page: int
    counts: dict = field(default_factory=dict)

    @property
    def pages(self):
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self):
        """Rows before this page (序号 starts after them)."""
        return (self.page - 1) * self.per_page


def list_invitations(unit, year, q="", page=1, per_page=PER_PAGE):
    """The unit's invitations, newest first, filtered by name; four queries whatever the size."""
    query = select(Invitation).where(Invitation.unit_id == unit.id)
    q = name_key(q)
    if q:  # by key, so a search typed with other punctuation widths still finds the name
        query = query.where(Invitation.enterprise_key.contains(q, autoescape=True))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = db.session.execute(
        query.options(joinedload(Invitation.group_mail), joinedload(Invitation.team_mail))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return InvitationPage(items, total, page, per_page, filing_counts(unit, year, [i.id for i in items]))


def filing_counts(unit, year, invitation_ids):
    """{invitation id: (groups, teams)} of the year: one GROUP BY query per kind."""
    ids = [int(i) for i in invitation_ids]
    counts = {i: [0, 0] for i in ids}
    if not ids:
        return {}
    for position, kind in enumerate(KINDS):
        model = FILING_MODELS[kind]
        rows = db.session.execute(
            select(model.invitation_id, func.count())
            .where(model.unit_id == unit.id, model.year == year, model.invitation_id.in_(ids))
            .group_by(model.invitation_id)
        ).all()
        for invitation_id, number in rows:
            counts[invitation_id][position] = number
    return {i: tuple(c) for i, c in counts.items()}


def owned_ids(unit, invitation_ids):
    """The ids among invitation_ids that belong to unit (one query)."""
    ids = [int(i) for i in invitation_ids][:200]
    if not ids:
        return []
    return list(db.session.execute(
        select(Invitation.id).where(Invitation.unit_id == unit.id, Invitation.id.in_(ids))
    ).scalars())


def filing_count(invitation, kind, year=None):
    """How many filings of kind came through the invitation (of one year, or of all years)."""
    model = FILING_MODELS[kind]
    query = select(func.count()).select_from(model).where(
        model.unit_id == invitation.unit_id, model.invitation_id == invitation.id)
    if year is not None:
        query = query.where(model.year == year)
    return db.session.execute(query).scalar_one()


def filing_years(invitation, kind):
    """The years in which filings of kind came through the invitation."""
    model = FILING_MODELS[kind]
    return sorted(db.session.execute(
        select(model.year).where(model.invitation_id == invitation.id).distinct()).scalars())


# ---- mail ---------------------------------------------------------------------------------------

def send_link_mail(invitation, kind, url, period):
    """发送邮件: queue the link to the enterprise's address through the outbox; audited."""
    from app.core.outbox import queue_mail

    label = KIND_LABELS[kind]
    unit = invitation.unit
    what = "质量管理小组" if kind == GROUP else "质量信得过班组"
    subject = f"{unit.name}邀请贵单位进行{period.year}年度{what}登记备案"
    body = "\n".join([
        f"{invitation.enterprise_name}（{invitation.contact}）：",
        "",
        f"{unit.name}邀请贵单位通过以下链接录入或导入{period.year}年度{what}登记备案信息，",
        f"备案截止时间为{period.deadline.year}年{period.deadline.month}月{period.deadline.day}日：",
        "",
        url,
        "",
        "此链接无需注册登录，请勿转发给其他单位。被邀请企业无法管理登记备案的信息，"
        "如需修改相关信息，请联系组织单位邀请人：",
        f"{unit.name}　联系人：{unit.contact}　电话：{unit.mobile}　邮箱：{unit.email}",
    ])
    mail = queue_mail(invitation.email, subject, body)
    db.session.flush()  # the mail's id, kept on the invitation so its row shows 待发送 / 已发送 / 失败
    setattr(invitation, f"{kind}_mail_id", mail.id)
    audit.record("invitation.link_mailed", f"发送{label}邀请链接邮件：{invitation.enterprise_name} <{invitation.email}>",
                 target=invitation, detail={"kind": kind, "recipient": invitation.email})
    db.session.flush()
    return mail


# ---- deleting -----------------------------------------------------------------------------------

def delete_year_filings(invitation, kind, year):
    """删除小组备案 / 删除班组备案: the invitation's filings of kind in year; returns how many."""
    from app.filings.services import delete_filings_for_invitation

    number = delete_filings_for_invitation(kind, invitation, year)  # audited there
    db.session.flush()
    return number


def delete_invitation(invitation, delete_filings):
    """删除 the enterprise; its filings go too, or stay in the unit's lists (invitation_id NULL)."""
    deleted = {GROUP: 0, TEAM: 0}
    kept = {GROUP: 0, TEAM: 0}
    for kind in KINDS:
        if delete_filings:
            for year in filing_years(invitation, kind):
                deleted[kind] += delete_year_filings(invitation, kind, year)
        else:
            model = FILING_MODELS[kind]
            kept[kind] = filing_count(invitation, kind)
            # Done here too (not only by ON DELETE SET NULL) so the session's objects agree.
            db.session.execute(
                model.__table__.update().where(model.invitation_id == invitation.id).values(invitation_id=None))
        _retire(invitation, kind, RETIRED_DELETED)
    db.session.flush()
    db.session.execute(db.update(InvitationRetiredToken).where(
        InvitationRetiredToken.invitation_id == invitation.id).values(invitation_id=None))
    audit.record("invitation.deleted", f"删除邀请：{invitation.enterprise_name}"
                 + ("（同时删除其备案记录）" if delete_filings else "（保留其备案记录）"),
                 target=invitation, detail={"deleted_filings": deleted, "kept_filings": kept,
                                            "enterprise_name": invitation.enterprise_name})
    db.session.delete(invitation)
    db.session.flush()
    return deleted, kept
