"""Forms of the unit's documents: 汇总表 header, 活动统计表, 评委推荐 (one expert).

Each form keeps what was typed, puts Chinese messages beside the fields and leaves the cleaned values in
`form.cleaned` (integers, hundredths, lists) for the services.
"""
import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.validators import (
    ascii_int,
    control_char_error,
    has_digit_lookalike,
    landline_error,
    mobile_error,
    normalize_landline,
    normalize_mobile,
    postcode_error,
)
from app.declarations.hundredths import AmountError, format_hundredths, parse_hundredths
from app.declarations.recommendations import KIND_OPTIONS
from app.declarations.statistics import (
    CONTACT_FIELDS,
    COUNT_FIELDS,
    MONEY_FIELDS,
    RATE_INPUTS,
    REVIEW_FORMS,
    ROWS,
    consistency_errors,
)
from app.filings.fields import EMAIL_RE, halfwidth_alnum

MAX_COUNT = 100_000_000
CONTACT_INPUTS = {"responsible_dept": {"maxlength": 100}, "contact": {"maxlength": 50},
                  "phone": {"maxlength": 30, "type": "tel"}, "address": {"maxlength": 200},
                  "postcode": {"maxlength": 6, "inputmode": "numeric"},
                  "email": {"maxlength": 254, "type": "email"}}
EXPERIENCE_MAX = 300
NOTE_MAX = 200


class Problem(ValueError):
    """A value that cannot be accepted; str(self) is the message."""


def clean_text(value, label, max_len, required=False):
    """Text as typed (ends trimmed, CRLF from the browser counted as one line break), bounded."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise Problem(f"请填写{label}。")
    if len(text) > max_len:
        raise Problem(f"{label}不能超过{max_len}字（现有{len(text)}字）。")
    return text


def clean_name(value, label, max_len):
    """A person's name as typed (full-width brackets kept, ＡＢ１ → AB1, inner spaces folded)."""
    return re.sub(r"\s+", " ", halfwidth_alnum(clean_text(value, label, max_len, required=True)))


def clean_count(value):
    """'1,234' / '１２' → 1234; '' → None."""
    text = unicodedata.normalize("NFKC", value or "").replace(",", "").strip()
    if not text:
        return None
    number = ascii_int(text, max_digits=12)  # "²" and "፩" are no numbers here; 5,000 digits no 500
    if number is None or number > MAX_COUNT or has_digit_lookalike(value):
        raise Problem("请输入0或正整数。")
    return number


def clean_money(value):
    """A non-negative amount in 万元 with at most two decimals → hundredths; '' → None."""
    try:
        return parse_hundredths(value)
    except AmountError:
        raise Problem("请输入不小于0、最多两位小数的金额，例如12.50。") from None


def clean_phone(value, required=True):
    """A mobile (normalised) or a landline like 010-84885418."""
    text = (value or "").strip()
    if not text:
        if required:
            raise Problem("请填写联系电话。")
        return ""
    if mobile_error(text) is None:
        return normalize_mobile(text)
    if landline_error(text) is None:
        return normalize_landline(text)
    raise Problem("请输入11位手机号码或座机号码（区号-号码，例如010-84885418）。")


def clean_email(value, required=True):
    """An e-mail address (trimmed)."""
    text = (value or "").strip()
    if not text and not required:
        return ""
    if not EMAIL_RE.match(text) or len(text) > 254:
        raise Problem("请输入有效的电子邮箱，例如name@example.com。")
    return text


