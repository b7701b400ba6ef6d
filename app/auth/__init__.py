"""Registration, login, logout, password reset and profile (修改资料)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import files, profile, register, views  # noqa: E402,F401
