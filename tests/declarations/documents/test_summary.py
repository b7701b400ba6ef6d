"""申报汇总表 附件4/5: generated from the unit's declarations, header kept, printed with its 校验码, a stamped scan
that becomes 需重新上传 when the data changes, and a formula-safe xlsx export."""
import io

import openpyxl

from app.core.extensions import db
from app.declarations.models import Declaration
from tests.declarations.documents.conftest import PUNCTUATED, pdf_text, pdf_upload, png_upload, squeeze

URL = "/declarations/summary/group"


def _status(app, declaration_id, status):
    with app.app_context():
        db.session.get(Declaration, declaration_id).status = status
        db.session.commit()


def _upload(client, kind="group", file=None):
    return client.post(f"/declarations/summary/{kind}/scan", data={"scan": file or pdf_upload()},
                       headers={"HX-Request": "true"}, content_type="multipart/form-data")


def test_rows_are_the_listed_declarations_ordered_by_enterprise(unit_client, unit, year, declare):
    declare(unit, year, enterprise_name="乙公司", title="成果乙")
    declare(unit, year, enterprise_name="甲公司", title="成果甲", status="accepted")
    declare(unit, year, enterprise_name="丙公司", title="成果丙", status="returned")
    declare(unit, year, enterprise_name="丁公司", title="成果丁", status="deferred")
    declare(unit, year, title="草稿成果", status="draft")
    declare(unit, year, title="不评成果", status="rejected")
    declare(unit, year, kind="team", title="班组成果")
    page = unit_client.get(URL).text
    for label in ("序号", "企业名称", "通讯地址", "邮编", "直接联系人", "手机", "小组名称", "成果名称", "课题类型"):
        assert f">{label}</th>" in page
    shown = [t for t in ("成果乙", "成果甲", "成果丙", "成果丁") if t in page]
    assert len(shown) == 4
    assert "草稿成果" not in page and "不评成果" not in page and "班组成果</td>" not in page
    order = sorted(["乙公司", "甲公司", "丙公司", "丁公司"])
    assert [page.index(name) for name in order] == sorted(page.index(name) for name in order)
    team_page = unit_client.get("/declarations/summary/team").text
    assert "班组成果" in team_page and ">班组名称</th>" in team_page and ">课题类型</th>" not in team_page
    assert "注：申报单位名称以公章为准，填写内容应简明扼要，准确无误。" in page


def test_header_is_kept_and_checked(unit_client, unit, year, declare):
    declare(unit, year)
    page = unit_client.get(URL).text
    assert 'value="张三"' in page and 'value="13912345678"' in page  # from the registration
    bad = unit_client.post(f"{URL}/header", data={"contact": "", "phone": "84885418", "mobile": "123"},
                           headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "请填写联系人" in bad.text and "区号" in bad.text and "11位手机号码" in bad.text
    assert 'value="84885418"' in bad.text  # what was typed is kept
    ok = unit_client.post(f"{URL}/header", headers={"HX-Request": "true"},
                          data={"contact": "李（四）", "phone": "010-84885418", "mobile": "+86 139 0000 1111"})
    assert ok.status_code == 200 and "表头已保存" in ok.text
    page = unit_client.get(URL).text
    assert 'value="李（四）"' in page and 'value="010-84885418"' in page and 'value="13900001111"' in page


def test_print_shows_header_rows_note_and_code(app, unit_client, unit, year, declare):
    declare(unit, year, enterprise_name=PUNCTUATED, title="降低装置能耗", group_name="攻关（一）QC小组")
    response = unit_client.get(f"{URL}/print")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    flat = squeeze(text)
    assert f"{year}年全国石油和化工行业优秀成果申报汇总表" in text and "（小组用样表）" in text
    assert "附件4" in text and "申报单位：" in text and "（盖章）" in text and "填报日期" in text
    assert PUNCTUATED in flat and "攻关（一）QC小组" in flat and "问题解决型" in text
    assert squeeze("注：申报单位名称以公章为准，填写内容应简明扼要，准确无误。") in flat
    with app.test_request_context():
        from app.declarations.summary import summary_table
        from app.models import Unit
        code = summary_table(db.session.get(Unit, unit.id), year, "group").data_hash
    assert f"申报汇总表（小组） · 校验码 {code} · 生成时间" in text


def test_scan_goes_stale_when_another_declaration_is_submitted(app, unit_client, unit, year, declare):
    declare(unit, year)
    later = declare(unit, year, status="draft")
    assert "未上传" in unit_client.get(URL).text
    response = _upload(unit_client)
    assert response.status_code == 200, response.text
    assert 'id="scan-state">已上传<' in response.text and "盖章件已上传" in response.text
    _status(app, later, "submitted")  # the other work's 提交 changes the table's rows
    page = unit_client.get(URL).text
    assert 'id="scan-state">需重新上传<' in page and "信息已修改，请重新打印、盖章后上传。" in page
    assert _upload(unit_client, file=png_upload()).status_code == 200
    assert 'id="scan-state">已上传<' in unit_client.get(URL).text


def test_header_change_also_makes_the_scan_stale(unit_client, unit, year, declare):
    declare(unit, year)
    _upload(unit_client)
    unit_client.post(f"{URL}/header", data={"contact": "新联系人", "phone": "", "mobile": "13912345678"})
    assert 'id="scan-state">需重新上传<' in unit_client.get(URL).text


def test_hostile_scans_are_refused_in_chinese(unit_client, unit, year, declare):
    declare(unit, year)
    cases = [((io.BytesIO(b"<html><script>alert(1)</script></html>"), "盖章件.pdf"), "只能是PDF、JPG或PNG"),
             ((io.BytesIO(b""), "empty.pdf"), "上传的文件是空的"),
             ((io.BytesIO(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)), "big.pdf"), "不能超过10M")]
    for file, message in cases:
        response = _upload(unit_client, file=file)
        assert response.status_code == 422 and message in response.text, message
    assert 'id="scan-state">未上传<' in unit_client.get(URL).text


