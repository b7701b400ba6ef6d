"""审核注册: registrations with filters, detail with license and change history, inline decisions."""
from flask import abort, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import case, or_
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from app.accounts import registration
from app.accounts import services as accounts
from app.accounts.models import STATUS_LABELS, STATUS_PENDING, Unit, UnitChangeLog, UnitChangeRequest, User
from app.accounts.registration import RegistrationError
from app.core.extensions import db
from app.core.pagination import like_pattern
from app.core.htmx import is_htmx, render, trigger
from app.core.models import Industry, Province
from app.core.permissions import secretariat_required
from app.core.validators import normalize_credit_code, normalize_text
from app.secretariat import labels
from app.secretariat.views import bp

PER_PAGE = 20
CHANGE_REQUESTS_SHOWN = 50
HISTORY_PER_PAGE = 30
HISTORY_EVENT = "registration-changed"  # a decision on the detail page reloads its 变更记录
LIST_EVENT = "change-request-decided"  # a change request decided on 审核注册 reloads the registration list


def _filters(args=None):
    args = request.args if args is None else args
    return {"status": args.get("status", "") if args.get("status") in STATUS_LABELS else "",
            "province": normalize_text(args.get("province"))[:2],
            "industry": normalize_text(args.get("industry"))[:4],
            "q": normalize_text(args.get("q"))[:100]}


def _query(filters):
    query = db.select(Unit).options(
        joinedload(Unit.province), joinedload(Unit.industry), joinedload(Unit.user))
    if filters["status"]:
        query = query.where(Unit.status == filters["status"])
    if filters["province"]:
        query = query.where(Unit.province_code == filters["province"])
    if filters["industry"]:
        query = query.where(Unit.industry_code == filters["industry"])
    if filters["q"]:
        pattern = like_pattern(filters["q"])
        query = query.where(or_(Unit.name.like(pattern, escape="\\"),
                                Unit.credit_code == normalize_credit_code(filters["q"])))
    pending_first = case((Unit.status == STATUS_PENDING, 0), else_=1)
    return query.order_by(pending_first, Unit.created_at.desc(), Unit.id.desc())


def _list_context(args, decided=None):
    """The list for some filters and page; a page emptied by decisions falls back to the last page."""
    filters = _filters(args)
    number = max(args.get("page", 1, type=int) or 1, 1)
    pager = db.paginate(_query(filters), page=number, per_page=PER_PAGE, error_out=False)
    if not pager.items and pager.pages and number > pager.pages:
        pager = db.paginate(_query(filters), page=pager.pages, per_page=PER_PAGE, error_out=False)
    pending_total = db.session.execute(
        db.select(db.func.count(Unit.id)).where(Unit.status == STATUS_PENDING)).scalar()
    return {"pager": pager, "filters": filters, "status_labels": STATUS_LABELS,
            "pending_total": pending_total, "decided": decided}


def _change_requests():
    """The pending change requests shown (oldest first) and how many are pending in all."""
    pending_requests = db.select(UnitChangeRequest).where(UnitChangeRequest.status == STATUS_PENDING)
    requests = db.session.execute(
        pending_requests.options(joinedload(UnitChangeRequest.unit))
        .order_by(UnitChangeRequest.created_at, UnitChangeRequest.id)
        .limit(CHANGE_REQUESTS_SHOWN)).scalars().all()
    total = len(requests)
    if total == CHANGE_REQUESTS_SHOWN:
        total = db.session.execute(
            db.select(db.func.count()).select_from(pending_requests.subquery())).scalar()
    return {"change_requests": requests, "change_requests_total": total}


@bp.get("/registrations", endpoint="registrations")
@secretariat_required
def registrations():
    """审核注册: pending first; filter by status, province, industry; search name or credit code."""
    context = _list_context(request.args)
    provinces = db.session.execute(db.select(Province).order_by(Province.code)).scalars().all()
    industries = db.session.execute(db.select(Industry).order_by(Industry.code)).scalars().all()
    return render("admin/registrations/index.html", "admin/registrations/_list.html",
                  provinces=provinces, industries=industries, **_change_requests(), **context)


