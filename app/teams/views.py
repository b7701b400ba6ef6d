"""班组备案 views: the shared filing pages for kind "team" (see app.filings.views)."""
from app.filings.views import register_filing_views
from app.teams import bp

register_filing_views(bp, "team")
