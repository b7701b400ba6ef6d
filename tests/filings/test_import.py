"""Batch import: every rule, all-or-nothing, and one test per hostile-file class."""
import io
import os
import time
import zipfile
from datetime import date, datetime

from sqlalchemy import func, select

from app.core.extensions import db
from app.core.settings import set_open_filing_year
from app.filings.xlsx.importer import import_filings
from app.models import AuditLog, QcGroupFiling, RegNoCounter, TeamFiling
from tests.filings.conftest import GROUP_ROW, TEAM_ROW, group_rows, upload, xlsx_bytes

IMPORT = "/groups/import"


def count(app, model=QcGroupFiling):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def records(app, model=QcGroupFiling):
    with app.app_context():
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_real_spreadsheet_values_are_accepted(app, unit_client, unit, year):
    rows = [
        dict(GROUP_ROW, 小组名称="一号QC小组", 手机=13912345678.0, 小组人数=7.0, 成立时间=datetime(2024, 3, 1)),
        dict(GROUP_ROW, 小组名称="  二号QC小组 ", 手机="１３９ １２３４ ５６７８", 小组人数="７", 成立时间="2024/3/1",
             课题类型="问题解决型(自定目标)", 电子邮箱=" Li@Example.com "),
        dict(GROUP_ROW, 小组名称="三号QC小组", 手机="+86 139-1234-5678", 成立时间="2024年3月1日",
             课题注册时间="2024-04-15", 企业名称="中国石化测试分公司"),
    ]
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 200, response.data.decode()
    assert "共导入 3 条" in response.data.decode()
    saved = records(app)
    assert [r.group_name for r in saved] == ["一号QC小组", "二号QC小组", "三号QC小组"]
    assert {r.mobile for r in saved} == {"13912345678"}
    assert {r.member_count for r in saved} == {7}
    assert {r.founded_on for r in saved} == {date(2024, 3, 1)}
    assert saved[1].topic_type == "问题解决型（自定目标）"
    assert saved[1].email == "li@example.com"
    assert saved[2].topic_registered_on == date(2024, 4, 15)
    assert {r.enterprise_name for r in saved} == {unit.name}  # blank 企业名称 → the unit's name
    assert [r.reg_no for r in saved] == [f"QC-{year}-{n:06d}" for n in (1, 2, 3)]
    assert {r.source for r in saved} == {"import"}
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "group_filing.import")).one()
        assert "3 条" in entry.summary


def test_columns_found_by_header_extra_columns_ignored_blank_rows_skipped(app, unit_client):
    headers = ["序号", "手机", "*小组名称", "课题名称", "课题类型（必填）", "成立时间", "小组长", "小组人数",
               "联系人", "企业名称", "无关的列"]
    rows = [dict(GROUP_ROW, 序号=1, **{"*小组名称": "甲QC小组", "课题类型（必填）": "创新型", "无关的列": "x"}),
            {},
            dict(GROUP_ROW, 序号=2, **{"*小组名称": "乙QC小组", "课题类型（必填）": "创新型"})]
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows, headers=headers))
    assert response.status_code == 200, response.data.decode()
    assert [r.group_name for r in records(app)] == ["甲QC小组", "乙QC小组"]


def test_missing_required_column_is_reported(app, unit_client):
    headers = ["小组名称", "课题名称", "课题类型", "成立时间", "小组长", "小组人数", "联系人"]
    response = upload(unit_client, IMPORT, xlsx_bytes("group", [GROUP_ROW], headers=headers))
    assert response.status_code == 422
    assert "缺少必填列：「手机」" in response.data.decode()
    assert count(app) == 0


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(app, unit_client):
    rows = group_rows(4)
    rows[0]["手机"] = "1391234"
    rows[1]["成立时间"] = "2024-13-45"
    rows[1]["小组人数"] = "七"
    rows[2]["课题类型"] = "攻关型"
    rows[3]["小组名称"] = None
    rows[3]["电子邮箱"] = "not-an-email"
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    text = response.data.decode()
    assert response.status_code == 422
    assert "导入失败，未导入任何记录" in text
    assert "第 2 行 「手机」: 请输入11位手机号码" in text
    assert "第 3 行 「成立时间」: 成立时间不是有效日期" in text
    assert "第 3 行 「小组人数」: 小组人数应为整数" in text
    assert "第 4 行 「课题类型」: 课题类型应为以下之一" in text
    assert "第 5 行 「小组名称」: 请填写小组名称。" in text
    assert "第 5 行 「电子邮箱」" in text
    assert count(app) == 0


