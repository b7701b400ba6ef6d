"""形式审查 conclusions (spec A2, A13, A14): 参评 / 完善后参评 / 不评 / 缓评, one new formal_check row per save,
a version check against two clerks deciding at once, the unit's mail in the same transaction, and 批量参评.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import update

from app.accounts.models import User
from app.core import audit, outbox
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.settings import declaration_period
from app.core.template_helpers import china_date, china_time
from app.core.validators import normalize_text
from app.declarations import formal_check
from app.declarations.overview import typed_text
from app.declarations.models import (
    CONCLUSION_LABELS,
    STATUS_ACCEPTED,
    STATUS_DEFERRED,
    STATUS_DRAFT,
    STATUS_REJECTED,
    STATUS_RETURNED,
    STATUS_LABELS,
    STATUS_SUBMITTED,
    Declaration,
    FormalCheck,
)

CONCLUSIONS = CONCLUSION_LABELS
# Which conclusions a status admits: 缓评 may later become 参评 or 不评 (spec A2, D13); 不评 is final and 参评
# enters the review.
ALLOWED = {STATUS_SUBMITTED: tuple(CONCLUSIONS), STATUS_RETURNED: tuple(CONCLUSIONS),
           STATUS_DEFERRED: (STATUS_ACCEPTED, STATUS_REJECTED)}
FINAL_MESSAGES = {STATUS_REJECTED: "该成果已不予受理（不评），为本年度最终结论，不能再审查。",
                  STATUS_ACCEPTED: "该成果已受理（参评），进入评审，不能再审查。",
                  STATUS_DRAFT: "该成果尚未提交，不能审查。"}
MAX_NOTE = 200
MAX_OPINION = 1000
SUBJECT = "【石油和化工行业QC成果申报系统】形式审查结论：{decl_no}（{label}）"


class Conflict(Exception):
    """Someone else decided first (or the unit withdrew): nothing was written; the message says what happened."""

    def __init__(self, message, form=None):
        super().__init__(message)
        self.form = form


@dataclass
class CheckForm:
    """The 形式审查 form: values as typed and messages per field."""

    values: dict
    errors: dict = field(default_factory=dict)


def conclusion_label(code):
    """参评 / 完善后参评 / 不评 / 缓评 for a conclusion code."""
    return CONCLUSIONS.get(code, code or "")


def default_deadline(today, year):
    """修改截止日期 proposed for 完善后参评: today + the year's 退回修改期限 (7 days by default)."""
    return today + timedelta(days=declaration_period(today, year).resubmit_days)