class CleaningForm(FlaskForm):
    """Runs one cleaner per field after CSRF; messages go beside the fields, values to self.cleaned."""

    cleaners = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cleaned = {}

    def validate(self, extra_validators=None):
        """CSRF, then the cleaners."""
        ok = super().validate(extra_validators)
        for name, cleaner in self.cleaners.items():
            field = getattr(self, name)
            try:
                label = field.label.text.replace(" ", "").rstrip("：:")  # "联 系 人：" → 联系人
                if control_char_error(field.data, label):
                    raise Problem(control_char_error(field.data, label))
                self.cleaned[name] = cleaner(field.data)
            except Problem as problem:
                field.errors = list(field.errors) + [str(problem)]
                ok = False
        return ok

    def apply_errors(self, field_errors):
        """Show a service's messages beside their fields."""
        for name, message in (field_errors or {}).items():
            field = getattr(self, name, None)
            if field is not None and message not in field.errors:
                field.errors = list(field.errors) + [message]


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (no select box); unknown values are dropped, not an error."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Keep only the offered choices."""
        offered = {choice.value for choice in self.choices}
        self.data = [value for value in (self.data or []) if value in offered]


class SummaryHeaderForm(CleaningForm):
    """申报汇总表 header: 联系人 · 电话 · 手机."""

    contact = StringField("联系人", render_kw={"maxlength": 50, "autocomplete": "name"})
    phone = StringField("电话", render_kw={"maxlength": 30, "type": "tel"})
    mobile = StringField("手机", render_kw={"maxlength": 20, "type": "tel", "inputmode": "tel"})
    cleaners = {
        "contact": lambda v: clean_name(v, "联系人", 50),
        "phone": lambda v: _landline_or_empty(v),
        "mobile": lambda v: _mobile(v),
    }


def _landline_or_empty(value):
    text = (value or "").strip()
    if not text:
        return ""
    if landline_error(text) is not None:
        raise Problem(landline_error(text).replace("座机", "电话"))
    return normalize_landline(text)


def _mobile(value):
    if not (value or "").strip():
        raise Problem("请填写手机。")
    if mobile_error(value) is not None:
        raise Problem(mobile_error(value))
    return normalize_mobile(value)


def _statistics_form():
    """StatisticsForm with one input per figure, a 备注 per row, the row 14 options and the contact block."""
    attrs = {"cleaners": {}}
    for name in COUNT_FIELDS:
        attrs[name] = StringField(render_kw={"inputmode": "numeric", "maxlength": 12})
        attrs["cleaners"][name] = clean_count
    for name in MONEY_FIELDS:
        attrs[name] = StringField(render_kw={"inputmode": "decimal", "maxlength": 16})
        attrs["cleaners"][name] = clean_money
    for row in ROWS:
        if row.type not in ("forms", "text"):
            attrs[f"note_{row.number}"] = StringField(render_kw={"maxlength": NOTE_MAX})
            attrs["cleaners"][f"note_{row.number}"] = lambda v: clean_text(v, "备注", NOTE_MAX)
    attrs["team_review_forms"] = CheckboxesField(choices=[SelectChoice(o, o) for o in REVIEW_FORMS])
    attrs["remarks"] = TextAreaField(render_kw={"rows": 6, "maxlength": 2000})
    attrs["cleaners"]["remarks"] = lambda v: clean_text(v, "主要特点、存在问题及建议", 2000)
    for name, label in CONTACT_FIELDS:
        attrs[name] = StringField(label, render_kw=CONTACT_INPUTS[name])
    attrs["cleaners"].update({
        "responsible_dept": lambda v: clean_text(v, "工作归口部门及负责人", 100),
        "contact": lambda v: clean_text(v, "联系人", 50),
        "phone": lambda v: clean_phone(v, required=False),
        "address": lambda v: clean_text(v, "通讯地址", 200),
        "postcode": lambda v: _postcode_or_empty(v),
        "email": lambda v: clean_email(v, required=False),
    })
    return type("StatisticsForm", (StatisticsFormBase,), attrs)


def _postcode_or_empty(value):
    text = unicodedata.normalize("NFKC", value or "").strip()
    if text and postcode_error(text):
        raise Problem(postcode_error(text))
    return text


