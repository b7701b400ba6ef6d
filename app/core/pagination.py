"""Paging of list pages, and the LIKE pattern of their searches."""
import math
from dataclasses import dataclass

from app.core.extensions import db

MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET inside the database's integer range


def paginate(select, page, per_page):
    """db.paginate for the lists: any page number works, past the end shows the last page."""
    pagination = db.paginate(select, page=min(max(1, page), MAX_PAGE), per_page=per_page, error_out=False)
    if pagination.page > pagination.pages > 0:
        pagination = db.paginate(select, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


@dataclass
class Page:
    """One page of rows with what the pager needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1


def page_number(requested, total, per_page):
    """The page to show: at least 1, at most the last page (and MAX_PAGE)."""
    return max(1, min(requested, max(1, math.ceil(total / per_page)), MAX_PAGE))


def like_pattern(text):
    """A LIKE pattern containing `text` literally (% and _ typed by the user match themselves; escape "\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

