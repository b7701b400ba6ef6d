"""Long, repetitive HTML fragments built in Python (escaped with markupsafe).

With 400 enterprises the Jinja loops for the enterprise filter and the per-enterprise summary took
a third of the pages' CPU time; the same markup joined here costs a tenth of that.
"""
import re
from urllib.parse import quote

from markupsafe import Markup, escape


def enterprise_options(names, selected):
    """<option> elements for the enterprise filter, `selected` marked."""
    parts = []
    for name, text in zip(names, _escape_all(names)):
        parts.append(f'<option value="{text}" selected>{text}</option>' if name == selected
                     else f'<option value="{text}">{text}</option>')
    return Markup("".join(parts))


_URL_SPECIAL = re.compile(r"[\s&#%+=?/\\\"'<>]")


def query_value(text):
    """A query-string value: as is when it has nothing URL-special (browsers encode UTF-8 themselves),
    else percent-encoded (urllib's quote is slow on CJK text and rarely needed)."""
    return quote(text, safe="") if _URL_SPECIAL.search(text) else text


def _escape_all(texts):
    """escape() of many strings in one C call: joined by a line break, escaped, split again (a text that
    itself holds a line break makes the count differ, and then each is escaped on its own)."""
    parts = str(escape("\n".join(texts))).split("\n")
    return parts if len(parts) == len(texts) else [str(escape(t)) for t in texts]


def summary_rows(rows, list_url):
    """<tr> rows of the per-enterprise summary: 序号, 企业名称 (a link to the filtered list), count, members."""
    base = escape(list_url)
    names = [row[0] for row in rows]
    texts = _escape_all(names)
    parts = []
    for index, (row, name, text) in enumerate(zip(rows, names, texts), start=1):
        value = query_value(name)
        href = text if value is name else escape(value)
        parts.append(f'<tr><td>{index}</td><td><a href="{base}?enterprise={href}">{text}</a></td>'
                     f'<td class="num">{int(row[1])}</td><td class="num">{int(row[2])}</td></tr>')
    return Markup("".join(parts))


def print_rows(rows):
    """<tr> rows of the printed 汇总表's record list: every row of the year (tuples of plain values)."""
    parts = []
    for index, row in enumerate(rows, start=1):
        cells = "".join(f"<td>{escape('' if value is None else value)}</td>" for value in row)
        parts.append(f'<tr><td class="num">{index}</td>{cells}</tr>')
    return Markup("".join(parts))
