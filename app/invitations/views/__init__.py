"""The invite blueprint: 邀请备案 for units, and the link pages for invited enterprises."""
from flask import Blueprint

bp = Blueprint("invite", __name__)

from app.invitations.views import link, unit  # noqa: E402,F401
