"""Column-at-a-time cleaning for the xlsx import: fast paths for the common cell shapes.

A 10,000-row file has 130,000 cells; calling a cleaner per cell costs more than parsing the file.
So each column is first cleaned with one list comprehension that accepts the ordinary cases
(plain text, a whole number, a date cell, an 11-digit phone as text or number) and
marks anything else SLOW; only the SLOW cells go through the full cleaners of filing_fields, which
also produce the Chinese messages. Both paths give the same value for the same input.
"""
import re
from datetime import date, datetime, timedelta

from app.core.clock import china_today
from app.core.validators import CONTROL_RE, TEAM_NAME_SUFFIXES
from app.filings.fields import (
    EMAIL_RE,
    FULLWIDTH_ALNUM,
    FULLWIDTH_ALNUM_RE,
    MAX_MEMBERS,
    MIN_DATE,
    FieldProblem,
    clean_value,
)


class _Slow:
    """Marker: this cell needs the full cleaner."""

    __slots__ = ()

    def __repr__(self):
        return "SLOW"


SLOW = _Slow()
# DATE_RE of the cleaner restricted to ASCII digits and spaces (plus the spaces the cleaner strips around)
_date_text = re.compile(r" *([0-9]{4}) *[-/.年] *([0-9]{1,2}) *[-/.月] *([0-9]{1,2}) *日? *").fullmatch
_fullwidth = FULLWIDTH_ALNUM_RE.search
_control = CONTROL_RE.search
# a control character other than NUL (_x0001_ in the file, refused by the full cleaner with its message): one scan
# of a column joined by NUL (NUL inside a value is found by counting the joiners)
_control_but_nul = re.compile(CONTROL_RE.pattern.replace("\x00", "\x01", 1)).search
# EMAIL_RE without control characters (they go to the full cleaner), applied to each line of the column's
# values joined by line breaks
_EMAIL_PATTERN = EMAIL_RE.pattern.replace(r"[^@\s]", r"[^@\s\x00-\x1f\x7f\ufffe\uffff]")
_EMAIL_LINE_RE = re.compile(_EMAIL_PATTERN, re.MULTILINE)
# the same with spaces around (stripped by the cleaner), or a line of nothing but spaces (a blank cell)
_EMAIL_OR_BLANK_LINE_RE = re.compile("^ *(" + _EMAIL_PATTERN.strip("^$") + ")? *$", re.MULTILINE)
# the whole value (EMAIL_RE.match would also accept a trailing line break, which the cleaner strips)
_email_full = re.compile(_EMAIL_PATTERN.strip("^$")).fullmatch


def _halfwidth(text):
    return text.translate(FULLWIDTH_ALNUM)


_FULLWIDTH_PAIRS = tuple((chr(cp), chr(to)) for cp, to in FULLWIDTH_ALNUM.items())


def _halfwidth_joined(joined):
    """The same as _halfwidth for a whole joined column: one str.replace per full-width character present
    (C-level scans; str.translate with a dict goes through Python lookups per character and is ~5× slower)."""
    for wide, narrow in _FULLWIDTH_PAIRS:
        if wide in joined:
            joined = joined.replace(wide, narrow)
    return joined


def date_bounds(past=False):
    """The accepted date range (1950-01-01 .. one year from today, or today for a date that has happened)
    as dates and datetimes; a value outside goes to the full cleaner, which says what is wrong."""
    today = china_today()
    high = today if past else today + timedelta(days=366)
    return MIN_DATE, high, datetime.combine(MIN_DATE, datetime.min.time()), datetime.combine(
        high, datetime.max.time())


