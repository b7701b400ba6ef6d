"""When a unit may edit and submit: the declaration window, a unit's extension of it (spec A2, D30), and the
修改截止日期 after 完善后参评. The unit's pages call unit_may_edit(); the secretariat grants extensions.
"""
from dataclasses import dataclass, field
from datetime import date

from app.core import audit
from app.core.extensions import db
from app.core.settings import declaration_period
from app.core.validators import normalize_text
from app.declarations.overview import typed_text
from app.declarations.models import KINDS, DeclarationExtension
from app.declarations.services import Window, can_edit

KIND_LABELS = {"group": "小组成果", "team": "班组成果"}


@dataclass
class ExtensionForm:
    """The 延长申报期限 form: values as typed and messages per field."""

    values: dict
    errors: dict = field(default_factory=dict)


def extension_for(unit_id, year, kind):
    """The unit's extension of the window for a kind, or None."""
    return db.session.get(DeclarationExtension, (unit_id, year, kind))


def extensions_of(unit_id, year):
    """{kind: DeclarationExtension} of a unit and year."""
    rows = db.session.execute(db.select(DeclarationExtension).where(
        DeclarationExtension.unit_id == unit_id, DeclarationExtension.year == year)).scalars()
    return {row.kind: row for row in rows}


def _window(unit_id, year, kind, today):
    """The unit's window for a kind in `year` as of `today` (the extension counted)."""
    period = declaration_period(today, year)
    extension = extension_for(unit_id, year, kind)
    return Window(period, max(period.end, extension.until) if extension is not None else period.end)


def window_open(unit_id, year, kind, today):
    """True when the unit may submit declarations of this kind today: in the window or until its extension."""
    return _window(unit_id, year, kind, today).is_open


def unit_may_edit(declaration, today):
    """True when the unit may edit (and submit) the declaration today (spec A2): the unit pages' own rule.

    Drafts: in the window or the unit's extension. 退回修改: until its 修改截止日期, whole day (China date), even after
    the window. Every other state (submitted, accepted, rejected, deferred) is read-only for the unit.
    """
    return can_edit(declaration, _window(declaration.unit_id, declaration.year, declaration.kind, today))


def parse_extension(form_data, today):
    """Check the 延长申报期限 form; returns (ExtensionForm, cleaned or None)."""
    values = {"kind": normalize_text(form_data.get("kind")), "until": normalize_text(form_data.get("until")),
              "reason": typed_text(form_data.get("reason"))}
    errors = {}
    if values["kind"] not in KINDS:
        errors["kind"] = "请选择成果类型：小组成果或班组成果。"
    try:
        until = date.fromisoformat(values["until"])
    except ValueError:
        until = None
        errors["until"] = "请填写延长至的日期，例如2024-05-10。"
    if until is not None and until < today:
        errors["until"] = "延长至的日期不能早于今天。"
    if not values["reason"]:
        errors["reason"] = "请填写延长原因。"
    elif len(values["reason"]) > 200:
        errors["reason"] = "延长原因不能超过200字。"
    form = ExtensionForm(values=values, errors=errors)
    if errors:
        return form, None
    return form, {"kind": values["kind"], "until": until, "reason": values["reason"]}


def grant_extension(unit, year, cleaned, actor):
    """Set (or move) the unit's extension for a kind; audited; flushes only."""
    row = extension_for(unit.id, year, cleaned["kind"])
    before = row.until if row is not None else None
    if row is None:
        row = DeclarationExtension(unit_id=unit.id, year=year, kind=cleaned["kind"], until=cleaned["until"])
        db.session.add(row)
    row.until, row.reason, row.created_by_id = cleaned["until"], cleaned["reason"], actor.id
    db.session.flush()
    audit.record("declaration.extension",
                 f"延长{unit.name}{year}年{KIND_LABELS[cleaned['kind']]}申报期限至{cleaned['until'].isoformat()}",
                 target=unit, detail={"kind": cleaned["kind"], "until": [before, cleaned["until"]],
                                      "reason": cleaned["reason"]}, actor=actor)
    return row


def remove_extension(unit, year, kind, actor):
    """Withdraw an extension; audited; flushes only. Returns False when there was none."""
    row = extension_for(unit.id, year, kind)
    if row is None:
        return False
    audit.record("declaration.extension_removed",
                 f"取消{unit.name}{year}年{KIND_LABELS.get(kind, kind)}申报期限延长（原至{row.until.isoformat()}）",
                 target=unit, detail={"kind": kind, "until": [row.until, None]}, actor=actor)
    db.session.delete(row)
    db.session.flush()
    return True