def initial_form(declaration, auto, today, previous=None):
    """The form as first shown: automatic results filled in, the rest empty (or as the previous check left it)."""
    values = {"version": str(declaration.version), "conclusion": "", "opinion": "",
              "resubmit_deadline": default_deadline(today, declaration.year).isoformat()}
    old_items = previous.items if previous is not None else {}
    for code in formal_check.ITEM_CODES:
        old = old_items.get(code) or {}
        result, note = auto.get(code, (old.get("result", ""), old.get("note", "")))
        values[f"result_{code}"] = result
        values[f"note_{code}"] = note
    return CheckForm(values=values)


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(form_data, declaration, today):
    """Check a submitted 形式审查 form; returns (CheckForm, cleaned dict or None).

    Raises Conflict when the declaration changed since the form was shown (its version differs).
    """
    values = {"version": normalize_text(form_data.get("version")),
              "conclusion": normalize_text(form_data.get("conclusion")),
              "opinion": (form_data.get("opinion") or "").replace("\x00", "").strip(),
              "resubmit_deadline": normalize_text(form_data.get("resubmit_deadline"))}
    errors, items = {}, {}
    for code in formal_check.ITEM_CODES:
        result = normalize_text(form_data.get(f"result_{code}"))
        note = typed_text(form_data.get(f"note_{code}"))
        values[f"result_{code}"], values[f"note_{code}"] = result, note
        if result and result not in formal_check.RESULTS:
            errors[f"result_{code}"] = f"{code}的结果应为符合、不符合或不适用。"
        if len(note) > MAX_NOTE:
            errors[f"note_{code}"] = f"{code}的说明不能超过{MAX_NOTE}字。"
        items[code] = {"result": result, "note": note, "auto": code in formal_check.AUTO_CODES}
    conclusion = values["conclusion"]
    allowed = ALLOWED.get(declaration.status, ())
    if conclusion not in CONCLUSIONS:
        errors["conclusion"] = "请选择审查结论：参评、完善后参评、不评或缓评。"
    elif conclusion not in allowed:
        errors["conclusion"] = (FINAL_MESSAGES.get(declaration.status)
                                or "缓评的成果只能改为参评或不评。")
    if conclusion in CONCLUSIONS and conclusion != STATUS_ACCEPTED and not values["opinion"]:
        errors["opinion"] = "请填写意见说明（参评以外的结论须说明理由）。"
    elif len(values["opinion"]) > MAX_OPINION:
        errors["opinion"] = f"意见说明不能超过{MAX_OPINION}字。"
    deadline = None
    if conclusion == STATUS_RETURNED:
        deadline = _parse_date(values["resubmit_deadline"])
        if deadline is None:
            errors["resubmit_deadline"] = "请填写修改截止日期，例如2024-05-10。"
        elif deadline < today:
            errors["resubmit_deadline"] = "修改截止日期不能早于今天。"
    version = int(values["version"]) if values["version"].isdecimal() and len(values["version"]) < 10 else None
    if version is None:
        errors["version"] = "页面已过期，请刷新后重新审查。"
    form = CheckForm(values=values, errors=errors)
    if version is not None and version != declaration.version:
        # Decided (or changed by the unit) since this form was shown: say so before judging the input.
        raise Conflict(_conflict_message(declaration.id), form)
    if errors:
        return form, None
    return form, {"items": items, "conclusion": conclusion, "opinion": values["opinion"],
                  "resubmit_deadline": deadline, "version": version}


def _conflict_message(declaration_id):
    """What the second clerk is told: who decided, when, and what (or that the status changed otherwise)."""
    row = db.session.execute(
        db.select(FormalCheck, User.display_name, User.username)
        .outerjoin(User, User.id == FormalCheck.checker_id)
        .where(FormalCheck.declaration_id == declaration_id)
        .order_by(FormalCheck.id.desc()).limit(1)).first()
    status = db.session.scalar(db.select(Declaration.status).where(Declaration.id == declaration_id))
    if row is None:
        return f"该成果的状态已变为“{STATUS_LABELS.get(status, status)}”，您的审查未保存，请刷新后查看。"
    check, display_name, username = row
    who = display_name or username or "其他审查人"
    return (f"该成果已由{who}审查（{china_time(check.created_at)}，结论：{conclusion_label(check.conclusion)}），"
            "您的审查未保存，请刷新后查看最新结果。")


