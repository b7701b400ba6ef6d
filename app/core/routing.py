"""URL converters."""
from werkzeug.routing import IntegerConverter

DATABASE_INT_MAX = 2 ** 31 - 1  # PostgreSQL INTEGER; SQLite accepts more, but one rule for both


def _at_most(limit):
    """A regex matching the decimal numbers 0..limit (no sign), digit by digit."""
    digits = str(limit)
    width = len(digits)
    parts = [rf"\d{{1,{width - 1}}}"] if width > 1 else []  # every shorter number
    for i, ch in enumerate(digits):  # same length: equal up to i, smaller at i, anything after
        if ch != "0":
            rest = width - i - 1
            parts.append(f"{digits[:i]}[0-{int(ch) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` that only matches numbers a database id can hold: a larger one is a 404, not a 500.

    The bound is in the regex itself, so a too-large id never matches any rule (a value check alone
    would let werkzeug answer 405 when another method's rule has the same path).
    """

    regex = _at_most(DATABASE_INT_MAX)

    def __init__(self, url_map, fixed_digits=0, min=None, max=DATABASE_INT_MAX, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
