"""Batch import of group/team filings from an .xlsx: check every row first, then write all in one go.

``import_filings(kind, stream, *, unit, year, invitation=None, enterprise_name=None, source=...)``
returns an ImportResult: ``.created`` (rows written) and ``.errors`` (ImportProblem: row, column,
message; ``str()`` gives 第 12 行 「手机」: …; file-level problems have row None). Nothing is written
unless every row is right; then one bulk INSERT with 注册编号 reserved in one step. Flushes only —
the view commits.

Rules: columns are found by their header text (extra columns ignored, a leading ``*`` and “（必填）”
tolerated); blank rows are skipped; numbers typed as numbers, date cells and date text, full-width
characters and stray spaces are accepted. An empty 企业名称 becomes the default (``enterprise_name``
if given, else the unit's name). With ``enterprise_name`` (invitation links) every row belongs to
that enterprise: a cell naming a *different* enterprise is reported as an error (not silently
overwritten), so a wrong file is never filed under the invited enterprise's name.
Duplicates inside the file and against records already filed are errors of the name column.
Hostile files are refused by ``app.filings.xlsx.guard`` before the parser sees them.
"""
import gc
import io
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter, sub

from flask import current_app
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.core import audit
from app.core.clock import utcnow
from app.core.extensions import db
from app.filings.fields import (
    KIND_LABELS,
    MODELS,
    NAME_FIELDS,
    FieldProblem,
    check_kind,
    duplicate_message,
    fields_for,
)
from app.filings.models import SOURCE_FORM, SOURCE_IMPORT, SOURCE_LINK_FORM, SOURCE_LINK_IMPORT
from app.filings.regno import reserve
from app.filings.services import FilingClosed, assert_filing_open, link_actor_name
from app.filings.xlsx.columns import SLOW, fast_column, slow_value
from app.filings.xlsx.guard import UnsafeFile, check_xlsx, read_capped

MAX_LISTED_ERRORS = 500
SOURCES = (SOURCE_FORM, SOURCE_IMPORT, SOURCE_LINK_FORM, SOURCE_LINK_IMPORT)
HEADER_SEARCH_ROWS = 10
HEADER_NOISE_RE = re.compile(r"[\s*＊:：]|[（(]必填[)）]|[（(]选填[)）]")


@dataclass
class ImportProblem:
    """One problem: spreadsheet row (1-based) and column label, or None for the whole file."""

    row: int | None
    column: str | None
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        if self.column is None:
            return f"第 {self.row} 行: {self.message}"
        return f"第 {self.row} 行 「{self.column}」: {self.message}"


@dataclass
class ImportResult:
    """What an import did: created rows, or the problems that stopped it."""

    created: int = 0
    errors: list = field(default_factory=list)
    total_errors: int = 0
    rows_checked: int = 0

    @property
    def ok(self):
        """True when the rows were written."""
        return not self.errors

    @property
    def hidden_errors(self):
        """Problems found but not listed (beyond MAX_LISTED_ERRORS)."""
        return max(self.total_errors - len(self.errors), 0)

    def add(self, row, column, message):
        """Record a problem (only the first MAX_LISTED_ERRORS are kept)."""
        self.total_errors += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(ImportProblem(row, column, message))


def _header_key(value):
    if not isinstance(value, str):
        return ""
    return HEADER_NOISE_RE.sub("", unicodedata.normalize("NFKC", value))


def find_columns(kind, rows):
    """(header row index, {field name: column index}) by header text, or (None, {})."""
    labels = {_header_key(spec.label): spec.name for spec in fields_for(kind)}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for col, value in enumerate(row):
            name = labels.get(_header_key(value))
            if name and name not in columns:
                columns[name] = col
        if len(columns) >= 2:
            return index, columns
    return None, {}


def read_rows(data):
    """All rows of the first sheet as Python values, positions kept (row 0 is spreadsheet row 1)."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - the parser's errors, and pyo3's PanicException
        raise UnsafeFile("文件内容无法读取，请在Excel/WPS中重新保存为.xlsx后再导入。") from exc


@contextmanager
def _gc_paused():
    """Pause the cyclic GC while hundreds of thousands of acyclic cell objects are made (they are freed
    by reference counting anyway); otherwise repeated full collections cost more than the parsing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_filings(kind, stream, *, unit, year, invitation=None, enterprise_name=None, source=SOURCE_IMPORT):
    """Validate a whole file and, when every row is right, insert all its rows; returns ImportResult."""
    check_kind(kind)
    with _gc_paused():
        return _import(kind, stream, unit=unit, year=year, invitation=invitation,
                       enterprise_name=enterprise_name, source=source)


