"""Housekeeping: the purges of every area in one job (it knows the areas, like the factory).

It runs in every configuration, mail or not: `flask housekeeping` from cron, and now and then before a request
(init_app). Whichever process claims the `housekeeping` row first (core/jobs.py) runs it, so several workers
and hosts on one database run it once per INTERVAL between them; a process asks the database at most once per
CHECK_SECONDS, so the other requests pay nothing.
"""
import logging
import threading
import time

from flask import current_app

from app.accounts import captcha, password_reset, sessions
from app.core import clock, jobs, ratelimit, uploads
from app.core.extensions import db

log = logging.getLogger(__name__)
JOB = "housekeeping"
INTERVAL = 600
CHECK_SECONDS = 60
RATE_LIMIT_KEEP = 86400  # longer than any rate-limit window


def run(now=None):
    """Purge expired captchas, sessions and reset tokens, old rate-limit slices and stale staged uploads.

    Flushes only; returns the stored names of the purged files, to delete once the deletions are committed.
    """
    now = now or clock.utcnow()
    captcha.purge_expired(now)
    sessions.purge_expired(now)
    password_reset.purge_expired(now)
    ratelimit.purge_old(clock.epoch(now) - RATE_LIMIT_KEEP)
    return uploads.purge_stale_staged(now)


def run_now(now=None):
    """Run the purges and commit, then remove the purged files and stale partial uploads (the command, and a won
    claim)."""
    names = run(now)
    db.session.commit()
    uploads.delete_files(names)
    uploads.sweep_partial(None if now is None else clock.epoch(now))
    return len(names)


def run_if_due(now=None):
    """Run the purges when this process wins the claim of this INTERVAL; True when it ran."""
    if not jobs.claim(JOB, current_app.config.get("HOUSEKEEPING_SECONDS", INTERVAL), now):
        return False
    run_now(now)
    return True


_next_check = {}
_check_lock = threading.Lock()


def _due_here(app):
    """A cheap per-process gate in front of the database claim: one claim attempt per CHECK_SECONDS."""
    with _check_lock:
        now = time.monotonic()
        if _next_check.get(id(app), 0.0) > now:
            return False
        _next_check[id(app)] = now + CHECK_SECONDS
        return True


def init_app(app):
    """Run housekeeping before a request now and then (HOUSEKEEPING_ON_REQUESTS, on unless turned off).

    It runs before the view so that its commit never includes the request's own work.
    """

    @app.before_request
    def _housekeeping_before_request():
        if not app.config.get("HOUSEKEEPING_ON_REQUESTS", True) or not _due_here(app):
            return
        try:
            run_if_due()
        except Exception:  # noqa: BLE001 — a failed purge must not fail the visitor's request
            db.session.rollback()
            log.exception("housekeeping failed")
