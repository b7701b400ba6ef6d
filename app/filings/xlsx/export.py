"""小组/班组备案汇总表 export: openpyxl write-only (streams rows, flat memory), never a live formula.

openpyxl is already a dependency and its write-only mode writes rows as they come; the benchmark
compares this module against the bare writer writing the same cells (the ratio is what we control).
Any text beginning with = + - @ tab CR or LF is written as a text cell with Excel's quotePrefix
style, so it shows the characters and is never evaluated. Control characters (refused at input, but a row
stored before that, or written straight into the database, may hold them) are removed first: openpyxl
refuses them (IllegalCharacterError, a 500) and a quote-prefixed cell would carry them into invalid XML.
"""
import io
from copy import copy

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from app.core.extensions import db
from app.core.validators import CONTROL_RE
from app.filings.fields import KIND_LABELS, MODELS, check_kind, fields_for
from app.filings.services import enterprise_summary

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_control = CONTROL_RE.search
_strip_control = CONTROL_RE.sub
FETCH_BATCH = 2000


def export_filename(kind, unit, year):
    """2027年小组备案汇总表-<单位名称>.xlsx."""
    safe = "".join(ch for ch in _strip_control("", unit.name) if ch not in '\\/:*?"<>|\r\n\t')
    return f"{year}年{KIND_LABELS[kind]}备案汇总表-{safe}.xlsx"


class SafeRowWriter:
    """Turns values into cells for a write-only sheet; risky text becomes a quote-prefixed text cell."""

    def __init__(self, sheet):
        self.sheet = sheet
        self._quoted = None

    def text_cell(self, value):
        """A string cell that Excel shows as text even after editing."""
        cell = WriteOnlyCell(self.sheet, value=None)
        cell._value = value
        cell.data_type = "s"
        if self._quoted is None:
            cell.quotePrefix = True
            self._quoted = cell._style
        else:
            cell._style = copy(self._quoted)
        return cell

    def row(self, values):
        """Append one row; only risky strings pay for a cell object."""
        out = list(values)
        for i, value in enumerate(out):
            if value.__class__ is str and value:
                if _control(value):
                    value = out[i] = _strip_control("", value)
                if value and value[0] in DANGEROUS_START:
                    out[i] = self.text_cell(value)
        self.sheet.append(out)


def _header(sheet, labels):
    cells = []
    for text in labels:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def detail_columns(kind):
    """(label, column) pairs of the record list: 注册编号 then every field, then 来源/填报时间."""
    model = MODELS[kind]
    pairs = [("注册编号", model.reg_no)]
    pairs += [(spec.label, getattr(model, spec.name)) for spec in fields_for(kind)]
    return pairs


def export_summary(kind, unit, year):
    """The summary workbook as bytes: sheet 1 per enterprise with totals, sheet 2 every record."""
    check_kind(kind)
    label = KIND_LABELS[kind]
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(f"{label}汇总")
    writer = SafeRowWriter(summary)
    writer.row([f"{year}年{label}备案汇总表（{unit.name}）"])
    _header(summary, ["序号", "企业名称", f"{label}数量", f"{label}人数"])
    rows = enterprise_summary(kind, unit, year)
    for index, row in enumerate(rows, start=1):
        writer.row((index, row.enterprise_name, row.records, row.members))
    summary.append(["合计", None, sum(r.records for r in rows), sum(r.members for r in rows)])

    details = workbook.create_sheet(f"{label}备案明细")
    writer = SafeRowWriter(details)
    columns = detail_columns(kind)
    _header(details, ["序号"] + [text for text, _ in columns])
    model = MODELS[kind]
    query = (select(*[column for _, column in columns])
             .where(model.unit_id == unit.id, model.year == year).order_by(model.id))
    result = db.session.execute(query.execution_options(yield_per=FETCH_BATCH))
    index = 0
    for partition in result.partitions():
        for values in partition:
            index += 1
            writer.row((index, *values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
