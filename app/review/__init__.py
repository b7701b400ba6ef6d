"""成果评审."""
from flask import Blueprint

bp = Blueprint("review", __name__)

from app.review import views  # noqa: E402,F401
