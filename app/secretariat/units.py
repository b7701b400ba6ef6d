"""单位管理: every registered unit, its detail, and the secretariat's actions on its account."""
from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, or_, union

from app.accounts.models import STATUS_LABELS, Unit, UnitChangeLog, UnitChangeRequest, User
from app.accounts.password_reset import send_reset_link as queue_reset_link
from app.accounts.sessions import end_all_sessions
from app.core import audit
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.pagination import paginate
from app.core.settings import open_filing_year
from app.core.validators import normalize_text
from app.filings.models import QcGroupFiling, TeamFiling
from app.invitations.models import Invitation

PER_PAGE = 20
DETAIL_PER_PAGE = 20  # invitations, change requests and change history on a unit's detail page
ACCOUNT_FILTERS = {"enabled": "正常", "disabled": "已停用"}
FILED_FILTERS = {"yes": "已备案", "no": "尚未备案"}  # in the open filing year (the 工作台's cards link here)


@dataclass(frozen=True)
class UnitFilters:
    """The search box and filters of the unit list."""

    q: str = ""
    status: str = ""
    province: str = ""
    industry: str = ""
    account: str = ""
    filed: str = ""

    @classmethod
    def from_args(cls, args):
        """Read filters from the query string, ignoring unknown values."""
        status = args.get("status", "")
        account = args.get("account", "")
        filed = args.get("filed", "")
        return cls(q=normalize_text(args.get("q", ""))[:100],
                   status=status if status in STATUS_LABELS else "",
                   province=normalize_text(args.get("province", ""))[:2],
                   industry=normalize_text(args.get("industry", ""))[:4],
                   account=account if account in ACCOUNT_FILTERS else "",
                   filed=filed if filed in FILED_FILTERS else "")

    def as_args(self):
        """The non-empty filters, for links (pagination keeps them)."""
        return {k: v for k, v in self.__dict__.items() if v}


def reference_lists():
    """Provinces and industries for the filter selects."""
    provinces = db.session.execute(db.select(Province).order_by(Province.code)).scalars().all()
    industries = db.session.execute(db.select(Industry).order_by(Industry.code)).scalars().all()
    return provinces, industries


def search_units(filters, page=1, per_page=PER_PAGE):
    """Units matching the filters, newest first; two queries whatever the page size."""
    select = (db.select(Unit).join(Unit.user)
              .options(db.contains_eager(Unit.user), db.joinedload(Unit.province),
                       db.joinedload(Unit.industry))
              .order_by(Unit.created_at.desc(), Unit.id.desc()))
    if filters.q:
        like = f"%{filters.q}%"
        select = select.where(or_(Unit.name.ilike(like), Unit.credit_code.ilike(like.upper()),
                                  User.username.ilike(like)))
    if filters.status:
        select = select.where(Unit.status == filters.status)
    if filters.province:
        select = select.where(Unit.province_code == filters.province)
    if filters.industry:
        select = select.where(Unit.industry_code == filters.industry)
    if filters.account:
        select = select.where(User.is_enabled.is_(filters.account == "enabled"))
    if filters.filed:
        filed = filed_unit_ids(open_filing_year())
        select = select.where(Unit.id.in_(filed) if filters.filed == "yes" else Unit.id.not_in(filed))
    return paginate(select, page, per_page)


def filed_unit_ids(year):
    """SELECT of the ids of units with at least one group or team filing in year (the 工作台 counts the same)."""
    return union(db.select(QcGroupFiling.unit_id).where(QcGroupFiling.year == year),
                 db.select(TeamFiling.unit_id).where(TeamFiling.year == year))


def get_unit_or_404(unit_id):
    """A unit with its account, province and industry, else 404."""
    unit = db.session.execute(
        db.select(Unit).where(Unit.id == unit_id)
        .options(db.joinedload(Unit.user), db.joinedload(Unit.province), db.joinedload(Unit.industry),
                 db.joinedload(Unit.license_file))
    ).scalar_one_or_none()
    if unit is None:
        abort(404)
    return unit


def filings_per_year(unit_id):
    """{year: {"groups": n, "teams": m}} for one unit, newest year first (two grouped queries)."""
    result = {}
    for model, key in ((QcGroupFiling, "groups"), (TeamFiling, "teams")):
        rows = db.session.execute(
            db.select(model.year, func.count()).where(model.unit_id == unit_id).group_by(model.year))
        for year, count in rows:
            result.setdefault(year, {"groups": 0, "teams": 0})[key] = count
    return dict(sorted(result.items(), reverse=True))


def _paged(select, page):
    """One page of a detail list."""
    return paginate(select, page, DETAIL_PER_PAGE)


def unit_detail(unit_id, inv_page=1, req_page=1, log_page=1):
    """Everything the detail page shows about a unit; each list is paged (two queries each)."""
    unit = get_unit_or_404(unit_id)
    return {
        "unit": unit,
        "change_requests": _paged(
            db.select(UnitChangeRequest).where(UnitChangeRequest.unit_id == unit.id)
            .order_by(UnitChangeRequest.created_at.desc(), UnitChangeRequest.id.desc()), req_page),
        "change_logs": _paged(
            db.select(UnitChangeLog).where(UnitChangeLog.unit_id == unit.id)
            .order_by(UnitChangeLog.created_at.desc(), UnitChangeLog.id.desc()), log_page),
        "invitations": _paged(
            db.select(Invitation).where(Invitation.unit_id == unit.id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()), inv_page),
        "filings": filings_per_year(unit.id),
    }


def set_enabled(unit, enabled, actor):
    """Disable (ending every session at once) or enable a unit's account; audited; flushes only."""
    user = unit.user
    if user.is_enabled == enabled:
        return False
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user.id)
    db.session.flush()
    audit.record("unit.enable" if enabled else "unit.disable",
                 f"{'启用' if enabled else '停用'}单位账号：{unit.name}（{user.username}）",
                 target=unit, detail={"is_enabled": [not enabled, enabled]}, actor=actor)
    return True


def send_reset_link(unit, actor):
    """Queue a single-use password-reset link to the unit's email (the accounts area audits it)."""
    queue_reset_link(unit.user, actor=actor)
