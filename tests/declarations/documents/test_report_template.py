"""下载报告书模板 (spec A10): a .docx per declaration, prefilled from the declaration and its filing."""
import io
from datetime import date

from docx import Document
from docx.oxml.ns import qn

from app.core.extensions import db
from app.filings.models import QcGroupFiling


def _open(client, declaration_id):
    response = client.get(f"/declarations/{declaration_id}/report-template.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.data))


def _texts(document):
    return [p.text for p in document.paragraphs]


def test_group_template_has_the_prefilled_overview(app, unit_client, unit, year, declare):
    did = declare(unit, year, title="降低常减压装置能耗", group_name="攻关（一）QC小组", member_count=9,
                  topic_type="问题解决型", topic_subtype="指令性目标", presenter="欧阳明",
                  started_on=date(year - 1, 5, 10), completed_on=date(year, 3, 1),
                  main_contributors=["欧阳明", "李四", "张三"])
    with app.app_context():
        filing = db.session.scalar(db.select(QcGroupFiling).order_by(QcGroupFiling.id.desc()))
        reg_no, founded = filing.reg_no, filing.founded_on
    document = _open(unit_client, did)
    texts = _texts(document)
    assert "成果名称：降低常减压装置能耗" in texts
    assert "小组名称：攻关（一）QC小组" in texts and "发 表 人：欧阳明" in texts
    assert f"企业名称：{unit.name}" in texts and f"{year}年3月1日" in texts
    overview = document.tables[0]
    cells = [[cell.text for cell in row.cells] for row in overview.rows]
    assert cells == [
        ["小组名称", "攻关（一）QC小组", "注册编号", reg_no],
        ["课题名称", "降低常减压装置能耗", "成立时间", f"{founded.year}年{founded.month}月{founded.day}日"],
        ["课题类型", "问题解决型（指令性目标）", "活动时间", f"{year - 1}年5月10日至{year}年3月1日"],
        ["小组人数", "9", "当年活动次数", ""],
    ]
    members = document.tables[1]
    assert [c.text for c in members.rows[0].cells] == ["序号", "姓名", "年龄", "文化程度", "职务、职称", "组内分工", "备注"]
    assert [members.rows[i].cells[1].text for i in (1, 2, 3)] == ["欧阳明", "李四", "张三"]
    assert len(members.rows) == 1 + 9
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "3. 目标可行性论证" in headings and not any("现状调查" in h for h in headings)
    assert any("T/CAQ 10201-2020" in t for t in texts)
    title_run = next(p for p in document.paragraphs if p.text.startswith("成果名称：")).runs[0]
    assert title_run.font.size.pt == 22 and title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_innovation_and_team_templates_follow_their_steps(unit_client, unit, year, declare):
    innovation = _open(unit_client, declare(unit, year, topic_type="创新型", topic_subtype=None))
    headings = [p.text for p in innovation.paragraphs if p.style.name.startswith("Heading")]
    assert "3. 提出方案并确定最佳方案" in headings and "6. 效果检查" in headings
    team = _open(unit_client, declare(unit, year, kind="team", group_name="常减压运行一班"))
    texts = _texts(team)
    assert "班组名称：常减压运行一班" in texts and f"单位名称：{unit.name}" in texts
    assert [c.text for c in team.tables[0].rows[0].cells][5] == "岗位职责"
    assert "一、班组概况" in texts and "1. 需求确定" in texts and "4. 建设成效" in texts
    assert any("T/CAQ 10204-2017" in t for t in texts)
