"""Sliding-window rate limits kept in the database, so they hold across workers and hosts.

Events are counted in short slices (a sixtieth of the window, at least one second) and a key's count is the
sum of the slices that overlap the last `seconds`. A fixed window would forget everything at its boundary:
8 failures straddling it, or 4 at the end of each window, were never counted together. The slice holding the
window's start counts whole, so the count errs strict by at most one slice (15 s of a 15-minute window).
"""
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from app.core import clock
from app.core.extensions import db
from app.core.models import RateLimitBucket

SLICES = 60


def _slice(seconds):
    return max(1, seconds // SLICES)


def _now(now):
    return int(now if now is not None else clock.epoch())


def _add(key, start, amount):
    return db.session.execute(
        update(RateLimitBucket)
        .where(RateLimitBucket.key == key, RateLimitBucket.window_start == start)
        .values(count=RateLimitBucket.count + amount)
    ).rowcount


def hit(key, limit, seconds, now=None, amount=1):
    """Count an event (of `amount`, e.g. bytes) for key; True while the last `seconds` hold at most `limit`.

    Runs in its own SAVEPOINT so a concurrent first insert by another worker is retried as an update.
    """
    now = _now(now)
    start = now - now % _slice(seconds)
    if _add(key, start, amount) == 0:
        try:
            with db.session.begin_nested():
                db.session.add(RateLimitBucket(key=key, window_start=start, count=amount))
        except IntegrityError:
            _add(key, start, amount)
    return count(key, seconds, now) <= limit


def count(key, seconds, now=None):
    """Events counted for key over the last `seconds`."""
    now = _now(now)
    first = now - seconds
    first -= first % _slice(seconds)
    return db.session.execute(
        db.select(func.coalesce(func.sum(RateLimitBucket.count), 0))
        .where(RateLimitBucket.key == key, RateLimitBucket.window_start >= first)
    ).scalar()


def reset(key, seconds=None, now=None):
    """Forget every counted event of key (e.g. after a successful login)."""
    db.session.execute(db.delete(RateLimitBucket).where(RateLimitBucket.key == key))


def purge_old(before_epoch):
    """Delete slices that ended long ago (housekeeping)."""
    db.session.execute(db.delete(RateLimitBucket).where(RateLimitBucket.window_start < before_epoch))
