"""The fields of a group or team filing: labels, rules and cleaners shared by the forms and the xlsx import.

Each cleaner takes what a user typed (or what a spreadsheet cell holds: str, int, float, date,
datetime, None) and returns the value to store, or raises FieldProblem with a Chinese message.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.core.clock import china_today
from app.core.validators import (
    ascii_int,
    control_char_error,
    has_digit_lookalike,
    landline_error,
    mobile_error,
    normalize_landline,
    normalize_mobile,
    team_name_error,
)
from app.filings.models import TOPIC_TYPES, QcGroupFiling, TeamFiling

KINDS = ("group", "team")
KIND_LABELS = {"group": "小组", "team": "班组"}
MODELS = {"group": QcGroupFiling, "team": TeamFiling}
NAME_FIELDS = {"group": "group_name", "team": "team_name"}
REG_PREFIX = {"group": "QC", "team": "BZ"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_EPOCH = date(1899, 12, 30)
MIN_DATE = date(1950, 1, 1)
MAX_MEMBERS = 999


# Names are printed on certificates exactly as filed, so their Chinese punctuation (（）、) is kept;
# only full-width letters and digits (ＱＣ１) and the ideographic space become half-width.
FULLWIDTH_ALNUM = {cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                              *range(0xFF41, 0xFF5B))}
FULLWIDTH_ALNUM[0x3000] = 0x20
FULLWIDTH_ALNUM_RE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")


def halfwidth_alnum(text):
    """ＱＣ１ → QC1 and the ideographic space → space; everything else as typed (fast when nothing to do)."""
    return text.translate(FULLWIDTH_ALNUM) if FULLWIDTH_ALNUM_RE.search(text) else text


class FieldProblem(ValueError):
    """A value that cannot be accepted; str(self) is the Chinese message."""


@dataclass(frozen=True)
class FilingField:
    """One field of a filing: its column, label, rule and help text (for the template's second sheet)."""

    name: str
    label: str
    type: str  # text, name, int, date, choice, mobile, landline, email, team_name
    required: bool = False
    max_len: int = 200
    choices: tuple = ()
    example: str = ""
    rule: str = ""
    multiline: bool = field(default=False)
    past: bool = False  # a date that has already happened (成立时间): refused when later than today


def _f(name, label, type_="text", required=False, max_len=200, **kw):
    return FilingField(name, label, type_, required, max_len, **kw)


GROUP_FIELDS = (
    _f("enterprise_name", "企业名称", "name", True, 200, example="中国石化北京燕山分公司",
       rule="企业全称，与公章一致，不加上级公司前缀"),
    _f("group_name", "小组名称", "name", True, 200, example="炼油一部攻关QC小组", rule="最多200字"),
    _f("topic", "课题名称", "name", True, 300, example="降低常减压装置能耗", rule="最多300字"),
    _f("topic_type", "课题类型", "choice", True, 32, choices=TOPIC_TYPES, example=TOPIC_TYPES[2],
       rule="从下拉列表选择：" + "、".join(TOPIC_TYPES)),
    _f("founded_on", "成立时间", "date", True, example="2024-03-01",
       rule="日期，如2024-03-01、2024/3/1或2024年3月1日，不晚于今天", past=True),
    _f("topic_registered_on", "课题注册时间", "date", example="2024-04-15", rule="日期，可不填，不晚于今天",
       past=True),
    _f("leader", "小组长", "name", True, 50, example="王五", rule="姓名，最多50字"),
    _f("member_count", "小组人数", "int", True, example="7", rule=f"1至{MAX_MEMBERS}的整数"),
    _f("advisor", "活动指导者", "name", False, 100, example="李工", rule="可不填，最多100字"),
    _f("contact", "联系人", "name", True, 50, example="王五", rule="姓名，最多50字"),
    _f("mobile", "手机", "mobile", True, 20, example="13912345678", rule="11位手机号码"),
    _f("email", "电子邮箱", "email", False, 254, example="wangwu@example.com", rule="可不填"),
    _f("remark", "备注", "text", False, 1000, example="", rule="可不填，最多1000字", multiline=True),
)

TEAM_FIELDS = (
    _f("enterprise_name", "企业名称", "name", True, 200, example="中国石化北京燕山分公司",
       rule="企业全称，与公章一致，不加上级公司前缀"),
    _f("team_name", "班组名称", "team_name", True, 200, example="常减压装置运行一班",
       rule="以正式组织单元名称为准，以“班”“组”“工段”或“室”结尾"),
    _f("department", "主管部门", "name", True, 100, example="炼油一部", rule="最多100字"),
    _f("leader", "班组长", "name", True, 50, example="赵六", rule="姓名，最多50字"),
    _f("member_count", "班组人数", "int", True, example="12", rule=f"1至{MAX_MEMBERS}的整数"),
    _f("contact", "联系人", "name", True, 50, example="赵六", rule="姓名，最多50字"),
    _f("mobile", "手机", "mobile", True, 20, example="13912345678", rule="11位手机号码"),
    _f("landline", "座机", "landline", False, 30, example="010-84885418", rule="区号-号码，可不填"),
    _f("started_on", "开始建设时间", "date", example="2023-06-01", rule="日期，可不填，不晚于今天", past=True),
    _f("intro", "班组简介", "text", False, 2000, example="负责常减压装置的运行。", rule="可不填，最多2000字",
       multiline=True),
    _f("remark", "备注", "text", False, 1000, example="", rule="可不填，最多1000字", multiline=True),
)

FIELDS = {"group": GROUP_FIELDS, "team": TEAM_FIELDS}


def fields_for(kind):
    """The ordered fields of a kind ("group" or "team")."""
    return FIELDS[kind]


def check_kind(kind):
    """Refuse an unknown kind early (a programming error, not user input)."""
    if kind not in FIELDS:
        raise ValueError(f"unknown filing kind {kind!r}")
    return kind


def _as_text(value):
    """A cell value as text: 13912345678.0 → '13912345678', full-width → half-width, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if not isinstance(value, str):
        value = str(value)
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value).replace("\u3000", " ")
    return value.strip()


def _as_name_text(value):
    """A cell value as a name: numbers as text, full-width letters/digits half-width, punctuation kept."""
    if isinstance(value, str):
        return halfwidth_alnum(value).strip()
    return _as_text(value)


def _clean_name(value, spec):
    text = _as_name_text(value)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = re.sub(r"\s+", " ", text)
    return text


def _clean_text(value, spec):
    return _as_name_text(value)


def _clean_int(value, spec):
    if isinstance(value, bool):
        raise FieldProblem(f"{spec.label}应为整数。")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise FieldProblem(f"{spec.label}应为整数，例如{spec.example}。")
        number = int(value)
    else:
        if has_digit_lookalike(value):
            raise FieldProblem(f"{spec.label}应为整数，例如{spec.example}。")
        text = _as_text(value).removesuffix("人").strip()
        if text.endswith(".0"):
            text = text[:-2]
        number = ascii_int(text)  # not isdigit(): "²" and "፩" pass it and int() refuses them
        if number is None:
            raise FieldProblem(f"{spec.label}应为整数，例如{spec.example}。")
    if not 1 <= number <= MAX_MEMBERS:
        raise FieldProblem(f"{spec.label}应在1至{MAX_MEMBERS}之间。")
    return number


def parse_date(value):
    """A date from a date cell, an Excel serial number or text like 2024-03-01, 2024/3/1, 2024年3月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = _as_text(value)
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if not match:
        # "2024-03-01 00:00:00" from a text export of a datetime cell
        head = text.split(" ", 1)[0].split("T", 1)[0]
        match = DATE_RE.match(head) if head != text else None
        if not match:
            return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _clean_date(value, spec):
    parsed = parse_date(value)
    if parsed is None:
        raise FieldProblem(f"{spec.label}不是有效日期，请写成2024-03-01、2024/3/1或2024年3月1日。")
    today = china_today()
    if spec.past and parsed > today:
        raise FieldProblem(f"{spec.label}不能晚于今天（{today.year}年{today.month}月{today.day}日），请核对。")
    if parsed < MIN_DATE or parsed > today + timedelta(days=366):
        raise FieldProblem(f"{spec.label}超出合理范围（1950年以后，且不晚于明年）。")
    return parsed


_CHOICE_KEYS = {}


def _choice_key(text):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _clean_choice(value, spec):
    text = _as_text(value)
    keys = _CHOICE_KEYS.get(spec.name)
    if keys is None:
        keys = _CHOICE_KEYS[spec.name] = {_choice_key(c): c for c in spec.choices}
    choice = keys.get(_choice_key(text))
    if choice is None:
        raise FieldProblem(f"{spec.label}应为以下之一：" + "、".join(spec.choices) + "。")
    return choice


def _clean_mobile(value, spec):
    text = normalize_mobile(value)
    if mobile_error(text):
        raise FieldProblem(mobile_error(text))
    return text


def _clean_landline(value, spec):
    text = normalize_landline(_as_text(value))
    if landline_error(text):
        raise FieldProblem(landline_error(text))
    return text


def _clean_email(value, spec):
    text = _as_text(value).replace(" ", "")
    if not EMAIL_RE.match(text):
        raise FieldProblem("电子邮箱格式不正确，例如wangwu@example.com。")
    return text.lower() if text.isascii() else text


def _clean_team_name(value, spec):
    text = _clean_name(value, spec)
    error = team_name_error(text)
    if error:
        raise FieldProblem(error)
    return text


CLEANERS = {
    "text": _clean_text, "name": _clean_name, "int": _clean_int, "date": _clean_date,
    "choice": _clean_choice, "mobile": _clean_mobile, "landline": _clean_landline,
    "email": _clean_email, "team_name": _clean_team_name,
}


def is_blank(value):
    """True for None, '' and whitespace-only text."""
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(spec, value):
    """Clean one value; returns None for an empty optional field, raises FieldProblem otherwise."""
    if is_blank(value):
        if spec.required:
            raise FieldProblem(f"请填写{spec.label}。")
        return None
    if value.__class__ is str and control_char_error(value, spec.label):
        raise FieldProblem(control_char_error(value, spec.label))
    cleaned = CLEANERS[spec.type](value, spec)
    if cleaned == "" or cleaned is None:
        if spec.required:
            raise FieldProblem(f"请填写{spec.label}。")
        return None
    if isinstance(cleaned, str) and len(cleaned) > spec.max_len:
        raise FieldProblem(f"{spec.label}最多{spec.max_len}个字（现有{len(cleaned)}个）。")
    return cleaned


def clean_record(kind, raw):
    """Clean a whole record (a dict field → raw value); returns (data, errors) with errors field → message."""
    data, errors = {}, {}
    for spec in FIELDS[kind]:
        try:
            data[spec.name] = clean_value(spec, raw.get(spec.name))
        except FieldProblem as problem:
            errors[spec.name] = str(problem)
    return data, errors


def duplicate_message(kind, enterprise_name, name):
    """The message for a group/team name already filed for the same enterprise and year."""
    label = KIND_LABELS[kind]
    return f"{enterprise_name}的{label}“{name}”本年度已存在，不能重复备案。"
