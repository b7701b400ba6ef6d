"""The admin blueprint: the secretariat's workspace (秘书处), one module per page group."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.secretariat.views import (  # noqa: E402,F401
    accounts,
    audit,
    certificates,
    dashboard,
    declaration_units,
    declarations,
    experts,
    filings,
    formal_check,
    notices,
    outbox,
    publicity,
    registrations,
    review,
    review_assignment,
    review_progress,
    review_matrix,
    review_results,
    settings,
    units,
)
