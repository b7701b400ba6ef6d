"""异议 (spec B11, D28): filed online by a logged-in unit while a 公示 is open, or recorded by the secretariat
(phone, mail); handled as 维持 with a 处理结果, or 调整, which changes the award_result's level with a reason
(audited) and may re-issue the 公示 list. Services flush; the view commits once."""
from dataclasses import dataclass, field

from flask import abort

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.pagination import paginate
from app.core.validators import (
    clean_text,
    control_char_errors,
    landline_error,
    mobile_error,
    normalize_landline,
    normalize_mobile,
)
from app.declarations.models import Declaration
from app.review import publicity as publicity_service
from app.review.publicity_files import listed_rows
from app.review.models import AWARD_LEVELS, OBJECTION_STATUS_LABELS, AwardResult, Objection, Publicity

MAX_CONTENT = 1000
MAX_HANDLING = 1000
MAX_REASON = 500
STATUS_LABELS = OBJECTION_STATUS_LABELS
DECISIONS = {"keep": "维持", "adjust": "调整"}


@dataclass
class ObjectionForm:
    """An 异议 or 处理 form: values as typed and a message per wrong field."""

    values: dict
    errors: dict = field(default_factory=dict)


def listed_choices(publicity):
    """[(declaration_id, '成果名称（小组名称，企业名称）')] of the achievements the 公示 lists."""
    rows = listed_rows(publicity.year, publicity_service.KINDS[publicity.kind])
    return [(r.declaration_id, f"{r.title}（{r.group_name}，{r.enterprise_name}）") for r in rows]


def clean_phone(value):
    """(normalised phone, None) for a mobile or a landline like 010-84885418, else (typed, message)."""
    text = (value or "").strip()
    if not text:
        return text, "请填写联系电话。"
    if mobile_error(text) is None:
        return normalize_mobile(text), None
    if landline_error(text) is None:
        return normalize_landline(text), None
    return text, "请输入11位手机号码或座机号码（区号-号码，例如010-84885418）。"


def empty_form(name="", phone=""):
    """An empty 异议 form (a unit's contact filled in)."""
    return ObjectionForm(values={"declaration_id": "", "content": "", "submitter_name": name, "phone": phone})


def parse(form_data, choices, name_label="联系人"):
    """Read and check a posted 异议; returns (ObjectionForm, cleaned or None)."""
    values = {"declaration_id": (form_data.get("declaration_id") or "").strip(),
              "content": (form_data.get("content") or "").strip(),
              "submitter_name": clean_text(form_data.get("submitter_name")),
              "phone": clean_text(form_data.get("phone"))}
    errors = {}
    listed = {str(d) for d, _label in choices}
    if values["declaration_id"] not in listed:
        errors["declaration_id"] = "请选择涉及成果（公示名单中的成果）。"
    if not values["content"]:
        errors["content"] = "请填写异议内容。"
    elif len(values["content"]) > MAX_CONTENT:
        errors["content"] = f"异议内容不能超过{MAX_CONTENT}字（现有{len(values['content'])}字）。"
    if not values["submitter_name"]:
        errors["submitter_name"] = f"请填写{name_label}。"
    elif len(values["submitter_name"]) > 50:
        errors["submitter_name"] = f"{name_label}不能超过50字。"
    phone, message = clean_phone(values["phone"])
    if message:
        errors["phone"] = message
    errors.update({k: v for k, v in control_char_errors(
        values, {"content": "异议内容", "submitter_name": name_label, "phone": "联系电话"}).items()
        if k not in errors})
    form = ObjectionForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, {"declaration_id": int(values["declaration_id"]), "content": values["content"],
                  "submitter_name": values["submitter_name"], "phone": phone}


def file(publicity, cleaned, actor, unit=None):
    """A unit's 异议 (unit given) or one the secretariat records; audited; flushes."""
    objection = Objection(publicity_id=publicity.id, declaration_id=cleaned["declaration_id"],
                          submitted_by_unit_id=getattr(unit, "id", None),
                          submitter_name=cleaned["submitter_name"],
                          phone=cleaned["phone"], content=cleaned["content"], status="open",
                          recorded_by_id=None if unit is not None else getattr(actor, "id", None))
    db.session.add(objection)
    db.session.flush()
    declaration = db.session.get(Declaration, cleaned["declaration_id"])
    action, verb = ("objection.file", "提出异议") if unit is not None else ("objection.record", "登记异议")
    audit.record(action, f"{verb}：{declaration.decl_no} {declaration.title}（{publicity.title}）",
                 target=objection,
                 detail={"declaration": declaration.decl_no, "submitter": objection.submitter_name,
                         "phone": objection.phone}, actor=actor)
    return objection


def for_publicity(publicity, page=1, per_page=20):
    """The 公示's 异议, newest first, with their declarations (paginated; two queries per page)."""
    select = (db.select(Objection).where(Objection.publicity_id == publicity.id)
              .order_by(Objection.id.desc()).options(db.joinedload(Objection.declaration)))
    return paginate(select, page, per_page)


