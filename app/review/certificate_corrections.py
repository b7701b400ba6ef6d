"""证书信息更正 (spec B12): before 发布 a unit asks to correct one printed name of its declaration with a reason;
the secretariat approves (the declaration's field changes, old → new in the audit detail) or declines.

The values are cleaned by the declaration form's own rules (length, 主要完成人 split and limit, 班组名称 suffix,
control characters), so a corrected value is one the 申报表 itself would have accepted.
"""
from flask import abort

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.pagination import Page, page_number
from app.core.validators import control_char_error
from app.declarations.fields import FieldProblem, clean_value, field_by_name
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review.certificates import CONTRIBUTOR_SEPARATOR, NAME_LABELS, is_published
from app.review.models import CertificateCorrection

FIELDS = ("title", "group_name", "enterprise_name", "main_contributors")
STATUS_LABELS = {"open": "待处理", "approved": "已同意", "declined": "不同意"}
REASON_MAX = 500
NOTE_MAX = 500
PER_PAGE = 50


def field_label(field, kind=None):
    """成果名称 / 小组名称 / 班组名称 / 小组名称/班组名称 / 企业名称 / 主要完成人."""
    if field == "group_name":
        return NAME_LABELS.get(kind, "小组名称/班组名称")
    return {"title": "成果名称", "enterprise_name": "企业名称", "main_contributors": "主要完成人"}[field]


def shown(field, value):
    """A field's value as text (主要完成人 joined by 、 as printed)."""
    if field == "main_contributors":
        return CONTRIBUTOR_SEPARATOR.join(value or [])
    return value or ""


def correctable(unit, year):
    """The unit's 参评 declarations of the year (those that can be awarded), by 申报编号."""
    return db.session.execute(db.select(Declaration).where(
        Declaration.unit_id == unit.id, Declaration.year == year, Declaration.status == STATUS_ACCEPTED)
        .order_by(Declaration.decl_no)).scalars().all()


def parse(form, declarations):
    """(values as typed, errors, cleaned or None) of the 证书信息更正 form."""
    values = {name: (form.get(name) or "") for name in ("declaration_id", "field", "new_value", "reason")}
    errors = {}
    declaration = next((d for d in declarations if str(d.id) == values["declaration_id"]), None)
    if declaration is None:
        errors["declaration_id"] = "请选择要更正的成果。"
    if values["field"] not in FIELDS:
        errors["field"] = "请选择更正内容。"
    reason = values["reason"].strip()
    if not reason:
        errors["reason"] = "请填写更正理由。"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"更正理由最多{REASON_MAX}个字（现有{len(reason)}个）。"
    elif control_char_error(reason, "更正理由"):
        errors["reason"] = control_char_error(reason, "更正理由")
    new_value = None
    if not values["new_value"].strip():
        errors["new_value"] = "请填写更正后的内容。"
    elif declaration is not None and "field" not in errors:
        try:
            new_value = clean_value(declaration.kind, field_by_name(declaration.kind, values["field"]),
                                    values["new_value"])
        except FieldProblem as problem:
            errors["new_value"] = str(problem)
        else:
            if new_value is None:
                errors["new_value"] = "请填写更正后的内容。"
            elif new_value == getattr(declaration, values["field"]):
                errors["new_value"] = "更正后的内容与原内容相同。"
    if declaration is not None and not errors and is_published(declaration.year, declaration.kind):
        errors["declaration_id"] = "评审结果已正式发布，不能再申请证书信息更正。"
    if declaration is not None and not errors and db.session.scalar(db.select(CertificateCorrection.id).where(
            CertificateCorrection.declaration_id == declaration.id,
            CertificateCorrection.field == values["field"], CertificateCorrection.status == "open")):
        errors["field"] = "该成果的这一项已有待处理的更正申请，请等待秘书处处理。"
    if errors:
        return values, errors, None
    return values, errors, {"declaration": declaration, "field": values["field"], "new_value": new_value,
                            "reason": reason}


