"""Checks an uploaded .xlsx before any parser sees it: size, zip structure, bombs, XML entities, used range.

python-calamine is native code: a hostile file must never reach it. Everything here is pure Python
with bounded memory: the upload is read with a cap, every zip entry is decompressed in chunks with
a running byte count (declared sizes are not trusted), XML parts are scanned for DOCTYPE/ENTITY
declarations, and worksheet parts are scanned for their used range (<dimension>) and row count.
"""
import io
import re

from app.core.zipguard import CHUNK, OLE_MAGIC, ZIP_MAGIC, UnsafeFile, ZipLimits, inflate_entry, open_archive

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_COLUMNS = 200  # GR: the column letters _SheetScanner takes as surely inside are A..GR
XLSX_LIMITS = ZipLimits(max_entries=200, max_total=200 * 1024 * 1024, max_entry=150 * 1024 * 1024,
                        verb="导入", resave="请在Excel/WPS中重新保存为.xlsx后再导入")

DECLARATION_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
OVERLAP = 256
IMPLICIT_POSITION_RE = re.compile(rb"<(?:c|row)(?=[\s>/])(?!\s+r=[\"'])")
REFERENCE_RE = re.compile(rb"\s+r=[\"']([A-Z]*)(\d*)")
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def column_index(letters):
    """A -> 1, Z -> 26, AA -> 27."""
    value = 0
    for ch in letters:
        value = value * 26 + (ord(ch) - 64)
    return value


