"""The secretariat's workspace (秘书处). Each area is its own module on this blueprint."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import (  # noqa: E402,F401
    accounts, audit, dashboard, filings, notices, outbox, registrations, settings, units)
