"""The 导入模板 (.xlsx made by the system): a header row of field labels, dropdowns, and an explanation sheet."""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.filings.fields import KIND_LABELS, check_kind, fields_for

TEMPLATE_ROWS = 5000  # rows covered by the dropdowns and text formats
REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TEXT_TYPES = ("name", "text", "mobile", "landline", "email", "team_name", "choice")


def template_filename(kind):
    """小组备案导入模板.xlsx / 班组备案导入模板.xlsx."""
    return f"{KIND_LABELS[kind]}备案导入模板.xlsx"


def build_template(kind):
    """The import template of a kind as xlsx bytes."""
    check_kind(kind)
    specs = fields_for(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{KIND_LABELS[kind]}备案"
    for col, spec in enumerate(specs, start=1):
        cell = sheet.cell(row=1, column=col, value=spec.label)
        cell.font = Font(bold=True, color="C00000" if spec.required else "000000")
        cell.fill = REQUIRED_FILL if spec.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = max(12, min(40, len(spec.label) * 2 + 8))
        if spec.type in TEXT_TYPES:
            # column-wide text format so Excel keeps phone numbers as typed (no pre-made empty rows)
            sheet.column_dimensions[letter].number_format = "@"
        elif spec.type == "date":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if spec.choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"',
                                        allow_blank=not spec.required, showDropDown=False)
            validation.error = f"请从下拉列表选择{spec.label}。"
            validation.errorTitle = spec.label
            validation.prompt = "、".join(spec.choices)
            validation.promptTitle = spec.label
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(validation)
        if spec.type == "int":
            validation = DataValidation(type="whole", operator="between", formula1="1", formula2="999")
            validation.error = f"{spec.label}应为1至999的整数。"
            validation.errorTitle = spec.label
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    _explain(workbook.create_sheet("填写说明"), kind, specs)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _explain(sheet, kind, specs):
    sheet.append(["列名", "是否必填", "填写要求", "示例"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for spec in specs:
        rule = spec.rule
        if spec.name == "enterprise_name":
            rule += "；不填则为本单位名称（通过邀请链接导入时为被邀企业名称）"
        sheet.append([spec.label, "必填" if spec.required else "选填", rule, spec.example])
    sheet.append([])
    notes = [
        "说明：",
        f"1. 在“{KIND_LABELS[kind]}备案”工作表第一行列名下方逐行填写，每行一个{KIND_LABELS[kind]}；不要修改列名，列的顺序可以调整，多余的列会被忽略。",
        "2. 红色列名为必填项。日期可填写为2024-03-01、2024/3/1或2024年3月1日。",
        f"3. 同一企业的{KIND_LABELS[kind]}名称不能重复，也不能与已备案的记录重复。",
        "4. 导入时会先检查全部行；只要有一行有误，将不导入任何记录，并列出每个问题所在的行和列。",
        "5. 文件不超过5MB。",
    ]
    for note in notes:
        sheet.append([note])
    widths = {"A": 16, "B": 10, "C": 60, "D": 30}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
