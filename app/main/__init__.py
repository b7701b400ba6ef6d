"""Home page (系统首页) and public pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import views  # noqa: E402,F401
