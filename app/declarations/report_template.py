"""下载报告书模板 (spec A10): the 成果报告书 format of 附件8 (groups) / 附件9 (teams) as a .docx, prefilled from
the declaration and its filing. The format is 仅供参考: it guides the unit, nothing is checked against it."""
import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from app.declarations.models import KIND_GROUP

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SIZE_2 = Pt(22)  # 二号
SIZE_SMALL_3 = Pt(15)  # 小三号
SIZE_SMALL_4 = Pt(12)  # 小四号
MAX_MEMBER_ROWS = 30
STEPS = {
    "自定目标": "选择课题、现状调查、设定目标、原因分析、确定主要原因、制定对策、对策实施、效果检查（包括经济效益计算）、"
            "制定巩固措施、总结和下一步打算",
    "指令性目标": "选择课题、设定目标、目标可行性论证、原因分析、确定主要原因、制定对策、对策实施、效果检查（包括经济效益计算）、"
             "制定巩固措施、总结和下一步打算",
    "创新型": "选择课题、设定目标及目标可行性论证、提出方案并确定最佳方案、制定对策、对策实施、效果检查、标准化、总结和下一步打算",
    "team": "需求确定、建设策划、建设过程、建设成效",
}
TEAM_ITEMS = ("明确定位、识别顾客及其他相关方、识别确定关键需求、确定关键改进工作、建立目标和测量指标、提升人员素质、"
              "完善基础管理、改进与创新、达成目标、提炼特色。")
GROUP_CLOSING = ("质量管理小组活动成果报告，要按照活动程序、步骤，将活动内容、方法和效果，用文字、图表、数据等形式表达清楚。"
                 "言简意赅，层次分明、逻辑性强。（注：质量管理小组活动程序，参照T/CAQ 10201-2020《质量管理小组活动准则》团体标准）")
TEAM_CLOSING = ("质量信得过班组建设活动成果报告，要按照建设程序、步骤，将活动内容、方法和效果，用文字、图表、数据等形式表达清楚。"
                "言简意赅，层次分明、逻辑性强。（注：质量信得过班组建设活动程序，参照T/CAQ 10204-2017《质量信得过班组建设准则》团体标准）")


def template_filename(declaration):
    """成果报告书模板-QCSB-2027-0001.docx."""
    return f"成果报告书模板-{declaration.decl_no}.docx"


