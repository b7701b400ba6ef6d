"""The 申报表 form (C-U5/C-U6): what it shows (values as typed), its messages per field, and its warnings.

Built from a filing and the unit (新增申报, spec A3/A4 prefill), from a saved declaration, or from a post;
`parse()` cleans the post with app.declarations.fields (and the year's completion dates), keeping every
value as typed so a refused form comes back unchanged.
"""
import secrets
from dataclasses import dataclass, field

from app.core.validators import normalize_name
from app.declarations import checks
from app.declarations.fields import NOTES, SECTIONS, clean_form, fields_for, format_hundredths
from app.declarations.models import KIND_GROUP


def new_submission_key():
    """A random one-time key for one rendering of the new-declaration form."""
    return secrets.token_urlsafe(24)


@dataclass
class DeclarationForm:
    """Values as shown, errors {field, file_<purpose>, window or quota: message}, warnings [(field, message)]."""

    kind: str
    values: dict
    errors: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    @property
    def sections(self):
        """[(heading, [fields])] in the order of C-U5/C-U6."""
        specs = fields_for(self.kind)
        return [(name, [spec for spec in specs if spec.section == name]) for name in SECTIONS]

    @property
    def notes(self):
        """The notes printed under the form (N:129-133 / N:205-208)."""
        return NOTES[self.kind]

    def warnings_for(self, name):
        """The warnings beside one field."""
        return [message for field_name, message in self.warnings if field_name == name]

    @property
    def general_errors(self):
        """Problems that belong to no field (window, quota)."""
        return [self.errors[key] for key in ("window", "quota") if key in self.errors]

    def add_problems(self, problems):
        """Show a DeclarationError's problems beside their fields."""
        for key, message in problems.items():
            self.errors.setdefault(key, message)


def _text(value, spec):
    if value is None:
        return ""
    if spec.type in ("money", "percent"):
        return format_hundredths(value)
    if spec.type == "people":
        return "，".join(value)
    if spec.type == "pledge":
        return "1" if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def from_declaration(declaration):
    """The form of a saved declaration, with its warnings."""
    values = {spec.name: _text(getattr(declaration, spec.column), spec) for spec in fields_for(declaration.kind)}
    return DeclarationForm(declaration.kind, values, warnings=checks.warnings(declaration))


def prefilled(kind, filing, unit):
    """新增申报: values from the filing and, when the enterprise is the unit itself, the unit's address (A3/A4)."""
    own = normalize_name(filing.enterprise_name) == normalize_name(unit.name)
    values = {spec.name: "" for spec in fields_for(kind)}
    values.update(enterprise_name=filing.enterprise_name, contact=filing.contact, mobile=filing.mobile,
                  leader=filing.leader, member_count=str(filing.member_count), main_contributors=filing.leader,
                  address=unit.address if own else "", postcode=unit.postcode if own else "")
    if kind == KIND_GROUP:
        topic_type, subtype = checks.topic_of_filing(filing)
        values.update(title=filing.topic, group_name=filing.group_name, advisor=filing.advisor or "",
                      topic_type=topic_type or "", topic_subtype=subtype or "",
                      started_on=filing.topic_registered_on.isoformat() if filing.topic_registered_on else "")
    else:
        values.update(group_name=filing.team_name, department=filing.department, landline=filing.landline or "")
    return DeclarationForm(kind, values)


def parse(kind, form_data, period):
    """(DeclarationForm as typed, cleaned column → value or None when a value cannot be stored)."""
    values = {spec.name: (form_data.get(spec.name) or "") for spec in fields_for(kind)}
    cleaned, errors = clean_form(kind, form_data)
    errors.update({key: message for key, message in checks.date_errors(cleaned, period).items()
                   if key not in errors})
    form = DeclarationForm(kind, values, errors)
    return form, (None if errors else cleaned)
