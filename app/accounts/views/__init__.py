"""The auth blueprint: registration, login, logout, password reset and profile (修改资料)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.accounts.views import files, login, profile, register  # noqa: E402,F401
from app.accounts.views.helpers import safe_next  # noqa: E402

# the login box (also on pages of other blueprints) refills its hidden `next` with the same check
bp.add_app_template_global(safe_next, "safe_next")
