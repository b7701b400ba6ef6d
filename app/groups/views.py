"""小组备案 views: the shared filing pages for kind "group" (see app.filings.views)."""
from app.filings.views import register_filing_views
from app.groups import bp

register_filing_views(bp, "group")
