"""Fixed-window rate limits kept in the database, so they hold across workers and hosts."""
import time

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.core.models import RateLimitBucket


def _window(seconds, now=None):
    now = int(now if now is not None else time.time())
    return now - now % seconds


def hit(key, limit, seconds, now=None):
    """Count one event for key; return True while the count in this window is within limit.

    Runs in its own SAVEPOINT so a concurrent first insert by another worker is retried as an update.
    """
    start = _window(seconds, now)
    result = db.session.execute(
        update(RateLimitBucket)
        .where(RateLimitBucket.key == key, RateLimitBucket.window_start == start)
        .values(count=RateLimitBucket.count + 1)
    )
    if result.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(RateLimitBucket(key=key, window_start=start, count=1))
        except IntegrityError:
            db.session.execute(
                update(RateLimitBucket)
                .where(RateLimitBucket.key == key, RateLimitBucket.window_start == start)
                .values(count=RateLimitBucket.count + 1)
            )
    return count(key, seconds, now) <= limit


def count(key, seconds, now=None):
    """Events counted for key in the current window."""
    start = _window(seconds, now)
    row = db.session.get(RateLimitBucket, (key, start), populate_existing=True)
    return row.count if row else 0


def reset(key, seconds, now=None):
    """Forget the current window's events for key (e.g. after a successful login)."""
    start = _window(seconds, now)
    db.session.execute(db.delete(RateLimitBucket).where(
        RateLimitBucket.key == key, RateLimitBucket.window_start == start))


def purge_old(before_epoch):
    """Delete windows that ended long ago (called by the mail sender's housekeeping)."""
    db.session.execute(db.delete(RateLimitBucket).where(RateLimitBucket.window_start < before_epoch))
