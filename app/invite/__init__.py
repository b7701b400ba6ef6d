"""邀请备案."""
from flask import Blueprint

bp = Blueprint("invite", __name__)

from app.invite import views  # noqa: E402,F401