def _claim(declaration, expected_version, conclusion, deadline):
    """Move the declaration to its new status only if nobody changed it since the form was shown."""
    result = db.session.execute(
        update(Declaration)
        .where(Declaration.id == declaration.id, Declaration.version == expected_version,
               Declaration.status.in_(tuple(ALLOWED)))
        .values(status=conclusion, version=Declaration.version + 1, resubmit_deadline=deadline,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def record(declaration, cleaned, checker):
    """Save one conclusion: status, a new formal_check row, audit and the unit's mail; flushes only.

    Raises Conflict (and writes nothing) when the declaration changed since the form was shown.
    """
    conclusion, deadline = cleaned["conclusion"], cleaned["resubmit_deadline"]
    if not _claim(declaration, cleaned["version"], conclusion, deadline):
        raise Conflict(_conflict_message(declaration.id))
    check = FormalCheck(declaration_id=declaration.id, checker_id=checker.id, items=cleaned["items"],
                        conclusion=conclusion, opinion=cleaned["opinion"], resubmit_deadline=deadline,
                        created_at=utcnow())
    db.session.add(check)
    db.session.flush()
    db.session.refresh(declaration)
    audit.record("declaration.formal_check",
                 f"形式审查 {declaration.decl_no}：{conclusion_label(conclusion)}", target=declaration,
                 detail={"conclusion": conclusion, "opinion": cleaned["opinion"],
                         "resubmit_deadline": deadline, "check_id": check.id}, actor=checker)
    queue_conclusion_mail(declaration, check)
    return check


def queue_conclusion_mail(declaration, check):
    """The mail to the unit's registered address about one conclusion (A14)."""
    unit = declaration.unit
    if not unit or not unit.email:
        return None
    label = conclusion_label(check.conclusion)
    lines = [f"{unit.name}：", "",
             "贵单位申报的成果已完成形式审查。",
             f"申报编号：{declaration.decl_no}", f"成果名称：{declaration.title}",
             f"小组/班组名称：{declaration.group_name}", f"审查结论：{label}"]
    if check.opinion:
        lines.append(f"意见说明：{check.opinion}")
    if check.conclusion == STATUS_RETURNED and check.resubmit_deadline:
        lines += ["", f"请在修改截止日期{china_date(check.resubmit_deadline)}（含当日）前登录系统，"
                      "按意见完善申报材料后重新提交申报。"]
    elif check.conclusion == STATUS_REJECTED:
        lines += ["", "该成果本年度不予受理。"]
    elif check.conclusion == STATUS_DEFERRED:
        lines += ["", "该成果本年度暂缓评审，结果另行通知。"]
    else:
        lines += ["", "该成果已受理，将进入评审。"]
    lines += ["", "中国石油和化学工业联合会 质量工作委员会秘书处"]
    return outbox.queue_mail(unit.email, SUBJECT.format(decl_no=declaration.decl_no, label=label),
                             "\n".join(lines) + "\n")


def bulk_preview(ids, today):
    """For 批量参评: each selected declaration with its automatic results and whether it will be accepted."""
    declarations = sorted(formal_check.load_for_check(ids), key=lambda d: d.decl_no)
    if not declarations:
        return []
    year = declarations[0].year
    earliest = declaration_period(today, year).earliest_completion
    results = formal_check.evaluate(declarations, year, earliest)
    preview = []
    for declaration in declarations:
        auto = results[declaration.id]
        if declaration.status != STATUS_SUBMITTED:
            reason = f"状态为“{declaration.status_label}”，批量参评只处理待形式审查的成果"
        elif not formal_check.auto_passes(auto):
            reason = "系统核对不符合：" + "、".join(formal_check.failed_items(auto))
        else:
            reason = ""
        preview.append((declaration, auto, not reason, reason))
    return preview


def bulk_accept(versions, checker, today):
    """Apply 批量参评 to {id: version shown in the preview}; re-checks everything; returns (accepted, skipped)."""
    accepted, skipped = [], []
    for declaration, auto, ok, reason in bulk_preview(list(versions), today):
        if not ok:
            skipped.append((declaration, reason))
            continue
        items = {code: {"result": auto[code][0], "note": auto[code][1], "auto": True} if code in auto
                 else {"result": "", "note": "", "auto": False} for code in formal_check.ITEM_CODES}
        cleaned = {"items": items, "conclusion": STATUS_ACCEPTED, "opinion": "", "resubmit_deadline": None,
                   "version": versions[declaration.id]}
        try:
            record(declaration, cleaned, checker)
        except Conflict as conflict:
            skipped.append((declaration, str(conflict)))
            continue
        accepted.append(declaration)
    if accepted:
        audit.record("declaration.bulk_accept", f"批量参评 {len(accepted)} 项", actor=checker,
                     detail={"accepted": [d.decl_no for d in accepted],
                             "skipped": [d.decl_no for d, _ in skipped]})
    return accepted, skipped