def test_team_name_rule_is_explained(app, unit_client):
    rows = [dict(TEAM_ROW, 班组名称="常减压运行队")]
    response = upload(unit_client, "/teams/import", xlsx_bytes("team", rows))
    assert response.status_code == 422
    assert "第 2 行 「班组名称」: 班组名称需以正式组织单元名称为准" in response.data.decode()
    ok = [dict(TEAM_ROW), dict(TEAM_ROW, 班组名称="化验室"), dict(TEAM_ROW, 班组名称="催化二工段", 座机=None)]
    response = upload(unit_client, "/teams/import", xlsx_bytes("team", ok))
    assert response.status_code == 200, response.data.decode()
    saved = records(app, TeamFiling)
    assert [t.team_name for t in saved] == ["常减压运行一班", "化验室", "催化二工段"]
    assert saved[0].started_on == date(2023, 6, 1) and saved[0].reg_no.startswith("BZ-")


def test_duplicates_in_file_and_against_existing_are_reported_alike(app, unit_client, unit, make, year):
    make.group(unit, year=year, group_name="已备案QC小组", enterprise_name=unit.name)
    rows = group_rows(3)
    rows[2]["小组名称"] = rows[0]["小组名称"]
    rows.append(dict(GROUP_ROW, 小组名称="已备案QC小组"))
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    text = response.data.decode()
    assert response.status_code == 422
    assert "第 4 行 「小组名称」: 与第 2 行重复" in text
    assert "第 5 行 「小组名称」: " in text and "已存在" in text
    assert count(app) == 1


def test_one_bad_row_at_the_end_of_1000_leaves_nothing_written(app, unit_client, year):
    rows = group_rows(1000)
    rows[-1]["手机"] = "12345"
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 422
    assert "第 1001 行 「手机」" in response.data.decode()
    assert count(app) == 0
    with app.app_context():
        assert db.session.get(RegNoCounter, ("QC", year)) is None  # no number was spent
    rows[-1]["手机"] = "13912345678"
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 200
    assert count(app) == 1000
    assert records(app)[-1].reg_no == f"QC-{year}-001000"


def test_link_import_fixes_the_enterprise_name(app, unit, make, year):
    invitation = make.invitation(unit, enterprise_name="被邀化工有限公司")
    from app.models import Invitation, Unit
    rows = [dict(GROUP_ROW, 小组名称="甲QC小组"), dict(GROUP_ROW, 小组名称="乙QC小组", 企业名称="被邀化工有限公司")]
    with app.test_request_context():
        unit_row = db.session.get(Unit, unit.id)
        inv = db.session.get(Invitation, invitation.id)
        result = import_filings("group", io.BytesIO(xlsx_bytes("group", rows)), unit=unit_row, year=year,
                                invitation=inv, enterprise_name=inv.enterprise_name, source="link_import")
        assert result.ok and result.created == 2
        db.session.commit()
        bad = [dict(GROUP_ROW, 小组名称="丙QC小组", 企业名称="别的公司")]
        result = import_filings("group", io.BytesIO(xlsx_bytes("group", bad)), unit=unit_row, year=year,
                                invitation=inv, enterprise_name=inv.enterprise_name, source="link_import")
        assert not result.ok
        assert str(result.errors[0]).startswith("第 2 行 「企业名称」: 企业名称应为“被邀化工有限公司”")
    saved = records(app)
    assert {(r.enterprise_name, r.invitation_id, r.source) for r in saved} == {
        ("被邀化工有限公司", invitation.id, "link_import")}


def test_import_is_refused_after_the_deadline(app, unit_client, year):
    with app.app_context():
        set_open_filing_year(year, deadline=date(2020, 12, 31))
        db.session.commit()
    response = upload(unit_client, IMPORT, xlsx_bytes("group", group_rows(2)))
    assert "备案已截止" in response.data.decode()
    assert count(app) == 0


# ---- hostile and broken files ------------------------------------------------------------------

def refused(client, data, expected, name="x.xlsx"):
    """Upload data; assert a quick, clear refusal; return the text."""
    started = time.perf_counter()
    response = upload(client, IMPORT, data, name=name)
    elapsed = time.perf_counter() - started
    text = response.data.decode()
    assert response.status_code == 422, text
    assert expected in text
    assert elapsed < 1.5, f"refusal took {elapsed:.2f}s"
    return text


