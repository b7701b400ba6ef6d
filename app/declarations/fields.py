"""The fields of 附件2 (groups) and 附件3 (teams), spec A3/A4: labels exactly as printed, limits, and cleaners.

A cleaner turns what was typed into the value stored (text, int, date, hundredths, list of names, bool) or
raises FieldProblem with a Chinese message naming the field. These are the checks a draft must pass to be
saved; what a declaration must have to be submitted (required fields, minimum lengths, dates against the
year's earliest completion) is checked by app.declarations.checks.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.core.validators import (
    CONTROL_RE,
    ascii_int,
    control_char_error,
    has_digit_lookalike,
    landline_error,
    mobile_error,
    normalize_landline,
    normalize_mobile,
    normalize_text,
    postcode_error,
    team_name_error,
)
from app.declarations.models import KIND_GROUP, KIND_TEAM, TOPIC_SUBTYPES, TOPIC_TYPES, Declaration
from app.filings.fields import halfwidth_alnum, parse_date

KIND_LABELS = {KIND_GROUP: "小组", KIND_TEAM: "班组"}
MAX_CONTRIBUTORS = {KIND_GROUP: 10, KIND_TEAM: 15}
MAX_NAME_CHARS = 20
MAX_MONEY_C = 99_999_999_99
MAX_COUNT = 10_000_000
PEOPLE_SPLIT_RE = re.compile(r"[，、,;；\s]+")
# ASCII digits (full-width ones are NFKC-normalized first), bounded: Decimal's quantize fails past 28 digits
NUMBER_RE = re.compile(r"^[0-9]{1,15}(?:\.[0-9]{1,12})?$")

SECTIONS = ("基本信息", "成果信息", "主要完成人", "简介")


class FieldProblem(ValueError):
    """A value that cannot be stored; str(self) is the Chinese message."""


@dataclass(frozen=True)
class DeclarationField:
    """One field of the 申报表: form name, label as printed, type, limits, section and hint."""

    name: str
    label: str
    type: str  # line, text, int, count, money, percent, date, choice, subtype, mobile, postcode, landline, people,
    #            team_name, pledge
    section: str
    required: bool = True
    max_len: int = 200
    min_len: int = 0  # checked at 提交: a draft may still be short
    hint: str = ""
    choices: tuple = ()

    @property
    def column(self):
        """The Declaration column: money and percentages are stored in hundredths (`_c`)."""
        return self.name + "_c" if self.type in ("money", "percent") else self.name


def _f(name, label, type_, section, required=True, max_len=200, **kw):
    return DeclarationField(name, label, type_, section, required, max_len, **kw)


GROUP_FIELDS = (
    _f("group_name", "质量管理小组名称", "line", "基本信息", hint="小组名称，不要挂上级部门"),
    _f("enterprise_name", "企业名称（公章为准）", "line", "基本信息", hint="小组所在单位全称，以公章为准，不要挂上级部门"),
    _f("address", "详细通讯地址", "line", "基本信息"),
    _f("postcode", "邮编", "postcode", "基本信息", max_len=6, hint="6位数字"),
    _f("contact_department", "小组联系部门", "line", "基本信息", max_len=100),
    _f("contact", "直接联系人", "line", "基本信息", max_len=50),
    _f("mobile", "手机", "mobile", "基本信息", max_len=20, hint="11位手机号码"),
    _f("advisor", "小组活动指导者", "line", "基本信息", required=False, max_len=100, hint="可不填"),
    _f("leader", "小组长姓名", "line", "基本信息", max_len=50),
    _f("member_count", "小组人数", "int", "基本信息", max_len=3, hint="1至999的整数"),
    _f("title", "成果名称（课题名称）", "line", "成果信息", max_len=300,
       hint="一般不超过50字；与备案课题名称不一致时会提示"),
    _f("topic_type", "课题类型", "choice", "成果信息", max_len=16, choices=TOPIC_TYPES, hint="问题解决型或创新型"),
    _f("topic_subtype", "目标类型", "subtype", "成果信息", required=False, max_len=16, choices=TOPIC_SUBTYPES,
       hint="问题解决型课题填写：自定目标或指令性目标"),
    _f("economic_benefit", "经济效益（万元）", "money", "成果信息", max_len=20, hint="可填0，最多两位小数"),
    _f("completed_on", "成果完成日期", "date", "成果信息", max_len=20,
       hint="须在成果最早完成日期以后（见上方说明），不晚于提交当日；不打印在申报表上"),
    _f("started_on", "活动开始日期", "date", "成果信息", required=False, max_len=20, hint="可不填；默认取备案的课题注册时间"),
    _f("presenter", "发表人", "line", "成果信息", required=False, max_len=50, hint="可不填；用于成果报告书封面和发表"),
    _f("main_contributors", "主要完成人（不超过10人）", "people", "主要完成人", max_len=500,
       hint="请按顺序依次准确填写人员姓名，两个姓名之间用逗号隔开（也可用顿号、分号或空格）"),
    _f("summary", "QC小组简介和主要活动过程与效果", "text", "简介", max_len=1500, min_len=50, hint="50至1500字"),
)

TEAM_FIELDS = (
    _f("group_name", "质量信得过班组名称", "team_name", "基本信息",
       hint="以正式组织单元名称为准，区分“班”和“组”，以“**班”“**组”“**工段”或“**室”为名"),
    _f("enterprise_name", "企业名称（以公章为准）", "line", "基本信息", hint="班组所在单位全称，以公章为准，不要挂上级部门"),
    _f("address", "详细通讯地址", "line", "基本信息"),
    _f("postcode", "邮编", "postcode", "基本信息", max_len=6, hint="6位数字"),
    _f("department", "主管部门", "line", "基本信息", max_len=100),
    _f("contact", "直接联系人", "line", "基本信息", max_len=50),
    _f("mobile", "手机", "mobile", "基本信息", max_len=20, hint="11位手机号码"),
    _f("landline", "座机", "landline", "基本信息", required=False, max_len=30, hint="区号-号码，可不填"),
    _f("leader", "班组长姓名", "line", "基本信息", max_len=50),
    _f("member_count", "班组人数", "int", "基本信息", max_len=3, hint="1至999的整数"),
    _f("title", "成果名称", "line", "成果信息", max_len=300, hint="一般不超过50字"),
    _f("rate_work_completion", "班组工作完成率（%）", "percent", "成果信息", max_len=10, hint="0至100，最多两位小数"),
    _f("rate_satisfaction", "产品/服务满意度（％）", "percent", "成果信息", max_len=10, hint="0至100，最多两位小数"),
    _f("rate_pass", "产品/服务合格率（％）", "percent", "成果信息", max_len=10, hint="0至100，最多两位小数"),
    _f("rate_quality_assessment", "质量考核合格率（%）", "percent", "成果信息", max_len=10, hint="0至100，最多两位小数"),
    _f("rate_improvement_participation", "质量改进活动参与率（%）", "percent", "成果信息", max_len=10,
       hint="0至100，最多两位小数"),
    _f("quality_cost", "质量成本（万元/年）", "money", "成果信息", max_len=20, hint="最多两位小数"),
    _f("training_attendance", "年培训参与人数（人次）", "count", "成果信息", max_len=10, hint="人次，可多于班组人数"),
    _f("complaints", "年顾客投诉数（个）", "count", "成果信息", max_len=10),
    _f("accidents", "年质量、安全事故数（个）", "count", "成果信息", max_len=10, hint="近三年有事故的班组不能申报，应为0"),
    _f("completed_on", "成果完成日期", "date", "成果信息", max_len=20,
       hint="须在成果最早完成日期以后（见上方说明），不晚于提交当日；不打印在申报表上"),
    _f("no_accident_pledge", "班组近三年无质量、安全、环保事故", "pledge", "成果信息",
       hint="勾选即承诺：本班组近三年未发生质量、安全、环保事故"),
    _f("presenter", "发表人", "line", "成果信息", required=False, max_len=50, hint="可不填；用于成果报告书封面和发表"),
    _f("main_contributors", "主要完成人（不超过15人）", "people", "主要完成人", max_len=800,
       hint="请按顺序依次准确填写人员姓名，两个姓名之间用逗号隔开（也可用顿号、分号或空格）"),
    _f("summary", "质量信得过班组简介及活动结果", "text", "简介", max_len=1500, min_len=50, hint="50至1500字"),
)

FIELDS = {KIND_GROUP: GROUP_FIELDS, KIND_TEAM: TEAM_FIELDS}

# The notes printed under the forms (N:129-133, N:205-208), shown on the web form too.
NOTES = {
    KIND_GROUP: (
        "需提交小组活动记录和小组活动成果报告书（word文档，成果报告书请参照附件8要求格式编写）。",
        "企业名称（小组所在单位）、小组名称，不要挂上级部门（企业名称以公章为准），填写内容应简明扼要，准确无误。",
        "“主要完成人”，请按顺序依次准确填写人员姓名，两个姓名之间用逗号隔开。",
        "“课题类型”，请选择填写问题解决型、创新型。",
        "“成果名称”、“质量管理小组名称”、“企业名称”、“主要完成人”是制作证书的依据，应确保信息准确无误。",
    ),
    KIND_TEAM: (
        "需提交班组活动记录和班组建设成果报告书（word文档，成果报告书请参照附件9要求格式编写）。",
        "企业名称（班组所在单位）、班组名称，不要挂上级部门（企业名称以公章为准），填写内容应简明扼要，准确无误。"
        "班组名称需以正式组织单元名称为准，并对“班”和“组”加以区分，以“**班”、“**组”、“**工段”或“**室”等为名。",
        "“主要完成人”，请按顺序依次准确填写人员姓名，两个姓名之间用逗号隔开。",
        "“成果名称”、“质量信得过班组名称”、“企业名称”、“主要完成人”是制作证书的依据，应确保信息准确无误。",
    ),
}


def fields_for(kind):
    """The ordered fields of a kind."""
    return FIELDS[kind]


def field_by_name(kind, name):
    """One field of a kind by its form name."""
    return next(spec for spec in FIELDS[kind] if spec.name == name)


def split_people(text):
    """主要完成人 typed with ，、,;； or spaces → the names in order (as typed, letters/digits half-width)."""
    return [name for name in PEOPLE_SPLIT_RE.split(halfwidth_alnum(text).strip()) if name]


def format_hundredths(value):
    """Hundredths as typed back: 8750 → '87.50', 1200 → '12', None → ''."""
    if value is None:
        return ""
    whole, cents = divmod(value, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}"


def _line(text, spec):
    return re.sub(r"\s+", " ", halfwidth_alnum(text)).strip()


def _multiline(text, spec):
    lines = halfwidth_alnum(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _integer(text, spec, low, high, unit=""):
    digits = normalize_text(text).replace(",", "").removesuffix(unit).strip()
    number = ascii_int(digits, max_digits=12)  # not isdigit(): "²" and "፩" pass it and int() refuses them
    if number is None or has_digit_lookalike(text):
        raise FieldProblem(f"{spec.label}应为整数。")
    if not low <= number <= high:
        raise FieldProblem(f"{spec.label}应在{low}至{high}之间。")
    return number


def _hundredths(text, spec, high_c):
    number = normalize_text(text).replace(",", "").replace(" ", "").removesuffix("万元").removesuffix("%").strip()
    if number.startswith("-"):
        raise FieldProblem(f"{spec.label}不能为负数。")
    if not NUMBER_RE.match(number) or has_digit_lookalike(text):
        raise FieldProblem(f"{spec.label}应为数字，例如12.5。")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise FieldProblem(f"{spec.label}应为数字，例如12.5。") from None
    if value != value.quantize(Decimal("0.01")):
        raise FieldProblem(f"{spec.label}最多保留两位小数。")
    cents = int(value * 100)
    if cents > high_c:
        raise FieldProblem(f"{spec.label}不能大于{format_hundredths(high_c)}。")
    return cents


def _date(text, spec):
    parsed = parse_date(text)
    if parsed is None:
        raise FieldProblem(f"{spec.label}不是有效日期，请写成2024-03-01。")
    return parsed


def _choice(text, spec):
    value = normalize_text(text)
    if value not in spec.choices:
        raise FieldProblem(f"{spec.label}应为" + "或".join(spec.choices) + "。")
    return value


def _people(text, spec, kind):
    names = split_people(text)
    limit = MAX_CONTRIBUTORS[kind]
    if len(names) > limit:
        raise FieldProblem(f"主要完成人不能超过{limit}人（现有{len(names)}人）。")
    for name in names:
        if len(name) > MAX_NAME_CHARS:
            raise FieldProblem(f"主要完成人“{name[:MAX_NAME_CHARS]}…”超过{MAX_NAME_CHARS}个字，请检查姓名之间是否用逗号隔开。")
    seen = set()
    for name in names:
        if name in seen:
            raise FieldProblem(f"主要完成人“{name}”重复填写。")
        seen.add(name)
    return names


def _checked(value, spec):
    return str(value).strip().lower() in ("1", "on", "true", "yes", "y")


def clean_value(kind, spec, raw):
    """The stored value of one field from what was typed; None when left empty; raises FieldProblem."""
    if spec.type == "pledge":
        return _checked(raw or "", spec)
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if CONTROL_RE.search(text):  # invisible; they break the printed form and the xlsx export
        raise FieldProblem(control_char_error(text, spec.label))
    if spec.type == "people":
        names = _people(text, spec, kind)
        return names or None
    value = _multiline(text, spec) if spec.type == "text" else _line(text, spec)
    if not value:
        return None
    if spec.type in ("line", "text", "team_name") and len(value) > spec.max_len:
        raise FieldProblem(f"{spec.label}最多{spec.max_len}个字（现有{len(value)}个）。")
    if spec.type == "team_name" and team_name_error(value):
        raise FieldProblem(team_name_error(value))
    if spec.type in ("line", "text", "team_name"):
        return value
    return _TYPED[spec.type](value, spec)


_TYPED = {
    "int": lambda text, spec: _integer(text, spec, 1, 999, "人"),
    "count": lambda text, spec: _integer(text, spec, 0, MAX_COUNT),
    "money": lambda text, spec: _hundredths(text, spec, MAX_MONEY_C),
    "percent": lambda text, spec: _hundredths(text, spec, 100_00),
    "date": _date,
    "choice": _choice,
    "subtype": _choice,
    "mobile": lambda text, spec: _checked_format(normalize_mobile(text), mobile_error),
    "postcode": lambda text, spec: _checked_format(normalize_text(text), postcode_error),
    "landline": lambda text, spec: _checked_format(normalize_landline(text), landline_error),
}


def _checked_format(value, error_of):
    error = error_of(value)
    if error:
        raise FieldProblem(error)
    return value


def clean_form(kind, form_data):
    """Clean every field of a posted form; returns (cleaned column → value, errors field name → message)."""
    cleaned, errors = {}, {}
    for spec in FIELDS[kind]:
        try:
            cleaned[spec.column] = clean_value(kind, spec, form_data.get(spec.name))
        except FieldProblem as problem:
            errors[spec.name] = str(problem)
    if kind == KIND_GROUP and cleaned.get("topic_type") != "问题解决型":
        cleaned["topic_subtype"] = None  # only 问题解决型 has a target type
    if cleaned.get("main_contributors") is None and "main_contributors" not in errors:
        cleaned["main_contributors"] = []
    columns = Declaration.__table__.c
    for column, value in cleaned.items():
        if value is None and not columns[column].nullable:
            cleaned[column] = ""  # an empty required text of a draft (its NOT NULL columns hold "")
    started, completed = cleaned.get("started_on"), cleaned.get("completed_on")
    if started and completed and started > completed:
        errors["started_on"] = "活动开始日期不能晚于成果完成日期。"
    return cleaned, errors
