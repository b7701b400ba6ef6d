"""专家打分情况 xlsx (spec B13, bootdo `buildExpertScoreSheet`): one expert's sheets in a round — 组内序号 · 申报编号 ·
成果名称 · 小组名称 · 课题类型 · one column per rubric item with its 配分 · 总分 — and at the foot the expert's
signature image (when stored) and 时间, the submission time in China time.

A QC-group R1 round scores 问题解决型 and 创新型 with different rubrics: each rubric gets its own worksheet.
The workbook is small (one expert), so it is an ordinary openpyxl workbook, which can hold the image; every
text cell goes through `_put`, which never writes a live formula (the rule of filings/xlsx/export.py).
"""
import io
import logging
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from PIL import Image as PILImage

from app.core import uploads
from app.core.template_helpers import china_time
from app.core.validators import CONTROL_RE
from app.filings.xlsx.export import DANGEROUS_START
from app.review.progress import expert_sheets, round_name
from app.review.rounds import points_text
from app.review.scoring import STATE_AVOIDED

log = logging.getLogger(__name__)
SIGNATURE_HEIGHT = 60  # pixels in the sheet
SIGNATURE_SOURCE_LIMIT = 1200  # a larger scan is shrunk before it goes into the file


def _put(sheet, row, column, value, bold=False):
    """Write a cell; text starting with = + - @ or a line break is a quote-prefixed text cell, never a
    formula."""
    cell = sheet.cell(row=row, column=column)
    if value.__class__ is str:
        value = CONTROL_RE.sub("", value)
        cell.value = value
        if value and value[0] in DANGEROUS_START:
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value
    if bold:
        cell.font = Font(bold=True)
    return cell


def _number(hundredths):
    return Decimal(hundredths) / 100


def filename(review_round, expert):
    """2026年度小组成果资料评审（初评）专家打分情况-张三.xlsx."""
    safe = "".join(ch for ch in CONTROL_RE.sub("", expert.name) if ch not in '\\/:*?"<>|\r\n\t')
    return f"{round_name(review_round)}专家打分情况-{safe}.xlsx"


def _signature(expert):
    """The signature as a sheet image, or None (no file, not an image, unreadable)."""
    stored = expert.signature_file
    if stored is None or not uploads.is_image(stored):
        return None
    try:
        with PILImage.open(uploads.path_of(stored)) as source:
            source.thumbnail((SIGNATURE_SOURCE_LIMIT, SIGNATURE_SOURCE_LIMIT))
            data = io.BytesIO()
            source.convert("RGBA").save(data, "PNG")
            width, height = source.size
    except (OSError, ValueError):
        log.warning("signature file of expert %s is unreadable", expert.id)
        return None
    image = SheetImage(data)
    image.height = SIGNATURE_HEIGHT
    image.width = max(1, round(width * SIGNATURE_HEIGHT / max(height, 1)))
    return image


def _write(sheet, review_round, expert, member, rubric, views, submitted_at):
    items = rubric.items
    name_label = "班组名称" if review_round.kind == "team" else "小组名称"
    header = ["组内序号", "申报编号", "成果名称", name_label, "课题类型",
              *(f"{item.name}（{points_text(item.max_points_c)}分）" for item in items), "总分"]
    _put(sheet, 1, 1, f"{round_name(review_round)} 专家打分情况", bold=True)
    _put(sheet, 2, 1, f"专家：{expert.name}　工作单位：{expert.company}　专业组：{member.group.name}")
    for column, text in enumerate(header, start=1):
        _put(sheet, 3, column, text, bold=True).alignment = Alignment(wrap_text=True, vertical="center")
    row_no = 3
    for seq, view in views:
        row_no += 1
        row = view.row
        values = [seq, row.decl_no, row.title, row.group_name, row.topic_type or ""]
        for column, value in enumerate(values, start=1):
            _put(sheet, row_no, column, value)
        for offset, (_item, points) in enumerate(view.items):
            if points is not None:
                _put(sheet, row_no, 6 + offset, _number(points))
        total_column = 6 + len(items)
        if row.state == STATE_AVOIDED:
            _put(sheet, row_no, total_column, "回避")
        elif row.sheet is not None and row.sheet.saved_at is not None:
            _put(sheet, row_no, total_column, _number(row.sheet.total_c))
    row_no += 2
    _put(sheet, row_no, 1, "专家签名：", bold=True)
    image = _signature(expert)
    if image is not None:
        sheet.row_dimensions[row_no].height = SIGNATURE_HEIGHT * 0.75 + 4  # points
        sheet.add_image(image, f"B{row_no}")
    _put(sheet, row_no + 1, 1, "时间：", bold=True)
    _put(sheet, row_no + 1, 2, china_time(submitted_at, "%Y-%m-%d %H:%M") if submitted_at else "未提交")
    for column, width in enumerate((10, 18, 36, 22, 12), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for column in range(6, 7 + len(items)):
        sheet.column_dimensions[get_column_letter(column)].width = 12


def export(review_round, expert, member, submitted_at=None):
    """The workbook as bytes: one worksheet per rubric the expert's declarations are scored with."""
    views = expert_sheets(review_round, expert, member)
    by_rubric = {}
    for seq, view in enumerate(views, start=1):
        rubric = review_round.rubric_for(view.row.topic_type)
        by_rubric.setdefault(rubric.id, (rubric, []))[1].append((seq, view))
    book = Workbook()
    book.remove(book.active)
    if not by_rubric:
        by_rubric[review_round.rubric.id] = (review_round.rubric, [])
    for rubric, rows in by_rubric.values():
        title = "专家打分情况" if len(by_rubric) == 1 else CONTROL_RE.sub("", rubric.name)[:31]
        sheet = book.create_sheet("".join(ch for ch in title if ch not in "[]:*?/\\") or "专家打分情况")
        _write(sheet, review_round, expert, member, rubric, rows, submitted_at)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