def _rezip(data, replace):
    """Copy an xlsx, replacing some parts' bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def test_hostile_not_a_spreadsheet(app, unit_client):
    refused(unit_client, "姓名,手机\n王五,13912345678\n".encode(), "不是Excel表格", name="a.csv")
    refused(unit_client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "另存为.xlsx", name="old.xls")
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    refused(unit_client, other_zip.getvalue(), "不是Excel工作簿")
    refused(unit_client, b"PK\x03\x04" + b"garbage" * 100, "文件已损坏")
    assert count(app) == 0


def test_hostile_file_over_5_mb(app, unit_client):
    refused(unit_client, b"PK\x03\x04" + os.urandom(5 * 1024 * 1024 + 100), "文件超过5MB")


def test_hostile_zip_bomb(app, unit_client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1024 * 1024)
            for _ in range(300):  # 300 MB of spaces, ~300 KB compressed
                part.write(chunk)
    data = bomb.getvalue()
    assert len(data) < 1024 * 1024
    refused(unit_client, data, "疑似压缩炸弹")


def test_hostile_zip_bomb_with_lying_sizes(app, unit_client):
    """Declared sizes are small but the stream inflates to more: the streaming count catches it."""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (40 * 1024 * 1024))
    data = bytearray(bomb.getvalue())
    # patch the central directory's uncompressed size of the sheet to 1000 bytes
    name = b"xl/worksheets/sheet1.xml"
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")
    refused(unit_client, bytes(data), "文件")


def test_hostile_enormous_used_range(app, unit_client):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "小组名称"
    sheet["B1"] = "手机"
    sheet.cell(row=1048576, column=16384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    refused(unit_client, buffer.getvalue(), "使用范围过大")
    # the same with a lying <dimension> but a far-away cell only
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "小组名称"
    workbook.active.cell(row=900000, column=1, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet_xml = sheet_xml.replace(b'<dimension ref="A1:A900000"/>', b'<dimension ref="A1"/>')
    refused(unit_client, _rezip(data, {"xl/worksheets/sheet1.xml": sheet_xml}), "使用范围过大")


def test_hostile_billion_laughs(app, unit_client):
    data = xlsx_bytes("group", group_rows(1))
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10))
              + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    part = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/worksheets/sheet1.xml"
    refused(unit_client, _rezip(data, {part: laughs}), "实体声明")


def test_hostile_too_many_rows(app, unit_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMPORT_ROWS", 5)
    refused(unit_client, xlsx_bytes("group", group_rows(8)), "最多5行数据")
    response = upload(unit_client, IMPORT, xlsx_bytes("group", group_rows(5)))
    assert response.status_code == 200
    assert count(app) == 5


def test_no_file_chosen(unit_client):
    response = unit_client.post(IMPORT, data={}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "请先点击“浏览”选择要导入的文件" in response.data.decode()


def test_hostile_implicit_positions_are_counted_exactly(app, unit_client):
    """Cells and rows without r="…" advance implicitly: one wide row must not slip past the checks."""
    data = xlsx_bytes("group", group_rows(2))
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    wide_row = b"<row>" + b"<c><v>1</v></c>" * 5000 + b"</row>"
    sheet = sheet.replace(b"</sheetData>", wide_row + b"</sheetData>")
    refused(unit_client, _rezip(data, {"xl/worksheets/sheet1.xml": sheet}), "列数过多")


def test_cells_without_references_are_still_read(app, unit_client):
    """A writer that omits r="…" (allowed by the format) passes the strict scan and imports."""
    full = group_rows(2, 活动指导者="李工", 备注="无")
    for row in full:
        row.update(企业名称="甲公司", 课题注册时间="2024-04-01", 小组人数=7, 手机="13912345678")
    data = xlsx_bytes("group", full)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    import re as regex
    sheet = regex.sub(rb'<c r="[A-Z]+\d+"', b"<c", sheet)
    sheet = regex.sub(rb'<row r="\d+"', b"<row", sheet)
    response = upload(unit_client, IMPORT, _rezip(data, {"xl/worksheets/sheet1.xml": sheet}))
    assert response.status_code == 200, response.data.decode()[-600:]
    assert count(app) == 2
