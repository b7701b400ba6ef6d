"""The filing calendar: which year is open, until when, and the year's theme and dates."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g, has_request_context

from app.core.clock import CHINA, china_today
from app.core.extensions import db
from app.core.models import SiteSetting, YearSetting

OPEN_FILING_YEAR_KEY = "open_filing_year"


@dataclass(frozen=True)
class FilingPeriod:
    """The open filing year, its deadline (whole day, China time) and the year's settings."""

    year: int
    deadline: date
    theme: str
    declaration_start: date | None
    declaration_end: date | None
    earliest_completion: date | None
    today: date

    @property
    def is_open(self):
        """True until the end of the deadline day in China time."""
        return self.today <= self.deadline


def default_deadline(year):
    """Filing for year Y closes on 31 December of Y−1."""
    return date(year - 1, 12, 31)


def open_filing_year(today=None):
    """The year being filed: the secretariat's choice, else next calendar year."""
    row = db.session.get(SiteSetting, OPEN_FILING_YEAR_KEY)
    if row and row.value.isdecimal() and row.value.isascii():
        return int(row.value)
    return (today or china_today()).year + 1


def filing_period(today=None):
    """Compute the open filing period from the database."""
    today = today or china_today()
    year = open_filing_year(today)
    setting = db.session.get(YearSetting, year)
    deadline = (setting.filing_deadline if setting and setting.filing_deadline else default_deadline(year))
    return FilingPeriod(
        year=year,
        deadline=deadline,
        theme=(setting.theme if setting else "") or "",
        declaration_start=(setting.declaration_start if setting and setting.declaration_start
                           else date(year, 3, 25)),
        declaration_end=setting.declaration_end if setting and setting.declaration_end else date(year, 4, 30),
        earliest_completion=(setting.earliest_completion if setting and setting.earliest_completion
                             else date(year - 1, 5, 1)),
        today=today,
    )


def current_filing_period():
    """The filing period, computed once per request."""
    if not has_request_context():
        return filing_period()
    if "filing_period" not in g:
        g.filing_period = filing_period()
    return g.filing_period


def set_open_filing_year(year, deadline=None, theme=None):
    """Set the open filing year (and optionally its deadline and theme); flushes only."""
    row = db.session.get(SiteSetting, OPEN_FILING_YEAR_KEY)
    if row is None:
        row = SiteSetting(key=OPEN_FILING_YEAR_KEY, value=str(year))
        db.session.add(row)
    row.value = str(year)
    setting = db.session.get(YearSetting, year)
    if setting is None:
        setting = YearSetting(year=year)
        db.session.add(setting)
    if deadline is not None:
        setting.filing_deadline = deadline
    if theme is not None:
        setting.theme = theme
    db.session.flush()
    g.pop("filing_period", None) if has_request_context() else None
    return setting


def filing_closes_at_utc(period):
    """The instant (naive UTC) when filing closes: the end of the deadline day in China."""
    end = datetime.combine(period.deadline + timedelta(days=1), datetime.min.time(), tzinfo=CHINA)
    return end.astimezone(tz=None).replace(tzinfo=None)


OPEN_DECLARATION_YEAR_KEY = "open_declaration_year"
DEFAULT_RESUBMIT_DAYS = 7
DEFAULT_PUBLICITY_DAYS = 7


@dataclass(frozen=True)
class DeclarationPeriod:
    """The 当前申报年度 Y (spec 1.1): its window (whole days, China time), earliest completion and limits."""

    year: int
    start: date
    end: date
    earliest_completion: date
    quota_group: int
    quota_team: int
    resubmit_days: int
    publicity_days: int
    today: date

    @property
    def is_open(self):
        """True from 00:00 of the first day to 23:59:59 of the last day, China time."""
        return self.start <= self.today <= self.end

    @property
    def not_yet_open(self):
        """True before the first day."""
        return self.today < self.start

    @property
    def has_closed(self):
        """True after the last day."""
        return self.today > self.end

    def quota(self, kind):
        """The per-unit limit of submitted declarations of a kind (0 = unlimited)."""
        return self.quota_group if kind == "group" else self.quota_team


def open_declaration_year(today=None):
    """The year being declared: the secretariat's choice, else this calendar year (China)."""
    row = db.session.get(SiteSetting, OPEN_DECLARATION_YEAR_KEY)
    if row and row.value.isdecimal() and row.value.isascii():
        return int(row.value)
    return (today or china_today()).year


def declaration_period(today=None, year=None):
    """Compute the declaration period of `year` (default: the 当前申报年度) from the database."""
    today = today or china_today()
    year = year or open_declaration_year(today)
    setting = db.session.get(YearSetting, year)

    def value(name, default):
        found = getattr(setting, name, None) if setting is not None else None
        return default if found is None else found

    return DeclarationPeriod(
        year=year,
        start=value("declaration_start", date(year, 3, 25)),
        end=value("declaration_end", date(year, 4, 30)),
        earliest_completion=value("earliest_completion", date(year - 1, 5, 1)),
        quota_group=value("declaration_quota_group", 0),
        quota_team=value("declaration_quota_team", 0),
        resubmit_days=value("resubmit_days", DEFAULT_RESUBMIT_DAYS),
        publicity_days=value("publicity_days", DEFAULT_PUBLICITY_DAYS),
        today=today,
    )


def current_declaration_period():
    """The declaration period, computed once per request."""
    if not has_request_context():
        return declaration_period()
    if "declaration_period" not in g:
        g.declaration_period = declaration_period()
    return g.declaration_period


def set_open_declaration_year(year):
    """Make `year` the 当前申报年度 (flushes only)."""
    row = db.session.get(SiteSetting, OPEN_DECLARATION_YEAR_KEY)
    if row is None:
        row = SiteSetting(key=OPEN_DECLARATION_YEAR_KEY, value=str(year))
        db.session.add(row)
    row.value = str(year)
    db.session.flush()
    if has_request_context():
        g.pop("declaration_period", None)
