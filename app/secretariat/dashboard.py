"""工作台: the secretariat's figures at a glance, from a handful of grouped queries."""
from datetime import date, timedelta

from sqlalchemy import Date, cast, func, literal_column

from app.accounts.models import STATUS_APPROVED, STATUS_LABELS, STATUS_PENDING, Unit, UnitChangeRequest
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.settings import china_today, current_filing_period
from app.filings.models import QcGroupFiling, TeamFiling
from app.secretariat.units import filed_unit_ids

MAX_DAYS = 120  # the per-day chart shows at most this many days (the end of the period)


def _china_day(column):
    """The China-time calendar day of a stored UTC datetime, as SQL."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column, "+8 hours")
    return cast(column + literal_column("interval '8 hours'"), Date)


def _count_by(model, key, year):
    """{key value: count} of model's filings in year, grouped by a Unit column."""
    rows = db.session.execute(
        db.select(key, func.count()).select_from(model).join(Unit, Unit.id == model.unit_id)
        .where(model.year == year).group_by(key))
    return {k: n for k, n in rows}


def _merge(names, groups, teams):
    """Rows (name, groups, teams, total), largest total first, names from a reference table."""
    keys = set(groups) | set(teams)
    rows = [(names.get(k, k), groups.get(k, 0), teams.get(k, 0), groups.get(k, 0) + teams.get(k, 0))
            for k in keys]
    return sorted(rows, key=lambda r: (-r[3], r[0]))


def per_day(year, start, end):
    """[(day, groups, teams)] for every day from start to end (China time)."""
    counts = {}
    for model, index in ((QcGroupFiling, 0), (TeamFiling, 1)):
        day = _china_day(model.created_at)
        rows = db.session.execute(
            db.select(day, func.count()).where(model.year == year).group_by(day))
        for value, n in rows:
            value = date.fromisoformat(value) if isinstance(value, str) else value
            counts.setdefault(value, [0, 0])[index] = n
    if counts:
        start = min(start, min(counts))
        end = max(end, max(counts))
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    days = []
    current = start
    while current <= end:
        g, t = counts.get(current, (0, 0))
        days.append((current, g, t))
        current += timedelta(days=1)
    return days


def figures(period=None):
    """Every number and chart series of the dashboard."""
    period = period or current_filing_period()
    year = period.year
    by_status = dict(db.session.execute(db.select(Unit.status, func.count()).group_by(Unit.status)).all())
    pending_changes = db.session.scalar(
        db.select(func.count()).select_from(UnitChangeRequest)
        .where(UnitChangeRequest.status == STATUS_PENDING))
    groups = db.session.scalar(
        db.select(func.count()).select_from(QcGroupFiling).where(QcGroupFiling.year == year))
    teams = db.session.scalar(db.select(func.count()).select_from(TeamFiling).where(TeamFiling.year == year))
    # the same sets the 单位管理 filters list, so each card's number is the length of the list it opens
    filed = filed_unit_ids(year).subquery()
    units_filed = db.session.scalar(
        db.select(func.count()).select_from(Unit).where(Unit.id.in_(db.select(filed.c.unit_id))))
    units_without = db.session.scalar(
        db.select(func.count()).select_from(Unit).where(
            Unit.status == STATUS_APPROVED, Unit.id.not_in(db.select(filed.c.unit_id))))
    provinces = dict(db.session.execute(db.select(Province.code, Province.name)).all())
    industries = dict(db.session.execute(db.select(Industry.code, Industry.name)).all())
    by_province = _merge(provinces, _count_by(QcGroupFiling, Unit.province_code, year),
                         _count_by(TeamFiling, Unit.province_code, year))
    by_industry = _merge(industries, _count_by(QcGroupFiling, Unit.industry_code, year),
                         _count_by(TeamFiling, Unit.industry_code, year))
    today = china_today()
    end = min(today, period.deadline) if today >= date(year - 1, 1, 1) else period.deadline
    days = per_day(year, end - timedelta(days=29), end)
    return {
        "year": year,
        "period": period,
        "pending_registrations": by_status.get(STATUS_PENDING, 0),
        "pending_changes": pending_changes,
        "units_by_status": [(STATUS_LABELS[s], by_status.get(s, 0)) for s in STATUS_LABELS],
        "units_total": sum(by_status.values()),
        "groups": groups,
        "teams": teams,
        "units_filed": units_filed,
        "units_without_filings": units_without,
        "by_province": by_province,
        "by_industry": by_industry,
        "per_day": days,
    }
