"""年度设置: the year's theme, filing deadline, declaration window and earliest completion date."""
from dataclasses import dataclass, field
from datetime import date

from app.core import audit
from app.core.extensions import db
from app.core.models import YearSetting
from app.core.settings import default_deadline, open_filing_year, set_open_filing_year
from app.core.validators import clean_text, normalize_text

FIELDS = ("year", "theme", "filing_deadline", "declaration_start", "declaration_end", "earliest_completion")
LABELS = {"year": "开放备案年度", "theme": "年度活动主题", "filing_deadline": "备案截止日期",
          "declaration_start": "申报开始日期", "declaration_end": "申报截止日期",
          "earliest_completion": "成果最早完成日期"}


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
    """The form filled with the stored settings of year (the open year by default)."""
    year = year or open_filing_year()
    setting = db.session.get(YearSetting, year)
    values = {"year": str(year), "theme": (setting.theme if setting else "") or ""}
    for name, default in defaults_for(year).items():
        stored = getattr(setting, name) if setting else None
        values[name] = (stored or default).isoformat()
    return YearForm(values=values)


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(form_data):
    """Read and check the posted form; returns (YearForm, cleaned dict or None)."""
    values = {name: normalize_text(form_data.get(name, "")) for name in FIELDS}
    values["theme"] = clean_text(form_data.get("theme", ""))  # printed as typed: 绿色低碳•创新赋能
    errors = {}
    cleaned = {}
    if not values["year"].isdigit() or not 2000 <= int(values["year"]) <= 2100:
        errors["year"] = "开放备案年度应为2000至2100之间的四位年份。"
    else:
        cleaned["year"] = int(values["year"])
    if len(values["theme"]) > 200:
        errors["theme"] = "年度活动主题不能超过200字。"
    cleaned["theme"] = values["theme"]
    for name in FIELDS[2:]:
        if not values[name]:
            errors[name] = f"请填写{LABELS[name]}。"
            continue
        parsed = _parse_date(values[name])
        if parsed is None:
            errors[name] = f"{LABELS[name]}格式应为年-月-日，例如2024-12-31。"
        else:
            cleaned[name] = parsed
    start, end = cleaned.get("declaration_start"), cleaned.get("declaration_end")
    if start and end and end < start:
        errors["declaration_end"] = "申报截止日期不能早于申报开始日期。"
    form = YearForm(values=values, errors=errors)
    return form, (None if errors else cleaned)


def save(cleaned, actor=None):
    """Store the year's settings and make it the open filing year; audited; flushes only."""
    year = cleaned["year"]
    before_year = open_filing_year()
    setting = db.session.get(YearSetting, year)
    before = {name: getattr(setting, name) for name in FIELDS[1:]} if setting else {}
    setting = set_open_filing_year(year)
    for name in FIELDS[1:]:
        setattr(setting, name, cleaned[name])
    db.session.flush()
    changes = {name: [before.get(name), cleaned[name]]
               for name in FIELDS[1:] if before.get(name) != cleaned[name]}
    if before_year != year:
        changes["open_filing_year"] = [before_year, year]
    audit.record("settings.year", f"修改年度设置：{year}年", target=setting, detail=changes, actor=actor)
    return setting
