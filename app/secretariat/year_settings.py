"""年度设置: a year's theme, filing deadline, declaration window, earliest completion, quotas and periods;
which year is open for filing (only when ticked) and which year is being declared (spec 1.1)."""
from dataclasses import dataclass, field
from datetime import date

from app.core import audit
from app.core.clock import china_today
from app.core.extensions import db
from app.core.models import YearSetting
from app.core.settings import (
    DEFAULT_PUBLICITY_DAYS,
    DEFAULT_RESUBMIT_DAYS,
    default_deadline,
    open_declaration_year,
    open_filing_year,
    set_open_declaration_year,
    set_open_filing_year,
)
from app.core.validators import ascii_int, clean_text, control_char_error, has_digit_lookalike, normalize_text

DATE_FIELDS = ("filing_deadline", "declaration_start", "declaration_end", "earliest_completion")
# (name, label, lowest, highest, default when left empty)
NUMBER_FIELDS = (
    ("declaration_quota_group", "每单位小组成果申报限额", 0, 10000, 0),
    ("declaration_quota_team", "每单位班组成果申报限额", 0, 10000, 0),
    ("resubmit_days", "退回修改期限（天）", 1, 365, DEFAULT_RESUBMIT_DAYS),
    ("publicity_days", "公示期（天）", 1, 365, DEFAULT_PUBLICITY_DAYS),
)
YEAR_FIELDS = ("theme", *DATE_FIELDS, *(spec[0] for spec in NUMBER_FIELDS))
LABELS = {"year": "年度", "declaration_year": "当前申报年度", "theme": "年度活动主题",
          "filing_deadline": "备案截止日期", "declaration_start": "申报开始日期", "declaration_end": "申报截止日期",
          "earliest_completion": "成果最早完成日期", **{spec[0]: spec[1] for spec in NUMBER_FIELDS}}


@dataclass
class YearForm:
    """What the 年度设置 form shows: values as typed and a message per wrong field."""

    values: dict
    errors: dict = field(default_factory=dict)


def defaults_for(year):
    """The dates a year has when nothing is set (the 2024 notice's calendar)."""
    return {"filing_deadline": default_deadline(year), "declaration_start": date(year, 3, 25),
            "declaration_end": date(year, 4, 30), "earliest_completion": date(year - 1, 5, 1)}


def form_for(year=None):
    """The form filled with the stored settings of year (the open filing year by default)."""
    filing_year = open_filing_year()
    year = year or filing_year
    setting = db.session.get(YearSetting, year)
    values = {"year": str(year), "theme": (setting.theme if setting else "") or "",
              "set_filing_year": "1" if year == filing_year else "",
              "declaration_year": str(open_declaration_year())}
    for name, default in defaults_for(year).items():
        stored = getattr(setting, name) if setting else None
        values[name] = (stored or default).isoformat()
    for name, _label, _low, _high, default in NUMBER_FIELDS:
        stored = getattr(setting, name) if setting else None
        values[name] = str(default if stored is None else stored)
    return YearForm(values=values)


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_year(values, name, errors, cleaned, typed):
    number = ascii_int(values[name])  # not isdigit(): "፩" passes it and int() refuses it
    if number is None or has_digit_lookalike(typed) or not 2000 <= number <= 2100:
        errors[name] = f"{LABELS[name]}应为2000至2100之间的四位年份。"
    else:
        cleaned[name] = number


def parse(form_data):
    """Read and check the posted form; returns (YearForm, cleaned dict or None)."""
    names = ("year", "declaration_year", *DATE_FIELDS, *(spec[0] for spec in NUMBER_FIELDS))
    values = {name: normalize_text(form_data.get(name, "")) for name in names}
    values["theme"] = clean_text(form_data.get("theme", ""))  # printed as typed: 绿色低碳•创新赋能
    values["set_filing_year"] = "1" if form_data.get("set_filing_year") else ""
    errors = {}
    cleaned = {"set_filing_year": bool(values["set_filing_year"])}
    _parse_year(values, "year", errors, cleaned, form_data.get("year"))
    _parse_year(values, "declaration_year", errors, cleaned, form_data.get("declaration_year"))
    if len(values["theme"]) > 200:
        errors["theme"] = "年度活动主题不能超过200字。"
    elif control_char_error(values["theme"], LABELS["theme"]):
        errors["theme"] = control_char_error(values["theme"], LABELS["theme"])
    cleaned["theme"] = values["theme"]
    for name in DATE_FIELDS:
        if not values[name]:
            errors[name] = f"请填写{LABELS[name]}。"
            continue
        parsed = _parse_date(values[name])
        if parsed is None:
            errors[name] = f"{LABELS[name]}格式应为年-月-日，例如2024-12-31。"
        else:
            cleaned[name] = parsed
    for name, label, low, high, default in NUMBER_FIELDS:
        text = values[name]
        number = ascii_int(text)
        if not text:
            cleaned[name] = default
        elif number is None or has_digit_lookalike(form_data.get(name)) or not low <= number <= high:
            errors[name] = f"{label}应为{low}至{high}之间的整数。"
        else:
            cleaned[name] = number
    start, end = cleaned.get("declaration_start"), cleaned.get("declaration_end")
    if start and end and end < start:
        errors["declaration_end"] = "申报截止日期不能早于申报开始日期。"
    form = YearForm(values=values, errors=errors)
    return form, (None if errors else cleaned)


def warnings_for(cleaned, today=None):
    """Unusual but allowed choices, said after saving (the secretariat trials the flow or reopens it late)."""
    today = today or china_today()
    year, start, end = cleaned["year"], cleaned["declaration_start"], cleaned["declaration_end"]
    found = []
    if start <= cleaned["filing_deadline"]:
        found.append(f"申报时间与{year}年度备案时间重叠（备案截止日期为{cleaned['filing_deadline']:%Y-%m-%d}，"
                     f"申报开始日期为{start:%Y-%m-%d}）。")
    if end < today:
        found.append(f"申报截止日期{end:%Y-%m-%d}已过，{year}年度的申报期已结束。")
    if cleaned["earliest_completion"] > start:
        found.append("成果最早完成日期晚于申报开始日期。")
    return found


def save(cleaned, actor=None):
    """Store the year's settings; switch the open filing year only when asked, and the 当前申报年度 when
    changed; audited; flushes only. Returns (setting, warnings)."""
    year = cleaned["year"]
    setting = db.session.get(YearSetting, year)
    before = {name: getattr(setting, name) for name in YEAR_FIELDS} if setting else {}
    if setting is None:
        setting = YearSetting(year=year)
        db.session.add(setting)
    for name in YEAR_FIELDS:
        setattr(setting, name, cleaned[name])
    db.session.flush()
    changes = {name: [before.get(name), cleaned[name]]
               for name in YEAR_FIELDS if before.get(name) != cleaned[name]}
    before_filing_year = open_filing_year()
    if cleaned["set_filing_year"] and before_filing_year != year:
        set_open_filing_year(year)
        changes["open_filing_year"] = [before_filing_year, year]
    before_declaration_year = open_declaration_year()
    if before_declaration_year != cleaned["declaration_year"]:
        set_open_declaration_year(cleaned["declaration_year"])
        changes["open_declaration_year"] = [before_declaration_year, cleaned["declaration_year"]]
    audit.record("settings.year", f"修改年度设置：{year}年", target=setting, detail=changes, actor=actor)
    return setting, warnings_for(cleaned)