def _font(run, name, size, bold=False):
    """A run in a Chinese font (Word reads the East Asian font from w:eastAsia, not from w:ascii)."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _style(document, style_name, font_name, size, bold=False):
    style = document.styles[style_name]
    style.font.name = font_name
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = None
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font_name)
    style.paragraph_format.line_spacing = 1.0
    return style


def _paragraph(document, text, font="宋体", size=SIZE_SMALL_4, bold=False, align=None, style=None):
    paragraph = document.add_paragraph(style=style)
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _heading(document, text, level=1):
    """A heading in 黑体 小四 (文字要求), in the outline so the 目录 field lists it."""
    paragraph = document.add_heading(level=level)
    _font(paragraph.add_run(text), "黑体", SIZE_SMALL_4, bold=True)
    return paragraph


def _toc(document):
    """A Word 目录 field; Word fills it on 更新域 (python-docx cannot lay out pages)."""
    paragraph = document.add_paragraph()
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), 'TOC \\o "1-2" \\h \\z \\u')
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "（在Word中右键此处选择“更新域”即可生成目录）"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _table(document, rows, widths=None):
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.text = ""
            _font(cell.paragraphs[0].add_run("" if value is None else str(value)), "宋体", SIZE_SMALL_4)
            if widths:
                cell.width = widths[c]
    return table


def _date(value):
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def activity_period(declaration):
    """活动时间: '2026年5月10日至2027年3月1日' from 活动开始日期 and 成果完成日期 (what is known)."""
    start, end = declaration.started_on, declaration.completed_on
    if start and end:
        return f"{_date(start)}至{_date(end)}"
    return f"{_date(start)}起" if start else (f"至{_date(end)}" if end else "")


def topic_type_text(declaration):
    """问题解决型（自定目标） / 问题解决型（指令性目标） / 创新型."""
    if declaration.topic_type == "问题解决型" and declaration.topic_subtype:
        return f"问题解决型（{declaration.topic_subtype}）"
    return declaration.topic_type or ""


def group_overview(declaration):
    """The 小组概况 table of 附件8 as label/value pairs, 当年活动次数 left for the unit."""
    filing = declaration.filing
    return [("小组名称", declaration.group_name, "注册编号", filing.reg_no if filing else ""),
            ("课题名称", declaration.title, "成立时间", _date(filing.founded_on) if filing else ""),
            ("课题类型", topic_type_text(declaration), "活动时间", activity_period(declaration)),
            ("小组人数", declaration.member_count if declaration.member_count is not None else "", "当年活动次数", "")]


def _cover(document, declaration, is_group):
    for _ in range(5):
        document.add_paragraph()
    _paragraph(document, f"成果名称：{declaration.title}", size=SIZE_2, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for _ in range(6):
        document.add_paragraph()
    lines = ((f"{'小组名称' if is_group else '班组名称'}：{declaration.group_name}"),
             f"发 表 人：{declaration.presenter or ''}",
             f"{'企业名称' if is_group else '单位名称'}：{declaration.enterprise_name}",
             _date(declaration.completed_on) or "年　　月　　日")
    for line in lines:
        _paragraph(document, line, font="仿宋", size=SIZE_SMALL_3, align=WD_ALIGN_PARAGRAPH.CENTER)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _members(document, declaration, duty_label):
    names = list(declaration.main_contributors or [])
    count = min(max(len(names), declaration.member_count or 0, 3), MAX_MEMBER_ROWS)
    rows = [("序号", "姓名", "年龄", "文化程度", "职务、职称", duty_label, "备注")]
    rows += [(i, names[i - 1] if i <= len(names) else "", "", "", "", "", "") for i in range(1, count + 1)]
    _table(document, rows)


def build_report_template(declaration):
    """The prefilled 成果报告书 template as .docx bytes."""
    is_group = declaration.kind == KIND_GROUP
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    _style(document, "Normal", "宋体", SIZE_SMALL_4)
    for name in ("Heading 1", "Heading 2"):
        _style(document, name, "黑体", SIZE_SMALL_4, bold=True)
    document.core_properties.title = declaration.title or "成果报告书"
    _cover(document, declaration, is_group)

    _heading(document, "目录")
    _toc(document)
    document.add_section(WD_SECTION.NEW_PAGE)
    if is_group:
        _heading(document, "一、小组概况")
        _table(document, group_overview(declaration))
        _heading(document, "二、小组成员情况")
        _members(document, declaration, "组内分工")
        _heading(document, "三、具体内容")
        subtype = declaration.topic_subtype or "自定目标"
        steps = STEPS["创新型"] if declaration.topic_type == "创新型" else STEPS[subtype]
        for number, step in enumerate(steps.split("、"), start=1):
            _heading(document, f"{number}. {step}", level=2)
            _paragraph(document, "（请在此填写本步骤的活动内容、方法和效果，可用文字、图表、数据等形式表达。）")
        _paragraph(document, GROUP_CLOSING)
    else:
        _heading(document, "一、班组概况")
        _paragraph(document, f"{declaration.group_name}（{declaration.enterprise_name}）：请填写班组成员组成，班组职责，"
                             "主要工作内容、班组文化和愿景等。")
        _heading(document, "二、班组成员情况")
        _members(document, declaration, "岗位职责")
        _heading(document, "三、具体内容")
        for number, step in enumerate(STEPS["team"].split("、"), start=1):
            _heading(document, f"{number}. {step}", level=2)
            _paragraph(document, "（请在此填写本阶段的内容、方法和效果。）")
        _paragraph(document, "内容要点：" + TEAM_ITEMS)
        _paragraph(document, TEAM_CLOSING)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