def _import(kind, stream, *, unit, year, invitation, enterprise_name, source):
    result = ImportResult()
    try:
        assert_filing_open(year=year)
        data = read_capped(stream, current_app.config.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024))
        max_rows = current_app.config.get("MAX_IMPORT_ROWS", 50_000)
        check_xlsx(data, max_rows)
        rows = read_rows(data)
        del data
    except (FilingClosed, UnsafeFile) as exc:
        result.add(None, None, getattr(exc, "message", None) or str(exc))
        return result
    columns = _validate_rows(kind, rows, result, unit=unit, year=year, max_rows=max_rows,
                             fixed_enterprise=enterprise_name,
                             default_enterprise=enterprise_name or unit.name)
    del rows
    if result.errors:
        return result
    created = _insert(kind, columns, unit=unit, year=year, invitation=invitation, source=source)
    result.created = created
    audit.record(f"{kind}_filing.import", f"批量导入{year}年{KIND_LABELS[kind]}备案 {created} 条",
                 target=invitation, detail={"count": created, "year": year, "source": source,
                                            "unit_id": unit.id},
                 actor_name=link_actor_name(invitation))
    return result


def _validate_rows(kind, rows, result, *, unit, year, max_rows, fixed_enterprise, default_enterprise):
    """Clean every cell column by column; returns the cleaned columns (lists in fields_for order, one
    value per row), or [] when nothing may be written."""
    specs = fields_for(kind)
    header_index, columns = find_columns(kind, rows)
    if header_index is None:
        result.add(1, None, "找不到表头，请使用“下载导入模板”得到的表格（第一行为列名）。")
        return []
    missing = [s.label for s in specs if s.required and s.name not in columns and s.name != "enterprise_name"]
    if missing:
        result.add(header_index + 1, None, "缺少必填列：" + "、".join(f"「{m}」" for m in missing) + "。")
        return []
    body = rows[header_index + 1:]
    lines, kept = range(header_index + 2, header_index + 2 + len(body)), body
    if not _names_all_filled(body, columns[NAME_FIELDS[kind]]):
        # per row, the cells that are neither "" nor None (C-level maps: no bytecode per row)
        filled = list(map(sub, map(sub, map(len, body), map(list.count, body, repeat(""))),
                          map(list.count, body, repeat(None))))
        if body and min(filled) <= 3:  # some row may be blank: keep only the others
            lines, kept = [], []
            for line, row, rest in zip(range(header_index + 2, header_index + 2 + len(body)), body, filled):
                if rest == 0:
                    continue
                if rest <= 3 and all(v.__class__ is str and (v == "" or v.isspace()) for v in row
                                     if v is not None):
                    continue  # only stray spaces: a blank row
                lines.append(line)
                kept.append(row)
        del filled
    result.rows_checked = len(kept)
    if len(kept) > max_rows:
        result.add(None, None, f"文件行数超过上限（最多{max_rows}行数据），请拆分后分批导入。")
        return []
    if not kept:
        result.add(None, None, "文件中没有数据行，请在表头下方逐行填写后再导入。")
        return []
    problems, bad_rows = [], set()
    transposed = list(zip(*kept))  # one C-level pass: a tuple per spreadsheet column
    raw_columns = [transposed[columns[spec.name]] if spec.name in columns else (None,) * len(kept)
                   for spec in specs]
    del transposed
    kept.clear()
    rows.clear()  # the parsed sheet is no longer needed: free it before cleaning (peak memory)
    cleaned_columns = []
    for order, spec in enumerate(specs):
        values = raw_columns[order]
        raw_columns[order] = None
        if spec.name == "enterprise_name":
            values = [default_enterprise if (v == "" or v is None or (v.__class__ is str and v.isspace()))
                      else v for v in values]
        cleaned = fast_column(spec, values)
        for i in _slow_positions(cleaned):
            try:
                cleaned[i] = slow_value(spec, values[i])
            except FieldProblem as problem:
                bad_rows.add(i)
                problems.append((lines[i], order, spec.label, str(problem)))
        cleaned_columns.append(cleaned)
        del values
    names = [spec.name for spec in specs]
    enterprises = cleaned_columns[names.index("enterprise_name")]
    name_index = names.index(NAME_FIELDS[kind])
    group_names = cleaned_columns[name_index]
    name_label = specs[name_index].label
    if fixed_enterprise:
        fixed_key = _compare_key(fixed_enterprise)
        for i, value in enumerate(enterprises):
            if i not in bad_rows and value != fixed_enterprise:
                if _compare_key(value) != fixed_key:
                    bad_rows.add(i)
                    problems.append((lines[i], 0, "企业名称", f"企业名称应为“{fixed_enterprise}”（邀请链接限定的企业），"
                                                           f"不能导入其他企业的记录。"))
                else:
                    enterprises[i] = fixed_enterprise
    existing = _existing_keys(kind, unit.id, year)
    # the usual case, decided at C speed: names unique in the file (so are the (enterprise, name) pairs),
    # none filed before; the pairs are only built when something is filed already
    if (not bad_rows and len(set(group_names)) == len(group_names)
            and (not existing or existing.isdisjoint(zip(enterprises, group_names)))):
        return cleaned_columns
    keys = list(zip(enterprises, group_names))
    seen = {}
    for i, key in enumerate(keys):
        if i in bad_rows:
            continue
        first = seen.setdefault(key, i)
        if first != i:
            bad_rows.add(i)
            problems.append((lines[i], name_index, name_label,
                             f"与第 {lines[first]} 行重复（同一企业的{KIND_LABELS[kind]}名称不能重复）。"))
        elif key in existing:
            bad_rows.add(i)
            problems.append((lines[i], name_index, name_label, duplicate_message(kind, *key)))
    if problems:
        problems.sort()
        for line, _order, label, message in problems:
            result.add(line, label, message)
        return []
    return cleaned_columns


