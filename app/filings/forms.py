"""GroupFilingForm and TeamFilingForm, built from the field rules in app.filings.fields.

Usage: ``form = GroupFilingForm(locked_enterprise="某某公司")`` locks 企业名称 (read-only, value forced);
``form.validate_on_submit()`` runs the same cleaners as the xlsx import (Chinese messages);
``form.filing_data()`` is the dict for ``create_filing``; ``form.apply_errors(exc.field_errors)`` puts a
FilingError's messages beside the fields. ``submission_key`` is a random one-time key: a double submit
of the same form creates one record.
"""
import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.core.clock import china_today
from app.filings.fields import FieldProblem, clean_value, fields_for

INPUT_ATTRS = {
    "date": {"type": "date"},
    "int": {"inputmode": "numeric"},
    "mobile": {"type": "tel", "inputmode": "tel", "autocomplete": "tel"},
    "landline": {"type": "tel"},
    "email": {"type": "email", "autocomplete": "email"},
}


def new_submission_key():
    """A random one-time key for one rendering of a form."""
    return secrets.token_urlsafe(24)


class FilingFormBase(FlaskForm):
    """Shared behaviour of the group and team forms."""

    kind = None
    submission_key = HiddenField()

    def __init__(self, *args, locked_enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cleaned = {}
        if not self.submission_key.data:
            self.submission_key.data = new_submission_key()
        self.locked_enterprise = None
        today = china_today().isoformat()
        for spec in self.specs:
            if spec.past:  # the date picker offers nothing after today
                field = getattr(self, spec.name)
                field.render_kw = dict(field.render_kw or {}, max=today)
        if locked_enterprise:
            self.lock_enterprise(locked_enterprise)

    def lock_enterprise(self, name):
        """Make 企业名称 read-only with a fixed value (invitation links)."""
        self.locked_enterprise = name
        self.enterprise_name.data = name
        self.enterprise_name.render_kw = dict(self.enterprise_name.render_kw or {}, readonly=True)

    @property
    def specs(self):
        """The FilingField rules of this form's kind."""
        return fields_for(self.kind)

    def validate(self, extra_validators=None):
        """CSRF and the field rules; cleaned values go to self.cleaned."""
        if self.locked_enterprise:
            self.enterprise_name.data = self.locked_enterprise
        ok = super().validate(extra_validators)
        for spec in self.specs:
            field = getattr(self, spec.name)
            try:
                self.cleaned[spec.name] = clean_value(spec, field.data)
            except FieldProblem as problem:
                field.errors = list(field.errors) + [str(problem)]
                ok = False
        return ok

    def filing_data(self):
        """The values for create_filing/update_filing (cleaned when validated, else as typed)."""
        if self.cleaned:
            return dict(self.cleaned)
        return {s.name: getattr(self, s.name).data for s in self.specs}

    def apply_errors(self, field_errors):
        """Show a FilingError's per-field messages beside the fields."""
        for name, message in (field_errors or {}).items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = list(field.errors) + [message]

    def fill_from(self, filing):
        """Load an existing filing's values (for editing)."""
        for spec in self.specs:
            value = getattr(filing, spec.name)
            getattr(self, spec.name).data = (value.isoformat() if hasattr(value, "isoformat")
                                             else "" if value is None else str(value))


def _build(name, kind):
    attrs = {"kind": kind}
    for spec in fields_for(kind):
        render_kw = dict(INPUT_ATTRS.get(spec.type, {}))
        if spec.type in ("text", "name", "team_name", "mobile", "landline", "email"):
            render_kw["maxlength"] = spec.max_len
        if spec.required:
            render_kw["aria-required"] = "true"
        description = spec.rule
        if spec.type == "date":
            # the browser's date picker: a typed 2024年3月1日 (the template's rule) does not apply here
            description = "点击选择日期" + ("" if spec.required else "，可不填") + ("，不晚于今天" if spec.past else "")
        if spec.type == "choice":
            choices = [SelectChoice("", "请选择")] + [SelectChoice(c, c) for c in spec.choices]
            field = SelectField(spec.label, choices=choices,
                                validate_choice=False, description=description)
        elif spec.multiline:
            field = TextAreaField(spec.label, render_kw=dict(render_kw, rows=3), description=description)
        else:
            field = StringField(spec.label, render_kw=render_kw, description=description)
        field.required_mark = spec.required
        attrs[spec.name] = field
    return type(name, (FilingFormBase,), attrs)


GroupFilingForm = _build("GroupFilingForm", "group")
GroupFilingForm.__doc__ = "小组备案 record form (添加 / 修改 / link pages)."
TeamFilingForm = _build("TeamFilingForm", "team")
TeamFilingForm.__doc__ = "班组备案 record form (添加 / 修改 / link pages)."
FORMS = {"group": GroupFilingForm, "team": TeamFilingForm}


def filing_form(kind, *args, **kwargs):
    """The form class of a kind, instantiated."""
    return FORMS[kind](*args, **kwargs)


class YearStatForm(FlaskForm):
    """设置: the unit's four figures for the year."""

    group_total = IntegerField("本单位当年开展活动的小组总数", validators=[
        InputRequired("请填写小组总数。"), NumberRange(0, 10_000_000, "请输入0或正整数。")])
    team_total = IntegerField("班组总数", validators=[
        InputRequired("请填写班组总数。"), NumberRange(0, 10_000_000, "请输入0或正整数。")])
    staff_total = IntegerField("职工总数", validators=[
        InputRequired("请填写职工总数。"), NumberRange(0, 100_000_000, "请输入0或正整数。")])
    qc_participants = IntegerField("参加QC小组人数", validators=[
        InputRequired("请填写参加QC小组人数。"), NumberRange(0, 100_000_000, "请输入0或正整数。")])

    def validate(self, extra_validators=None):
        """Integers in Chinese; participants cannot exceed staff."""
        ok = super().validate(extra_validators)
        for field in (self.group_total, self.team_total, self.staff_total, self.qc_participants):
            field.errors = list(dict.fromkeys(
                "请输入0或正整数。" if "integer" in e.lower() or "valid" in e.lower() else e
                for e in field.errors))
        if ok and self.qc_participants.data > self.staff_total.data:
            self.qc_participants.errors = ["参加QC小组人数不能多于职工总数。"]
            ok = False
        return ok
