"""班组备案."""
from flask import Blueprint

bp = Blueprint("teams", __name__)

from app.teams import views  # noqa: E402,F401