def _names_all_filled(body, index):
    """True when every row's name cell (a required column) holds something other than "", None or spaces:
    then no row can be blank, and counting each row's filled cells is not needed (the usual file)."""
    try:
        names = list(map(itemgetter(index), body))
    except IndexError:
        return False
    if None in names or "" in names:
        return False
    try:
        return not any(map(str.isspace, names))
    except TypeError:  # numbers among the names (never blank)
        return not any(v.__class__ is str and v.isspace() for v in names)


def _slow_positions(cleaned):
    """The positions of the SLOW cells, found by list.index (a C-level scan) instead of a loop over every cell."""
    positions, start = [], 0
    try:
        while True:
            start = cleaned.index(SLOW, start)
            positions.append(start)
            start += 1
    except ValueError:
        return positions


def _compare_key(name):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def _existing_keys(kind, unit_id, year):
    model = MODELS[kind]
    name_col = getattr(model, NAME_FIELDS[kind])
    rows = db.session.execute(
        select(model.enterprise_name, name_col).where(model.unit_id == unit_id, model.year == year))
    return {tuple(r) for r in rows}


def _iso_dates(column):
    """date → "2024-03-01" (None kept) for a whole column, converting each distinct date once."""
    table = {day: day.isoformat() for day in set(column) if day is not None}
    return list(map(table.get, column))


def _insert(kind, columns, *, unit, year, invitation, source):
    """One executemany INSERT of all rows (the driver's own, like the bare floor) with numbers reserved;
    `columns` are the cleaned columns in fields_for order. Returns the number of rows written.

    Values that are the same for every row (unit, year, source, invitation, timestamps) are written
    into the statement as literals; they are integers and our own constants, never user text.
    """
    count = len(columns[0]) if columns else 0
    if not count:
        return 0
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    model = MODELS[kind]
    numbers = reserve(kind, year, count)
    names = [spec.name for spec in fields_for(kind)]
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    # columns empty in every row are left to their NULL default: less to bind per row
    keep = [i for i, column in enumerate(columns) if column[0] is not None or column.count(None) != count]
    names = [names[i] for i in keep]
    columns = [columns[i] for i in keep]
    if connection.dialect.name == "sqlite":
        # sqlite3 stores a date through its registered adapter (one Python call per value) as
        # date.isoformat(), which is also SQLAlchemy's SQLite DATE format: convert the columns in bulk
        specs = {spec.name: spec for spec in fields_for(kind)}
        columns = [_iso_dates(column) if specs[name].type == "date" else column
                   for name, column in zip(names, columns)]
    rows = list(zip(*columns, numbers))  # the parameter tuples, built in one C pass
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    constants = {"unit_id": str(int(unit.id)), "year": str(int(year)), "source": f"'{source}'",
                 "invitation_id": str(int(invitation.id)) if invitation is not None else "NULL",
                 "created_at": f"'{now}'", "updated_at": f"'{now}'"}
    sql = (f"INSERT INTO {model.__tablename__} ({', '.join(names + ['reg_no'] + list(constants))}) "
           f"VALUES ({', '.join([marker] * (len(names) + 1) + list(constants.values()))})")
    connection.exec_driver_sql(sql, rows)
    return count
