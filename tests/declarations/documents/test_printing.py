"""打印申报表: A4 PDFs whose Chinese text is real (embedded font, extractable), laid out as 附件2/附件3 with the
盖章 lines, the notes and the 校验码 footer; scoped to the unit."""
import io
import re

from pypdf import PdfReader

from app.core.extensions import db
from app.declarations.checksum import declaration_hash
from app.declarations.models import Declaration
from tests.declarations.documents.conftest import PUNCTUATED, pdf_text, squeeze

GROUP_NOTES = (
    "注：1.需提交小组活动记录和小组活动成果报告书（word文档，成果报告书请参照附件8要求格式编写）。",
    "2.企业名称（小组所在单位）、小组名称，不要挂上级部门（企业名称以公章为准），填写内容应简明扼要，准确无误。",
    "3.“主要完成人”，请按顺序依次准确填写人员姓名，两个姓名之间用逗号隔开。",
    "4.“课题类型”，请选择填写问题解决型、创新型。",
    "5.“成果名称”、“质量管理小组名称”、“企业名称”、“主要完成人”是制作证书的依据，应确保信息准确无误。",
)
TEAM_NOTES = (
    "注：1.需提交班组活动记录和班组建设成果报告书（word文档，成果报告书请参照附件9要求格式编写）。",
    "以“**班”、“**组”、“**工段”或“**室”等为名。",
    "4.“成果名称”、“质量信得过班组名称”、“企业名称”、“主要完成人”是制作证书的依据，应确保信息准确无误。",
)
PAGE_FOOTER = re.compile(r"第 \d+ 页，共 \d+ 页")
FOOTER = re.compile(r"(QCSB|BZSB)-\d{4}-\d{4} · 校验码 ([0-9A-F]{8}) · 生成时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _hash(app, declaration_id):
    with app.app_context():
        return declaration_hash(db.session.get(Declaration, declaration_id))


def test_group_form_prints_as_attachment_2_with_real_text(app, unit_client, unit, year, declare):
    contributors = ["欧阳（小）明", "李四", "张三", "王五"]
    did = declare(unit, year, enterprise_name=PUNCTUATED, main_contributors=contributors,
                  title="降低常减压装置能耗，提高轻油收率")
    response = unit_client.get(f"/declarations/{did}/print")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = pdf_text(response.data)
    flat = squeeze(text)
    assert f"{year}年全国石油和化工行业优秀成果申报表" in text
    assert "（小组用样表）" in text
    assert "降低常减压装置能耗，提高轻油收率" in flat
    assert PUNCTUATED in text  # full-width brackets exactly as stored
    assert "欧阳（小）明，李四，张三，王五" in flat  # in order, joined by "，"
    assert "申报单位：" in text and "（盖章）" in text and "所在企业(盖章)：" in text
    assert "QC小组简介和主要活动过程与效果" in flat and "经济效益（万元）" in flat and "1234.50" in text
    for note in GROUP_NOTES:
        assert squeeze(note) in flat, note
    footers = FOOTER.findall(text)
    assert footers and {code for _, code in footers} == {_hash(app, did)}


def test_the_pdf_is_a4_with_the_cjk_font_embedded(unit_client, unit, year, declare):
    data = unit_client.get(f"/declarations/{declare(unit, year)}/print").data
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    fonts = page["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
        if descriptor is not None:
            descriptor = descriptor.get_object()
            embedded.append((str(font["/BaseFont"]), any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                  "/FontFile3"))))
    assert any("CJK" in name for name, _ in embedded)
    assert all(is_embedded for _, is_embedded in embedded), embedded


def test_team_form_prints_as_attachment_3(app, unit_client, unit, year, declare):
    did = declare(unit, year, kind="team", group_name="常减压运行（一）班",
                  main_contributors=[f"成员{i}" for i in range(1, 16)])
    text = pdf_text(unit_client.get(f"/declarations/{did}/print").data)
    flat = squeeze(text)
    assert f"{year}年全国石油和化工行业优秀质量管理成果申报表" in text and "（班组用样表）" in text
    assert "常减压运行（一）班" in text
    assert "，".join(f"成员{i}" for i in range(1, 16)) in flat
    for label in ("班组工作完成率（%）", "产品/服务满意度（％）", "产品/服务合格率（％）", "质量考核合格率（%）",
                  "质量改进活动参与率（%）", "质量成本（万元/年）", "年质量、安全事故数（个）", "座机"):
        assert squeeze(label) in flat, label
    assert "98.50" in text and "12.50" in text and "010-84885418" in text
    for note in TEAM_NOTES:
        assert squeeze(note) in flat, note
    assert {code for _, code in FOOTER.findall(text)} == {_hash(app, did)}


def test_a_changed_printed_field_changes_the_footer_code(app, unit_client, unit, year, declare):
    did = declare(unit, year)
    before = FOOTER.search(pdf_text(unit_client.get(f"/declarations/{did}/print").data)).group(2)
    with app.app_context():
        db.session.get(Declaration, did).enterprise_name = "中国石化（北京）燕山分公司"
        db.session.commit()
    after = FOOTER.search(pdf_text(unit_client.get(f"/declarations/{did}/print").data)).group(2)
    assert before != after == _hash(app, did)


def test_a_long_summary_flows_onto_a_second_page_with_seal_line_and_notes(unit_client, unit, year, declare):
    summary = ("小组成立以来坚持每月活动，运用排列图、因果图等工具分析问题，" * 40)[:1500]
    data = unit_client.get(f"/declarations/{declare(unit, year, summary=summary)}/print").data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    flat = squeeze(PAGE_FOOTER.sub("", FOOTER.sub("", pdf_text(data))))
    assert squeeze(summary) in flat
    assert "所在企业(盖章)：" in flat and squeeze(GROUP_NOTES[4]) in flat


def test_markup_in_a_field_is_printed_as_text_and_fetches_nothing(unit_client, unit, year, declare):
    payload = '<img src="http://127.0.0.1:9/x.png"><script>alert(1)</script>'
    data = unit_client.get(f"/declarations/{declare(unit, year, title=payload)}/print").data
    assert squeeze(payload) in squeeze(pdf_text(data))


def test_drafts_print_too_with_blank_cells(unit_client, unit, year, declare):
    did = declare(unit, year, status="draft", economic_benefit_c=None, advisor=None, main_contributors=[])
    response = unit_client.get(f"/declarations/{did}/print")
    assert response.status_code == 200
    assert "主要完成人" in pdf_text(response.data)


def test_another_units_declaration_is_404_and_other_roles_get_nothing(app, client, auth, make, unit, year,
                                                                        declare):
    did = declare(unit, year)
    other = make.unit(name="另一家化工公司")
    auth.login(client, other.user)
    for url in (f"/declarations/{did}/print", f"/declarations/{did}/report-template.docx",
                "/declarations/999999/print"):
        assert client.get(url).status_code == 404, url
    expert_client = app.test_client()
    auth.login(expert_client, make.expert())
    assert expert_client.get(f"/declarations/{did}/print").status_code == 403
    anonymous = app.test_client().get(f"/declarations/{did}/print")
    assert anonymous.status_code in (302, 303) and "next=" in anonymous.headers["Location"]