def _text_date(text, low, high):
    """A date typed as text — 2024-03-01, 2024/3/1, 2024年3月1日, 2024.3.1, with spaces around — within
    bounds, else SLOW. ASCII digits and spaces only (anything else is the full cleaner's), so NFKC, which
    the cleaner applies first, would not change it."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            value = date.fromisoformat(text)
        except ValueError:
            return SLOW
        return value if low <= value <= high else SLOW
    match = _date_text(text)
    if match is None:
        return SLOW
    try:
        value = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return SLOW
    return value if low <= value <= high else SLOW


def _digits(text):
    """A count typed as text ("7", " 7 ", "７") within 1..MAX_MEMBERS, else SLOW; full-width digits and the
    ideographic space become ASCII as NFKC makes them in the cleaner."""
    t = (_halfwidth(text) if _fullwidth(text) else text).strip(" ")
    if t.isascii() and t.isdigit() and 0 < len(t) <= 3:
        number = int(t)
        return number if number >= 1 else SLOW
    return SLOW


def _text_mobile(text):
    """An 11-digit mobile typed as text, with spaces around or full-width digits, else SLOW."""
    t = (_halfwidth(text) if _fullwidth(text) else text).strip(" ")
    if len(t) == 11 and t.isascii() and t.isdigit() and t[0] == "1" and t[1] in "3456789":
        return t
    return SLOW


def fast_column(spec, values):
    """Clean a column's values; returns a list of cleaned values, None for empty optional, or SLOW.

    Columns that repeat values (enterprise, type, leader, dates, counts) are cleaned once per
    distinct value. Booleans are kept out of that shortcut because True == 1 as a dict key.
    """
    try:
        distinct = set(values)
    except TypeError:
        distinct = None
    if distinct is not None and len(distinct) * 4 < len(values) and not any(
            v.__class__ is bool for v in distinct):
        keys = list(distinct)
        table = dict(zip(keys, _fast_column(spec, keys)))
        return list(map(table.__getitem__, values))
    return _fast_column(spec, values)


def _joined(values):
    """The column's values joined by NUL when every one is a string (else None): one C-level scan of
    the joined text answers "does any value hold X" for the whole column."""
    try:
        return "\x00".join(values)
    except TypeError:  # numbers or empty cells among the values
        return None


def _plain_text_column(kind, values, blank, n):
    """The text/name fast path for a column of strings with no control characters anywhere (for names, with no
    tab, line break or double space anywhere once full-width letters/digits are made half-width, which is done on
    the joined column at once): only strip, length and suffix are left per value, with the same result as the
    per-value path below. None when the column is not like that."""
    joined = _joined(values)
    if joined is None or joined.count("\x00") != len(values) - 1 or _control_but_nul(joined):
        return None
    if _fullwidth(joined):  # (no NUL inside a value, counted above: the split gives the values back)
        joined = _halfwidth_joined(joined)
        values = joined.split("\x00")
    if kind == "text":
        return [blank if v == "" else (t if (t := v.strip()) and len(t) <= n else SLOW) for v in values]
    if "  " in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return None
    if kind == "team_name":
        ends = TEAM_NAME_SUFFIXES
        return [blank if v == "" else (t if (t := v.strip()) and len(t) <= n and t.endswith(ends) else SLOW)
                for v in values]
    return [blank if v == "" else (t if (t := v.strip()) and len(t) <= n else SLOW) for v in values]


def _control_slow(values, cleaned):
    """`cleaned` with every text holding a control character made SLOW (the full cleaner refuses it with a
    message naming the field); one C-level scan of the joined texts when there is none (the usual case)."""
    try:
        joined = " ".join(values)
    except TypeError:  # numbers or empty cells among the values
        joined = " ".join([v for v in values if v.__class__ is str])
    if joined.isprintable() or not _control(joined):  # isprintable(): the faster scan, false for any control
        return cleaned
    for i, value in enumerate(values):
        if value.__class__ is str and _control(value):
            cleaned[i] = SLOW
    return cleaned


def _plain_email_column(values, n, blank):
    """Every value a valid ASCII address within `n` characters (the usual column): all lowered at once;
    else every value such an address with spaces around, or only spaces (`blank`), as clerks' files have
    them: one multi-line regex over the lowered column. None when any value is neither (non-ASCII, a line
    break inside, not an address)."""
    joined = _joined(values)
    if (joined is None or not joined.isascii() or "\n" in joined or joined.count("\x00") != len(values) - 1
            or max(map(len, values)) > n):
        return None
    lines = joined.replace("\x00", "\n")
    if " " not in joined and "" not in values and len(_EMAIL_LINE_RE.findall(lines)) == len(values):
        return lines.lower().split("\n")
    found = _EMAIL_OR_BLANK_LINE_RE.findall(lines.lower())
    if len(found) != len(values):
        return None
    return [address or blank for address in found]


def _numeric_mobile_column(values):
    """A column of phone numbers all stored as whole numbers in 13000000000..19999999999 (Excel's habit):
    converted with C-level maps. None when the column is anything else."""
    classes = set(map(type, values))
    if classes == {float}:
        if not all(map(float.is_integer, values)):
            return None
    elif classes != {int}:
        return None
    if min(values) < 13_000_000_000 or max(values) > 19_999_999_999:
        return None
    return list(map(str, map(int, values)))


def _fast_column(spec, values):
    blank = SLOW if spec.required else None
    kind = spec.type
    n = spec.max_len
    if kind in ("name", "team_name", "text") and len(values) > 64:
        cleaned = _plain_text_column(kind, values, blank, n)
        if cleaned is not None:
            return cleaned
    if kind == "email" and len(values) > 64:
        cleaned = _plain_email_column(values, n, blank)
        if cleaned is not None:
            return cleaned
    if kind in ("name", "team_name"):
        ends = TEAM_NAME_SUFFIXES if kind == "team_name" else ("",)
        return _control_slow(values, [blank if (v == "" or v is None) else (
            t if (v.__class__ is str and (t := (_halfwidth(v) if _fullwidth(v) else v).strip())
                  and len(t) <= n and "  " not in t and "\t" not in t and "\n" not in t and "\r" not in t
                  and t.endswith(ends))
            else SLOW)
            for v in values])
    if kind == "text":
        return _control_slow(values, [blank if (v == "" or v is None) else (
            t if (v.__class__ is str and (t := (_halfwidth(v) if _fullwidth(v) else v).strip())
                  and len(t) <= n) else SLOW)
            for v in values])
    if kind == "int":
        return [blank if (v == "" or v is None) else (
            int(v) if ((v.__class__ is float and v.is_integer()) or v.__class__ is int)
            and 1 <= v <= MAX_MEMBERS else (_digits(v) if v.__class__ is str else SLOW)) for v in values]
    if kind == "date":
        low, high, low_dt, high_dt = date_bounds(spec.past)
        return [blank if (v == "" or v is None) else (
            v.date() if (v.__class__ is datetime and low_dt <= v <= high_dt) else (
                v if (v.__class__ is date and low <= v <= high) else (
                    _text_date(v, low, high) if v.__class__ is str else SLOW))) for v in values]
    if kind == "mobile" and len(values) > 64:
        cleaned = _numeric_mobile_column(values)
        if cleaned is not None:
            return cleaned
    if kind == "mobile":
        return [blank if (v == "" or v is None) else (
            str(int(v)) if (v.__class__ in (float, int) and 13_000_000_000 <= v <= 19_999_999_999
                            and v == int(v)) else (
                v if (v.__class__ is str and len(v) == 11 and v.isascii() and v.isdigit() and v[0] == "1"
                      and v[1] in "3456789") else (_text_mobile(v) if v.__class__ is str else SLOW)))
            for v in values]
    if kind == "choice":
        exact = {c: c for c in spec.choices}
        return [blank if (v == "" or v is None) else (exact.get(v) or exact.get(v.strip(" "), SLOW)
                                                        if v.__class__ is str else SLOW)
                for v in values]
    if kind == "email":
        return [blank if (v == "" or v is None) else (
            t.lower() if (v.__class__ is str and v.isascii() and len(t := v.strip(" ")) <= n and _email_full(t))
            else SLOW) for v in values]
    return [blank if (v == "" or v is None) else SLOW for v in values]


def slow_value(spec, value):
    """The full cleaner for one cell (the form's cleaner): the value, or raises FieldProblem."""
    return clean_value(spec, value)
