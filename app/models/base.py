"""Helpers shared by the model modules."""
from datetime import datetime, timezone


def utcnow():
    """Current time as a naive UTC datetime (stored as UTC everywhere)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