class StatisticsFormBase(CleaningForm):
    """活动统计表: saving checks formats and the rules between rows; 提交 adds completeness (service)."""

    def validate(self, extra_validators=None):
        """Formats, then 参加QC小组人数 ≤ 职工总数 and the other row rules."""
        ok = super().validate(extra_validators)
        self.cleaned["team_review_forms"] = list(self.team_review_forms.data or [])
        self.apply_errors(consistency_errors(self.cleaned))
        return ok and not consistency_errors(self.cleaned)

    def report_values(self):
        """The values for save_report: figures, texts, options and the 备注 of each row."""
        values = {name: self.cleaned.get(name) for name in COUNT_FIELDS + MONEY_FIELDS}
        values.update({name: self.cleaned.get(name, "") for name, _ in CONTACT_FIELDS})
        values["remarks"] = self.cleaned.get("remarks", "")
        values["team_review_forms"] = self.cleaned.get("team_review_forms", [])
        values["row_notes"] = {str(row.number): self.cleaned[f"note_{row.number}"] for row in ROWS
                               if self.cleaned.get(f"note_{row.number}")}
        return values

    def fill(self, values):
        """Show stored or prefilled values (hundredths as 12.50)."""
        for name in COUNT_FIELDS:
            value = values.get(name)
            getattr(self, name).data = "" if value is None else str(value)
        for name in MONEY_FIELDS:
            getattr(self, name).data = format_hundredths(values.get(name))
        for name, _ in CONTACT_FIELDS:
            getattr(self, name).data = values.get(name) or ""
        self.remarks.data = values.get("remarks") or ""
        self.team_review_forms.data = list(values.get("team_review_forms") or [])
        for number, note in (values.get("row_notes") or {}).items():
            field = getattr(self, f"note_{number}", None)
            if field is not None:
                field.data = note


StatisticsForm = _statistics_form()
RATE_LABELS = {name: label for name, label, _ in RATE_INPUTS}


class ExpertForm(CleaningForm):
    """One recommended expert (附件7 row) with proof files."""

    name = StringField("姓名", render_kw={"maxlength": 50})
    company_dept = StringField("工作单位及部门", render_kw={"maxlength": 200})
    address = StringField("通讯地址", render_kw={"maxlength": 200})
    postcode = StringField("邮编", render_kw={"maxlength": 6, "inputmode": "numeric"})
    mobile = StringField("手机", render_kw={"maxlength": 20, "type": "tel", "inputmode": "tel"})
    email = StringField("E-mail", render_kw={"maxlength": 254, "type": "email"})
    experience = TextAreaField("相关经历描述", render_kw={"rows": 6, "data-counter": "experience-counter",
                                                     "data-max": EXPERIENCE_MAX})
    kinds = CheckboxesField("推荐参与评审成果类型（可多选）", choices=[SelectChoice(k, label) for k, label in KIND_OPTIONS])
    files = MultipleFileField("证明材料", render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/*"})
    cleaners = {
        "name": lambda v: clean_name(v, "姓名", 50),
        "company_dept": lambda v: clean_text(v, "工作单位及部门", 200, required=True),
        "address": lambda v: clean_text(v, "通讯地址", 200, required=True),
        "postcode": lambda v: _postcode(v),
        "mobile": lambda v: _mobile(v),
        "email": lambda v: clean_email(v),
        "experience": lambda v: clean_text(v, "相关经历描述", EXPERIENCE_MAX, required=True),
    }

    def validate(self, extra_validators=None):
        """The fields, then at least one 推荐参与评审成果类型."""
        ok = super().validate(extra_validators)
        self.cleaned["kinds"] = [key for key, _ in KIND_OPTIONS if key in (self.kinds.data or [])]
        if not self.cleaned["kinds"]:
            self.kinds.errors = list(self.kinds.errors) + ["请至少选择一种推荐参与评审成果类型。"]
            ok = False
        return ok

    def expert_values(self):
        """The columns of ExpertRecommendation."""
        names = ("name", "company_dept", "address", "postcode", "mobile", "email", "experience", "kinds")
        return {name: self.cleaned[name] for name in names}


def _postcode(value):
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        raise Problem("请填写邮编。")
    if postcode_error(text):
        raise Problem(postcode_error(text))
    return text