def _unit_or_404(unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


class HistoryPage:
    """One page of a unit's change history: .rows of (log, username, display_name), .page, .pages."""

    def __init__(self, unit, page):
        self.total = db.session.execute(
            db.select(db.func.count(UnitChangeLog.id)).where(UnitChangeLog.unit_id == unit.id)).scalar()
        self.pages = max((self.total + HISTORY_PER_PAGE - 1) // HISTORY_PER_PAGE, 1)
        self.page = min(max(page or 1, 1), self.pages)
        self.rows = db.session.execute(
            db.select(UnitChangeLog, User.username, User.display_name)
            .outerjoin(User, User.id == UnitChangeLog.actor_id)
            .where(UnitChangeLog.unit_id == unit.id)
            .order_by(UnitChangeLog.created_at.desc(), UnitChangeLog.id.desc())
            .offset((self.page - 1) * HISTORY_PER_PAGE).limit(HISTORY_PER_PAGE)
        ).all()


@bp.get("/registrations/<int:unit_id>", endpoint="registration_detail")
@secretariat_required
def registration_detail(unit_id):
    """One registration: every field, the license, change requests and the change history (paged)."""
    unit = db.session.execute(
        db.select(Unit).options(joinedload(Unit.user), joinedload(Unit.province), joinedload(Unit.industry),
                                joinedload(Unit.license_file)).where(Unit.id == unit_id)).scalar_one_or_none()
    if unit is None:
        abort(404)
    history = HistoryPage(unit, request.args.get("hpage", 1, type=int))
    if is_htmx() and request.args.get("hpage"):
        return render_template("admin/registrations/_history.html", unit=unit, history=history,
                               **labels.history_context())
    requests = db.session.execute(
        db.select(UnitChangeRequest).options(joinedload(UnitChangeRequest.unit))
        .where(UnitChangeRequest.unit_id == unit.id)
        .order_by(UnitChangeRequest.created_at.desc()).limit(CHANGE_REQUESTS_SHOWN)).scalars().all()
    response = make_response(render_template(
        "admin/registrations/detail.html", unit=unit, change_requests=requests, history=history,
        errors={}, **labels.history_context()))
    response.headers["Vary"] = "HX-Request"
    return response


def _decision_response(unit, errors, status):
    """From the list: the whole list again (same filters and page) with a note on the decision, so a
    decided row leaves the 待审核 filter and the counts are right; an error only redraws its row.
    From the detail page: the decision panel."""
    if request.form.get("from") == "list":
        if errors:
            response = make_response(render_template("admin/registrations/_row.html", unit=unit,
                                                      errors=errors), status)
            response.headers["HX-Retarget"] = f"#reg-{unit.id}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        args = MultiDict({key[5:]: value for key, value in request.form.items() if key.startswith("list_")})
        return render_template("admin/registrations/_list.html", **_list_context(args, decided=unit)), status
    next_pending = None
    if not errors:
        # so a clerk working through the queue on detail pages goes straight to the next one
        next_pending = db.session.execute(
            db.select(Unit).where(Unit.status == STATUS_PENDING, Unit.id != unit.id)
            .order_by(Unit.created_at.desc(), Unit.id.desc()).limit(1)).scalar_one_or_none()
    response = make_response(render_template("admin/registrations/_decision.html", unit=unit, errors=errors,
                                             next_pending=next_pending), status)
    return trigger(response, HISTORY_EVENT) if not errors else response


@bp.post("/registrations/<int:unit_id>/approve", endpoint="registration_approve")
@secretariat_required
def registration_approve(unit_id):
    """通过: the unit may log in; the 注册成功 email is queued."""
    unit = _unit_or_404(unit_id)
    try:
        registration.approve(unit, current_user)
    except RegistrationError as error:
        db.session.rollback()
        return _decision_response(_unit_or_404(unit_id), error.errors, 422)
    db.session.commit()
    return _decision_response(unit, {}, 200)


@bp.post("/registrations/<int:unit_id>/reject", endpoint="registration_reject")
@secretariat_required
def registration_reject(unit_id):
    """不通过 with a reason: the 注册失败 email with the reason is queued."""
    unit = _unit_or_404(unit_id)
    try:
        registration.reject(unit, current_user, request.form.get("reason"))
    except RegistrationError as error:
        db.session.rollback()
        return _decision_response(_unit_or_404(unit_id), error.errors, 422)
    db.session.commit()
    return _decision_response(unit, {}, 200)


@bp.post("/change-requests/<int:request_id>/decide", endpoint="change_request_decide")
@secretariat_required
def change_request_decide(request_id):
    """通过 or 不通过 a change of name, credit code or license."""
    row = db.session.get(UnitChangeRequest, request_id)
    if row is None:
        abort(404)
    approve = request.form.get("decision") == "approve"
    errors = {}
    try:
        accounts.decide_change_request(row, current_user, approve, request.form.get("reason"))
    except RegistrationError as error:
        db.session.rollback()
        errors = error.errors
        row = db.session.get(UnitChangeRequest, request_id)
    else:
        db.session.commit()
    status = 422 if errors else 200
    if request.form.get("from") == "list":
        # the whole section: the decided request leaves it and its heading counts only what is pending;
        # the registration list below reloads (an approved new name shows there at once)
        response = make_response(render_template(
            "admin/registrations/_change_requests.html", decided=None if errors else row,
            row_errors={row.id: errors} if errors else None, **_change_requests()), status)
        return trigger(response, LIST_EVENT) if not errors else response
    response = make_response(render_template("admin/registrations/_change_request.html", cr=row, errors=errors,
                                              compact=False), status)
    return trigger(response, HISTORY_EVENT) if not errors else response
