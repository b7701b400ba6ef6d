"""Housekeeping: the purges of every area in one job (it knows the areas, like the factory)."""
import time

from app.accounts import captcha, password_reset
from app.core import ratelimit, uploads


def run():
    """Purge expired captchas, old rate-limit windows, stale staged uploads and reset tokens (flushes only)."""
    captcha.purge_expired()
    ratelimit.purge_old(int(time.time()) - 86400)
    uploads.purge_stale_staged()
    password_reset.purge_expired()
