"""Paging of list pages."""
from app.core.extensions import db

MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET inside the database's integer range


def paginate(select, page, per_page):
    """db.paginate for the lists: any page number works, past the end shows the last page."""
    pagination = db.paginate(select, page=min(max(1, page), MAX_PAGE), per_page=per_page, error_out=False)
    if pagination.page > pagination.pages > 0:
        pagination = db.paginate(select, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


def contains_pattern(text):
    """A LIKE pattern (escape '\\') containing `text` literally: % and _ typed by the user match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
