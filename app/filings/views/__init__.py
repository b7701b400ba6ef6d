"""The groups (小组备案) and teams (班组备案) blueprints: the same filing pages for each kind."""
from flask import Blueprint

from app.filings.views.pages import register_filing_views

groups_bp = Blueprint("groups", __name__)
teams_bp = Blueprint("teams", __name__)

register_filing_views(groups_bp, "group")
register_filing_views(teams_bp, "team")
