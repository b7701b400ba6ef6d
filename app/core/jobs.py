"""Periodic jobs shared by every worker and host: whoever claims the job's row first runs it.

A claim is a guarded UPDATE (claimed_at older than the interval, rowcount 1), or the first INSERT of the row,
committed at once so that other processes see it; any number of workers on any number of hosts then start a
job at most once per interval. Like the outbox sender, this commits on purpose: it runs before a request's
own work starts, or from the command line.
"""
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.core import clock
from app.core.extensions import db
from app.core.models import JobClaim


def claim(name, every_seconds, now=None):
    """True when this process won job `name` now (at most once per `every_seconds` in all; commits)."""
    now = now or clock.utcnow()
    won = db.session.execute(
        update(JobClaim)
        .where(JobClaim.name == name, JobClaim.claimed_at <= now - timedelta(seconds=every_seconds))
        .values(claimed_at=now).execution_options(synchronize_session=False)).rowcount == 1
    if not won and db.session.get(JobClaim, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobClaim(name=name, claimed_at=now))
            won = True
        except IntegrityError:
            won = False  # another process inserted it first
    db.session.commit()
    return won


def mark(name, now=None):
    """Record that job `name` starts now whatever its last claim (an operator ran it by hand; commits)."""
    now = now or clock.utcnow()
    if db.session.execute(update(JobClaim).where(JobClaim.name == name).values(claimed_at=now)
                          .execution_options(synchronize_session=False)).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(JobClaim(name=name, claimed_at=now))
        except IntegrityError:
            pass
    db.session.commit()
