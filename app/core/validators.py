"""Field rules shared by forms and the xlsx import (REFERENCE.md: field formats)."""
import re
import unicodedata

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:(?:-|转|#|ext\.?)\d{1,6})?$")
POSTCODE_RE = re.compile(r"^\d{6}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9]{4,16}$")
TEAM_NAME_SUFFIXES = ("班", "组", "工段", "室")


INNER_SPACE_RE = re.compile(r"\s{2,}|[^\S \u3000]")
# C0 control characters other than tab, LF and CR, DEL, the C1 controls U+0080–U+009F (invisible, from pastes
# out of Latin-1 systems), and U+FFFE/U+FFFF: invisible, not allowed in the
# XML of an xlsx (openpyxl raises IllegalCharacterError, or writes a file Excel refuses), NUL refused by
# PostgreSQL. They come from pastes out of other systems and from _x0001_ escapes in a spreadsheet.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
ASCII_DIGITS_RE = re.compile(r"[0-9]+")


def control_char_error(value, label):
    """None unless value (text) holds a control character; else a Chinese message naming the field."""
    if value.__class__ is str and CONTROL_RE.search(value):
        return f"{label}含有不可见的控制字符（常见于从其他系统复制的内容），请删除后重新输入。"
    return None


def control_char_errors(values, labels):
    """{field: message} for the fields of `values` (name → typed text) that hold a control character;
    `labels` maps each field to check to its Chinese label."""
    errors = {}
    for name, label in labels.items():
        message = control_char_error(values.get(name), label)
        if message:
            errors[name] = message
    return errors


def ascii_int(value, max_digits=9):
    """The int of text made of ASCII digits 0-9 only (at most max_digits), else None.

    str.isdigit() is also true for ² and ፩, which int() refuses (a 500), and int() takes ١٢ (Arabic-Indic);
    a number typed by a user is read only from 0-9 (callers NFKC-normalize first to accept １２).
    """
    if value.__class__ is not str or len(value) > max_digits or not ASCII_DIGITS_RE.fullmatch(value):
        return None
    return int(value)


def has_digit_lookalike(value):
    """True when text holds a digit that is no decimal digit (² ① ፩): NFKC would turn ² and ① into 2 and 1,
    so a number field checks the typed text with this before normalizing it (full-width ７ is decimal)."""
    return value.__class__ is str and not value.isdecimal() and any(
        ch.isdigit() and not ch.isdecimal() for ch in value)


def normalize_text(value):
    """For identifiers and search boxes only (never a stored name): NFKC (full-width letters, digits and
    punctuation to half-width) and surrounding spaces stripped."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").strip()


def clean_text(value):
    """Free text exactly as typed (a reason, a title, an address): only surrounding whitespace stripped.

    Chinese punctuation （）【】《》，、；：“” is kept; names go on certificates "以公章为准".
    """
    if value is None:
        return ""
    return str(value).strip()


def normalize_name(value):
    """A name exactly as typed, punctuation and full-width characters kept: surrounding whitespace stripped,
    an inner run of whitespace (or a tab or line break from a paste) becomes one space."""
    return INNER_SPACE_RE.sub(" ", clean_text(value))


def name_key(value):
    """The key two names are compared by (duplicates, 检查单位名称), never stored in their place:
    NFKC (（北京） equals (北京), ＡＢＣ equals ABC), case and every whitespace ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).casefold()


def credit_check_char(first17):
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value):
    """Upper-case, half-width, no spaces."""
    return re.sub(r"\s+", "", normalize_text(value)).upper()


def credit_code_error(value):
    """None when value is a valid 统一社会信用代码, else a Chinese message."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        return "统一社会信用代码应为18位。"
    bad = [ch for ch in code if ch not in CREDIT_CHARSET]
    if bad:
        return f"统一社会信用代码含有无效字符“{bad[0]}”（不使用I、O、S、V、Z）。"
    if credit_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请核对营业执照上的代码。"
    return None


def normalize_mobile(value):
    """Digits of a mobile number: '+86 139 1234 5678', full-width, 1.3912345678E10 from a number cell."""
    text = normalize_text(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    text = re.sub(r"[\s\-()（）]", "", text)
    if text.endswith(".0"):
        text = text[:-2]
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return text


def mobile_error(value):
    """None when value is an 11-digit mainland mobile number."""
    if not MOBILE_RE.match(normalize_mobile(value)):
        return "请输入11位手机号码，例如13912345678。"
    return None


def normalize_landline(value):
    """A landline like 010-84885418, spaces removed."""
    text = normalize_text(value)
    return re.sub(r"\s+", "", text)


def landline_error(value):
    """None when value looks like 010-84885418 (optional extension)."""
    if not LANDLINE_RE.match(normalize_landline(value)):
        return "座机格式应为区号-号码，例如010-84885418。"
    return None


def postcode_error(value):
    """None when value is 6 digits."""
    if not POSTCODE_RE.match(normalize_text(value)):
        return "邮编应为6位数字。"
    return None


def team_name_error(value):
    """None when a team name ends in 班, 组, 工段 or 室 (attachment 3, note 2)."""
    name = normalize_name(value)
    if not name.endswith(TEAM_NAME_SUFFIXES):
        return "班组名称需以正式组织单元名称为准，以“**班”、“**组”、“**工段”或“**室”结尾。"
    return None


def split_people(value):
    """Split 主要完成人 typed with ， 、 , or spaces into a list of names."""
    return [p for p in re.split(r"[，、,;；\s]+", normalize_text(value)) if p]