def file(unit, cleaned):
    """Record a unit's request (flushes); audited."""
    declaration, field = cleaned["declaration"], cleaned["field"]
    row = CertificateCorrection(declaration_id=declaration.id, unit_id=unit.id, field=field,
                                old_value=shown(field, getattr(declaration, field)),
                                new_value=shown(field, cleaned["new_value"]), reason=cleaned["reason"])
    db.session.add(row)
    db.session.flush()
    audit.record("certificate.correction_request",
                 f"申请证书信息更正：{declaration.decl_no} {field_label(field, declaration.kind)}", target=row,
                 detail={"declaration": declaration.decl_no, "field": field, "old": row.old_value,
                         "new": row.new_value, "reason": row.reason})
    return row


def unit_corrections(unit, year):
    """The unit's requests of the year, newest first, with their declarations."""
    return db.session.execute(
        db.select(CertificateCorrection, Declaration.decl_no, Declaration.title, Declaration.kind)
        .join(Declaration, Declaration.id == CertificateCorrection.declaration_id)
        .where(CertificateCorrection.unit_id == unit.id, Declaration.year == year)
        .order_by(CertificateCorrection.id.desc())).all()


def admin_corrections(year, page):
    """The year's requests for the secretariat: open ones first, then newest; with 申请单位 and 申报编号."""
    from app.accounts.models import Unit

    select = (db.select(CertificateCorrection, Declaration.decl_no, Declaration.title, Declaration.kind,
                        Unit.name)
              .join(Declaration, Declaration.id == CertificateCorrection.declaration_id)
              .join(Unit, Unit.id == CertificateCorrection.unit_id)
              .where(Declaration.year == year)
              .order_by((CertificateCorrection.status != "open"), CertificateCorrection.id.desc()))
    total = db.session.scalar(db.select(db.func.count()).select_from(select.order_by(None).subquery()))
    number = page_number(page, total, PER_PAGE)
    rows = db.session.execute(select.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return Page(rows, number, PER_PAGE, total)


def get_or_404(correction_id, year):
    """A request of the year, or 404."""
    row = db.session.get(CertificateCorrection, correction_id)
    if row is None or row.declaration.year != year:
        abort(404)
    return row


def approve(row, user):
    """同意: the declaration's field takes the new value, audited old → new (flushes); an error or None."""
    if row.status != "open":
        return "该申请已处理。"
    declaration = row.declaration
    old = getattr(declaration, row.field)
    new = (row.new_value.split(CONTRIBUTOR_SEPARATOR) if row.field == "main_contributors" else row.new_value)
    setattr(declaration, row.field, new)
    row.status, row.handled_by_id, row.handled_at = "approved", user.id, utcnow()
    audit.record("certificate.correction_approve",
                 f"同意证书信息更正：{declaration.decl_no} {field_label(row.field, declaration.kind)}"
                 f"“{shown(row.field, old)}”→“{row.new_value}”", target=row,
                 detail={"declaration": declaration.decl_no, "field": row.field, "old": shown(row.field, old),
                         "new": row.new_value})
    db.session.flush()
    return None


def decline(row, user, note):
    """不同意 with an optional note (flushes); audited. Returns an error or None."""
    if row.status != "open":
        return "该申请已处理。"
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        return f"处理意见最多{NOTE_MAX}个字。"
    if control_char_error(note, "处理意见"):
        return control_char_error(note, "处理意见")
    row.status, row.handled_by_id, row.handled_at, row.handling_note = "declined", user.id, utcnow(), note
    audit.record("certificate.correction_decline",
                 f"不同意证书信息更正：{row.declaration.decl_no} {field_label(row.field, row.declaration.kind)}",
                 target=row, detail={"declaration": row.declaration.decl_no, "field": row.field,
                                     "new": row.new_value, "note": note})
    db.session.flush()
    return None
