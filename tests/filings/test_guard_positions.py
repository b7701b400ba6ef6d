"""The hostile-file guard's position scan: every cell/row reference out of bounds is refused, whatever its
quoting, spacing or place in the stream, and only unusual tags cost a look in Python."""
import io
import zipfile

import pytest

from app.core.zipguard import CHUNK
from app.filings.xlsx.guard import UnsafeFile, _SheetScanner, check_xlsx
from tests.filings.conftest import group_rows, xlsx_bytes

MAX_ROWS = 50_000  # range limit 51,100


def _with_sheet(transform):
    data = xlsx_bytes("group", group_rows(2))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = transform(body)
            target.writestr(info.filename, body)
    return out.getvalue()


def _extra_cell(tag):
    return _with_sheet(lambda sheet: sheet.replace(b"</sheetData>", tag + b"</sheetData>"))


@pytest.mark.parametrize("tag", [
    b'<row r="51101"><c r="A51101"><v>1</v></c></row>',
    b'<row r="4"><c r="A51101"><v>1</v></c></row>',
    b'<row r="4"><c r="A0000051101"><v>1</v></c></row>',
    b'<row r="4"><c r="A' + b"9" * 10_000 + b'"><v>1</v></c></row>',  # no int() of 10,000 digits
    b"<row r='4'><c r='A999999'><v>1</v></c></row>",
    b'<row r="4"><c  r="A999999"><v>1</v></c></row>',
    b'<row r="4"><c\tr="A999999"><v>1</v></c></row>',
    b'<row\nr="999999"><c r="A4"><v>1</v></c></row>',
    b'<row r="4"><c r="GS4"><v>1</v></c></row>',
    b'<row r="4"><c r="HA4"><v>1</v></c></row>',
    b'<row r="4"><c r="AAA4"><v>1</v></c></row>',
    b'<row r="4"><c r="XFD4"><v>1</v></c></row>',
    b'<row r="4"><c r="ZZ4"><v>1</v></c></row>',
])
def test_out_of_bounds_references_are_refused(tag):
    with pytest.raises(UnsafeFile, match="使用范围过大"):
        check_xlsx(_extra_cell(tag), MAX_ROWS)


@pytest.mark.parametrize("tag", [
    b'<row r="51100"><c r="A51100"><v>1</v></c></row>',  # the limit itself
    b'<row r="4"><c r="GR4"><v>1</v></c><c r="A000004"><v>1</v></c></row>',
    b'<row r="4"><c r="FZ4" s="1"><v>1</v></c></row>',
    b"<row r='5'><c r='B5' t='n'><v>1</v></c></row>",
])
def test_references_inside_the_bounds_pass(tag):
    assert check_xlsx(_extra_cell(tag), MAX_ROWS) is None


def test_a_reference_cut_by_the_chunk_boundary_is_still_seen():
    scanner = _SheetScanner(MAX_ROWS)
    unit = b'<row r="3"><c r="A3"><v>1</v></c></row>'
    padding = unit * (CHUNK // len(unit)) + b" " * (CHUNK % len(unit))
    stream = padding[:CHUNK - 9] + b'<c r="A9999999"><v>1</v></c>'
    assert stream[CHUNK - 9:CHUNK] == b'<c r="A99'
    first, second = stream[:CHUNK], stream[CHUNK:]
    scanner.feed(first, 0)  # the tag is cut: '<c r="A9' at the very end
    with pytest.raises(UnsafeFile, match="使用范围过大"):
        scanner.feed(first[-256:] + second, 256)


def test_implicit_positions_still_ask_for_the_exact_walk():
    for tag in (b"<c><v>1</v></c>", b'<c s="1" r="A4"><v>1</v></c>', b"<c/>"):
        scanner = _SheetScanner(MAX_ROWS)
        scanner.feed(b'<sheetData><row r="4">' + tag + b"</row></sheetData>" + b" " * 64, 0)
        assert scanner.needs_strict_scan, tag
    scanner = _SheetScanner(MAX_ROWS)
    scanner.feed(b'<sheetData><row r="4"><c r="A4"><v>1</v></c></row></sheetData>' + b" " * 64, 0)
    assert not scanner.needs_strict_scan
