"""The declarations blueprint: 成果申报 for units (C-U2 tabs), one module per page group."""
from flask import Blueprint

bp = Blueprint("declarations", __name__)

from app.declarations.views import (  # noqa: E402,F401
    declarations, documents, files, form, printing, recommendations)