def test_no_rows_no_scan(unit_client, unit, year):
    page = unit_client.get(URL).text
    assert "暂无已提交的小组成果申报" in page and "打印汇总表</a>" not in page
    assert _upload(unit_client).status_code == 422


def test_the_uploaded_scan_is_served_only_to_its_unit(client, auth, make, unit_client, unit, year, declare):
    declare(unit, year)
    _upload(unit_client, file=png_upload())
    served = unit_client.get("/declarations/documents/summary_group/scan")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    other = make.unit(name="另一家化工公司")
    auth.login(client, other.user)
    assert client.get("/declarations/documents/summary_group/scan").status_code == 404
    assert client.get("/declarations/documents/nonsense/scan").status_code == 404


def test_xlsx_export_is_formula_safe(unit_client, unit, year, declare):
    declare(unit, year, title="=HYPERLINK(\"http://x\",\"点我\")", group_name="+攻关小组", contact="@王五")
    response = unit_client.get("/declarations/summary/group.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0].value == f"{year}年全国石油和化工行业优秀成果申报汇总表（小组用样表）"
    header = [cell.value for cell in rows[2]]
    assert header == ["序号", "企业名称", "通讯地址", "邮编", "直接联系人", "手机", "小组名称", "成果名称", "课题类型"]
    data = rows[3]
    assert data[7].value == "=HYPERLINK(\"http://x\",\"点我\")" and data[7].data_type == "s"
    assert data[6].value == "+攻关小组" and data[6].data_type == "s"
    assert data[4].value == "@王五" and data[4].data_type == "s"
    assert rows[-1][0].value.startswith("注：申报单位名称以公章为准")


def test_the_page_runs_a_fixed_number_of_statements(app, unit_client, unit, year, declare, count_queries):
    for _ in range(3):
        declare(unit, year)
    unit_client.get(URL)
    with count_queries() as few:
        assert unit_client.get(URL).status_code == 200
    for _ in range(27):
        declare(unit, year)
    with count_queries() as many:
        assert unit_client.get(URL).text.count("<tr><td class=\"num\">") == 30
    assert len(few) == len(many)


def test_closed_window_keeps_the_page_readable_and_refuses_changes(app, unit_client, unit, year, declare):
    from datetime import date

    from tests.declarations.documents.conftest import open_window
    declare(unit, year)
    open_window(app, year, start=date(year - 1, 3, 25), end=date(year - 1, 4, 30))
    page = unit_client.get(URL).text
    assert "仅供查看和打印" in page and "保存表头" not in page
    response = unit_client.post(f"{URL}/header", data={"contact": "甲", "mobile": "13912345678"},
                                headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert _upload(unit_client).status_code == 422
    assert unit_client.get(f"{URL}/print").status_code == 200