def read_capped(stream, limit=MAX_FILE_BYTES):
    """Read an upload, refusing it as soon as it passes `limit` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFile(f"文件超过{limit // (1024 * 1024)}MB，请拆分后分批导入。")
    if not data:
        raise UnsafeFile("文件是空的，请选择填写好的导入模板。")
    return data


def check_xlsx(data, max_rows):
    """Refuse anything but a sane .xlsx; returns None when `data` may be handed to the parser."""
    if data.startswith(OLE_MAGIC):
        raise UnsafeFile("这是旧版Excel（.xls）或加密的文件，请在Excel/WPS中另存为.xlsx格式后再导入。")
    if not data.startswith(ZIP_MAGIC):
        raise UnsafeFile("文件不是Excel表格（.xlsx），请下载导入模板填写后再导入。")
    archive = open_archive(io.BytesIO(data), XLSX_LIMITS, "文件已损坏或不是Excel表格（.xlsx），无法读取。")
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
        raise UnsafeFile("文件不是Excel工作簿（.xlsx），请下载导入模板填写后再导入。")
    total = 0
    for info in infos:
        total = _scan_entry(archive, info, total, max_rows)


def _scan_entry(archive, info, total, max_rows):
    """Decompress one entry in chunks (never trusting declared sizes) and scan XML parts."""
    name = info.filename
    if not name.endswith((".xml", ".rels", ".vml")):
        return inflate_entry(archive, info, XLSX_LIMITS, total)
    is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    scanner = _SheetScanner(max_rows) if is_sheet else None
    state = {"tail": b"", "first": True}

    def scan(chunk):
        if state["first"]:
            _check_encoding(chunk)
            state["first"] = False
        window = state["tail"] + chunk
        if b"!" in window and DECLARATION_RE.search(window):
            raise UnsafeFile("文件包含不允许的XML实体声明（DOCTYPE/ENTITY），已拒绝导入。")
        if scanner is not None:
            scanner.feed(window, len(state["tail"]))
        state["tail"] = window[-OVERLAP:]

    total = inflate_entry(archive, info, XLSX_LIMITS, total, scan)
    if scanner is not None and (scanner.needs_strict_scan or IMPLICIT_POSITION_RE.search(state["tail"])):
        try:
            _strict_scan(archive, info, scanner)
        except UnsafeFile:
            raise
        except Exception as exc:  # zlib.error and friends: a broken stream is a broken file
            raise XLSX_LIMITS.damaged() from exc
    return total


def _check_encoding(chunk):
    """Only UTF-8 XML: UTF-16/32 would hide declarations from the byte scan."""
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:200]:
        raise UnsafeFile("文件包含不支持的编码（非UTF-8的XML），请在Excel/WPS中重新保存为.xlsx。")


class _SheetScanner:
    """Streams a worksheet's XML: refuses enormous used ranges and too many rows.

    Cheap on ordinary sheets: rows are counted with bytes.count, and only cell/row tags that are not in the
    usual form with a reference surely inside the bounds are looked at in Python.
    """

    def __init__(self, max_rows):
        self.max_rows = max_rows
        # plus the header and a few title/explanation rows (the template's second sheet); the exact
        # cap on data rows is applied again after parsing
        self.row_limit = max_rows + 100
        self.range_limit = self.row_limit + 1000
        limit = str(self.range_limit)
        self.limit_digits = len(limit)
        # a row number surely below the limit: fewer digits, or as many with a smaller leading digit
        below = rb"[1-9]\d{0,%d}" % (len(limit) - 2)
        if limit[0] != "1":
            below += rb"|[1-%s]\d{%d}" % (str(int(limit[0]) - 1).encode(), len(limit) - 1)
        # Every cell/row tag that is not exactly <c r="…"> with a column up to GR and a row number surely
        # below the limit (or <row r="…">): its position is implicit, quoted or spaced unusually, or out of
        # bounds, and feed() looks at it closely. The literal prefixes let `re` skip to each tag, and the
        # usual tag is dismissed by the first characters of the lookahead.
        self.position_res = (
            re.compile(rb'<c(?=[\s>/])(?! r="(?:[A-F]?[A-Z]|G[A-R])(?:' + below + rb')")'),
            re.compile(rb'<row(?=[\s>/])(?! r="(?:' + below + rb')")'),
        )
        self.rows = 0
        self.dimension_checked = False
        self.row_tag = b"<row"
        self.needs_strict_scan = False

    def feed(self, window, skip):
        """Scan a window (the previous tail + a new chunk); what lies inside the tail was seen before."""
        if not self.dimension_checked:
            match = DIMENSION_RE.search(window)
            if b":worksheet" in window[:4096]:
                self.row_tag = b":row"  # a namespace-prefixed sheet (<x:row ...>)
                self.needs_strict_scan = True
            if match:
                self.dimension_checked = True
                self._check_dimension(match)
            elif b"<sheetData" in window or len(window) > 64 * 1024:
                self.dimension_checked = True
        tail = window[:skip]
        self.rows += window.count(self.row_tag) - tail.count(self.row_tag)
        if self.rows > self.row_limit:
            raise UnsafeFile(f"文件行数超过上限（最多{self.max_rows}行数据），请拆分后分批导入。")
        if self.needs_strict_scan:
            return  # _strict_scan checks every position after this pass
        cut = len(window) - 32  # a tag cut in two at the end is searched again with the next window
        for position_re in self.position_res:
            for match in position_re.finditer(window):
                ref = REFERENCE_RE.match(window, match.end())
                if ref is None:  # no r="…" first: positions are implied and must be counted exactly
                    if match.start() < cut:
                        self.needs_strict_scan = True
                        return
                    continue
                letters, number = ref.group(1).decode(), ref.group(2).lstrip(b"0")
                if len(letters) > 3 or (letters and column_index(letters) > MAX_COLUMNS):
                    raise UnsafeFile("工作表使用范围过大（列数过多），请删除多余的列后再导入。")
                if len(number) > self.limit_digits or (number and int(number) > self.range_limit):
                    shown = number[:12].decode() + ("…" if len(number) > 12 else "")
                    raise UnsafeFile(f"工作表使用范围过大（到第{shown}行），请删除多余的空行后再导入。")

    def _check_dimension(self, match):
        end_col, end_row = match.group(3), match.group(4)
        if end_row is None:
            end_col, end_row = match.group(1), match.group(2)
        if end_row and int(end_row) > self.range_limit:
            raise UnsafeFile(f"工作表使用范围过大（到第{int(end_row)}行），请删除多余的空行后再导入。")
        if end_col and column_index(end_col.decode()) > MAX_COLUMNS:
            raise UnsafeFile("工作表使用范围过大（列数过多），请删除多余的列后再导入。")


def _strict_scan(archive, info, scanner):
    """Walk an unusual sheet with expat (no DTDs: refused above) and bound every implied position."""
    from xml.parsers import expat

    state = {"row": 0, "col": 0, "rows": 0}
    row_name, cell_name = f"{MAIN_NS} row", f"{MAIN_NS} c"

    def start(name, attrs):
        if name == row_name:
            ref = attrs.get("r")
            state["row"] = int(ref) if ref and ref.isdigit() else state["row"] + 1
            state["col"] = 0
            state["rows"] += 1
            if state["rows"] > scanner.row_limit:
                raise UnsafeFile(f"文件行数超过上限（最多{scanner.max_rows}行数据），请拆分后分批导入。")
            if state["row"] > scanner.range_limit:
                raise UnsafeFile(f"工作表使用范围过大（到第{state['row']}行），请删除多余的空行后再导入。")
        elif name == cell_name:
            ref = attrs.get("r") or ""
            letters = ref.rstrip("0123456789")
            state["col"] = column_index(letters) if letters.isalpha() and len(letters) <= 3 else (
                state["col"] + 1 if not letters else MAX_COLUMNS + 1)
            if state["col"] > MAX_COLUMNS:
                raise UnsafeFile("工作表使用范围过大（列数过多），请删除多余的列后再导入。")
            number = ref[len(letters):]
            if number and int(number) > scanner.range_limit:
                raise UnsafeFile(f"工作表使用范围过大（到第{int(number)}行），请删除多余的空行后再导入。")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnsafeFile("工作表内容不是有效的XML，请在Excel/WPS中重新保存为.xlsx后再导入。") from exc
