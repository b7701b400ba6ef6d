"""审核注册: registrations with filters, detail with license and change history, inline decisions."""
from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import case, or_
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.extensions import db
from app.htmx import render
from app.models import Industry, Province, Unit, UnitChangeLog, UnitChangeRequest, User
from app.models.unit import STATUS_LABELS, STATUS_PENDING
from app.permissions import secretariat_required
from app.services import accounts, registration
from app.services.registration import FIELD_LABELS, RegistrationError
from app.services.validators import normalize_credit_code, normalize_text

PER_PAGE = 20


def _filters():
    args = request.args
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
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Unit.name.like(pattern, escape="\\"),
                                Unit.credit_code == normalize_credit_code(filters["q"])))
    pending_first = case((Unit.status == STATUS_PENDING, 0), else_=1)
    return query.order_by(pending_first, Unit.created_at.desc(), Unit.id.desc())


@bp.get("/registrations", endpoint="registrations")
@secretariat_required
def registrations():
    """审核注册: pending first; filter by status, province, industry; search name or credit code."""
    filters = _filters()
    page = db.paginate(_query(filters), page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
    requests = db.session.execute(
        db.select(UnitChangeRequest).options(joinedload(UnitChangeRequest.unit))
        .where(UnitChangeRequest.status == STATUS_PENDING).order_by(UnitChangeRequest.created_at).limit(50)
    ).scalars().all()
    provinces = db.session.execute(db.select(Province).order_by(Province.code)).scalars().all()
    industries = db.session.execute(db.select(Industry).order_by(Industry.code)).scalars().all()
    return render("admin/registrations/index.html", "admin/registrations/_list.html", pager=page,
                  filters=filters, change_requests=requests, provinces=provinces, industries=industries,
                  status_labels=STATUS_LABELS)


def _unit_or_404(unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def _history(unit):
    rows = db.session.execute(
        db.select(UnitChangeLog, User.username, User.display_name)
        .outerjoin(User, User.id == UnitChangeLog.actor_id)
        .where(UnitChangeLog.unit_id == unit.id)
        .order_by(UnitChangeLog.created_at.desc(), UnitChangeLog.id.desc())
    ).all()
    return rows


@bp.get("/registrations/<int:unit_id>", endpoint="registration_detail")
@secretariat_required
def registration_detail(unit_id):
    """One registration: every field, the license, change requests and the change history."""
    unit = _unit_or_404(unit_id)
    requests = db.session.execute(db.select(UnitChangeRequest).where(UnitChangeRequest.unit_id == unit.id)
                                  .order_by(UnitChangeRequest.created_at.desc())).scalars().all()
    return render_template("admin/registrations/detail.html", unit=unit, change_requests=requests,
                           history=_history(unit), field_labels=FIELD_LABELS, status_labels=STATUS_LABELS,
                           errors={})


def _decision_response(unit, errors, status):
    """The row (from the list) or the decision panel (from the detail page)."""
    if request.form.get("from") == "list":
        return render_template("admin/registrations/_row.html", unit=unit, errors=errors), status
    return render_template("admin/registrations/_decision.html", unit=unit, errors=errors), status


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
    return render_template("admin/registrations/_change_request.html", cr=row, errors=errors,
                           compact=request.form.get("from") == "list"), 422 if errors else 200
