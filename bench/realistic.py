"""The realistic import file: the downloaded 导入模板 filled the way clerks fill it.

`realistic_group_file(n)` starts from `build_template("group")` — the very bytes `GET /groups/template`
sends: styled header, column-wide text and date formats, the 课题类型 and 小组人数 validations, the
填写说明 sheet — opens it with openpyxl (normal mode, so every style and validation is kept and saved
again) and fills n rows under the header. Each cell gets the number format of its column, as Excel gives a
cell typed into a formatted column. The values are a deterministic mix (seeded) of what comes back from units:

- 企业名称: 40 enterprises, one in six with surrounding spaces, one in ten left empty (the unit's name is used);
- 小组名称/课题名称: full-width letters and digits (ＱＣ, １２) in one in five, surrounding spaces in one in six;
- 课题类型: picked from the dropdown, one in twenty with a trailing space;
- 成立时间: date cells (40 %), 2024年3月1日 (25 %), 2024/3/1 (15 %), 2024-03-01 as text (10 %), the same
  with surrounding spaces (10 %);
- 课题注册时间 (optional): empty (30 %), date cells, 2024年4月1日, 2024-04-01 text;
- 小组人数: numbers (stored as floats by Excel), numbers stored as text, full-width digits (７), " 7 ";
- 手机: numbers (Excel's 1.3912345678E10), text, full-width digits, text with surrounding spaces;
- 活动指导者 / 电子邮箱 / 备注 (optional): mostly or partly empty; e-mails partly upper case, some padded.

Every row is valid, so the whole file must be imported; the bench checks the count.

openpyxl writes every string inline and as character references (&#20225;…), which Excel and WPS never do;
`as_saved_by_excel` then stores the file the way they save it: strings in the shared-string table
(xl/sharedStrings.xml, cells `t="s"`), text as UTF-8. The sheet shrinks from ~9.7 MB to ~3 MB, as a
clerk's re-saved file would be.
"""
import html
import io
import random
import re
import zipfile
from datetime import datetime

from openpyxl import load_workbook

from app.filings.fields import fields_for
from app.filings.models import TOPIC_TYPES
from app.filings.xlsx.template import build_template

INLINE_CELL_RE = re.compile(r'<c ([^>]*?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
                            re.DOTALL)
CHAR_REF_RE = re.compile(r"&#(\d+);")
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
FULLWIDTH = str.maketrans("0123456789QCABC", "０１２３４５６７８９ＱＣＡＢＣ")


def _date_variant(rng, day, text_share=0.6):
    """One date as a clerk enters it: a date cell or one of the accepted texts."""
    pick = rng.random()
    if pick >= text_share:
        return datetime(day.year, day.month, day.day)
    pick /= text_share
    if pick < 0.42:
        return f"{day.year}年{day.month}月{day.day}日"
    if pick < 0.67:
        return f"{day.year}/{day.month}/{day.day}"
    if pick < 0.84:
        return day.isoformat()
    return f" {day.isoformat()} "


def _padded(rng, text, share):
    return f" {text} " if rng.random() < share else text


def _row(rng, i, enterprises):
    """The 13 cells of row i (None = left empty)."""
    founded = datetime(2015 + i % 10, i % 12 + 1, i % 28 + 1).date()
    registered = datetime(2024, i % 12 + 1, i % 27 + 1).date()
    enterprise = None if rng.random() < 0.1 else _padded(rng, f"中国石化第{i % enterprises + 1}分公司", 1 / 6)
    group = f"第{i}号攻关QC小组"
    topic = f"降低{i}号装置能耗的研究"
    if rng.random() < 0.2:
        group, topic = group.translate(FULLWIDTH), topic.translate(FULLWIDTH)
    members = rng.randint(3, 12)
    pick = rng.random()
    members = (float(members) if pick < 0.5 else str(members) if pick < 0.75
               else str(members).translate(FULLWIDTH) if pick < 0.9 else f" {members} ")
    mobile = 13900000000 + i
    pick = rng.random()
    mobile = (float(mobile) if pick < 0.4 else str(mobile) if pick < 0.8
              else str(mobile).translate(FULLWIDTH) if pick < 0.9 else f" {mobile} ")
    email = None
    if rng.random() < 0.6:
        email = _padded(rng, f"QC{i}@Example.com" if rng.random() < 0.3 else f"qc{i}@example.com", 0.1)
    return [
        enterprise, _padded(rng, group, 1 / 6), _padded(rng, topic, 1 / 6),
        TOPIC_TYPES[i % 3] + (" " if rng.random() < 0.05 else ""),
        _date_variant(rng, founded),
        None if rng.random() < 0.3 else _date_variant(rng, registered, 0.5),
        _padded(rng, "王五", 0.1), members,
        None if rng.random() < 0.5 else "李工",
        _padded(rng, "李四", 0.1), mobile, email,
        "已完成课题注册" if rng.random() < 0.2 else None,
    ]


def realistic_group_file(n, seed=11, enterprises=40):
    """An n-row group file built from the real downloaded template (see the module docstring)."""
    rng = random.Random(seed)
    workbook = load_workbook(io.BytesIO(build_template("group")))
    sheet = workbook.worksheets[0]
    labels = [cell.value for cell in sheet[1]]
    assert labels == [spec.label for spec in fields_for("group")], labels
    formats = [sheet.column_dimensions[cell.column_letter].number_format for cell in sheet[1]]
    for i in range(1, n + 1):
        for col, value in enumerate(_row(rng, i, enterprises), start=1):
            if value is None:
                continue
            cell = sheet.cell(row=i + 1, column=col, value=value)
            cell.number_format = "yyyy-mm-dd" if isinstance(value, datetime) else formats[col - 1]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return as_saved_by_excel(buffer.getvalue())


def _utf8_refs(xml):
    """&#20225; → 企 (markup characters stay escaped)."""
    return CHAR_REF_RE.sub(lambda m: m.group(0) if chr(int(m.group(1))) in "<>&\"'" else chr(int(m.group(1))),
                           xml)


def as_saved_by_excel(data):
    """The same workbook with its inline strings moved to a shared-string table, as Excel/WPS save it."""
    strings, index = [], {}

    def shared(match):
        text = html.unescape(match.group(2))
        position = index.setdefault(text, len(strings))
        if position == len(strings):
            strings.append(text)
        return f'<c {match.group(1)} t="s"><v>{position}</v></c>'

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = _utf8_refs(INLINE_CELL_RE.sub(shared, body.decode())).encode()
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                 f'ContentType="{SHARED_STRINGS_TYPE}"/></Types>'.encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", f'<Relationship Type="{SHARED_STRINGS_REL}" '
                                    f'Target="sharedStrings.xml" Id="rIdSst"/></Relationships>'.encode())
            target.writestr(info.filename, body)
        items = "".join(f'<si><t xml:space="preserve">{html.escape(text, quote=False)}</t></si>'
                        for text in strings)
        target.writestr("xl/sharedStrings.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>').encode())
    return out.getvalue()


if __name__ == "__main__":
    import sys

    sys.stdout.buffer.write(realistic_group_file(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