def for_unit(unit, year):
    """The 异议 a unit filed in the year's 公示, newest first (one query)."""

    return db.session.execute(
        db.select(Objection).join(Publicity, Publicity.id == Objection.publicity_id)
        .where(Objection.submitted_by_unit_id == unit.id, Publicity.year == year)
        .order_by(Objection.id.desc()).options(db.joinedload(Objection.declaration))).scalars().all()


def get_or_404(objection_id, unit=None):
    """An 异议 by id (a unit's own only when unit is given), else 404."""
    objection = db.session.get(Objection, objection_id)
    if objection is None or (unit is not None and objection.submitted_by_unit_id != unit.id):
        abort(404)
    return objection


def result_of(objection):
    """The award_result of the declaration the 异议 concerns (or None)."""
    return db.session.execute(db.select(AwardResult).where(
        AwardResult.declaration_id == objection.declaration_id)).scalar_one_or_none()


def handling_form(objection):
    """The 处理 form filled from the 异议 and its result."""
    result = result_of(objection)
    return ObjectionForm(values={"decision": "keep", "handling": objection.handling,
                                 "level": result.level if result else "", "reason": "", "reissue": ""})


def parse_handling(form_data, current_level):
    """Read and check a posted 处理; returns (ObjectionForm, cleaned or None)."""
    values = {"decision": (form_data.get("decision") or "").strip(),
              "handling": (form_data.get("handling") or "").strip(),
              "level": (form_data.get("level") or "").strip(), "reason": clean_text(form_data.get("reason")),
              "reissue": "1" if form_data.get("reissue") else ""}
    errors = {}
    if values["decision"] not in DECISIONS:
        errors["decision"] = "请选择处理方式（维持或调整）。"
    if not values["handling"]:
        errors["handling"] = "请填写处理结果。"
    elif len(values["handling"]) > MAX_HANDLING:
        errors["handling"] = f"处理结果不能超过{MAX_HANDLING}字。"
    if values["decision"] == "adjust":
        if values["level"] not in AWARD_LEVELS:
            errors["level"] = "请选择调整后的评定等级。"
        elif values["level"] == current_level:
            errors["level"] = f"调整后的评定等级与原等级（{current_level}）相同；不改变等级请选择“维持”。"
        if not values["reason"]:
            errors["reason"] = "请填写调整原因。"
        elif len(values["reason"]) > MAX_REASON:
            errors["reason"] = f"调整原因不能超过{MAX_REASON}字。"
    errors.update({k: v for k, v in control_char_errors(
        values, {"handling": "处理结果", "reason": "调整原因"}).items() if k not in errors})
    form = ObjectionForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, {"decision": values["decision"], "handling": values["handling"], "level": values["level"],
                  "reason": values["reason"], "reissue": bool(values["reissue"])}


def handle(objection, cleaned, actor):
    """维持 or 调整 an 异议 (调整 changes the level with its reason, audited; optionally re-issues the 公示
    list); returns the stored names of replaced files to delete after commit; flushes."""

    if objection.status != "open":
        raise publicity_service.PublicityError("该异议已处理。")
    publicity = db.session.get(Publicity, objection.publicity_id)
    if publicity.status == "published":
        raise publicity_service.PublicityError("评审结果已正式发布，不能再处理该公示的异议。")
    declaration = objection.declaration
    objection.handling = cleaned["handling"]
    objection.handled_by_id = getattr(actor, "id", None)
    objection.handled_at = utcnow()
    replaced = []
    if cleaned["decision"] == "adjust":
        result = result_of(objection)
        if result is None:
            raise publicity_service.PublicityError("该成果没有评审结果，不能调整等级。")
        old = result.level
        result.level = cleaned["level"]
        result.override_reason = cleaned["reason"]
        result.decided_by_id = getattr(actor, "id", None)
        objection.status = "adjusted"
        db.session.flush()
        audit.record("award_result.override", f"调整评定等级：{declaration.decl_no} {old} → {result.level}",
                     target=result, detail={"declaration": declaration.decl_no, "level": [old, result.level],
                                            "reason": cleaned["reason"], "objection": objection.id},
                     actor=actor)
    else:
        objection.status = "kept"
        db.session.flush()
    audit.record("objection.handle", f"处理异议（{DECISIONS[cleaned['decision']]}）：{declaration.decl_no} "
                 f"{declaration.title}", target=objection,
                 detail={"decision": DECISIONS[cleaned["decision"]], "handling": cleaned["handling"]},
                 actor=actor)
    if cleaned["decision"] == "adjust" and cleaned["reissue"]:
        replaced = publicity_service.reissue(publicity, actor, reason=f"异议调整：{declaration.decl_no}")
    return replaced
