"""Time: stored as naive UTC everywhere, shown and compared with deadlines in China time."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow():
    """Current time as a naive UTC datetime (stored as UTC everywhere)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def epoch(at=None):
    """A naive-UTC datetime in epoch seconds (default now, from utcnow: a frozen clock freezes this too)."""
    return int((at or utcnow()).replace(tzinfo=timezone.utc).timestamp())


def to_china(value):
    """Convert a naive-UTC datetime to China time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA)


def china_today() -> date:
    """Today's date in China (derived from utcnow, so a test freezes both by patching app.core.clock.utcnow)."""
    return to_china(utcnow()).date()
