"""Issue 11, items 1 and 4: control characters are refused at input with a message naming the field (and the
row on import), every xlsx export survives rows stored before that, and digits that are no ASCII digits
(² ፩ ①) are a message, never a 500."""
import io
import re
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.core.extensions import db
from app.core.settings import filing_period
from app.filings.fields import FieldProblem, fields_for
from app.filings.xlsx.columns import SLOW, fast_column, slow_value
from app.filings.xlsx.export import SafeRowWriter
from app.filings.xlsx.template import build_template
from app.invitations import services as invite_service
from app.models import Invitation, Notice, QcGroupFiling, Unit, User, YearSetting
from tests.accounts.conftest import make_png, registration_data, staged_key, upload_license
from tests.security.conftest import backend_of

HX = {"HX-Request": "true"}
CONTROL_MESSAGE = "含有不可见的控制字符"
# C0 controls other than tab, LF and CR, and DEL (NUL in a form or query is refused before any view: a 400)
CONTROLS = ["\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x85", "\x9b", "\ufffe"]
LOOKALIKES = ["፩", "²", "①", "١"]  # Ethiopic one, superscript two, circled one, Arabic-Indic one
GROUP_FORM = {"enterprise_name": "中国石化测试分公司", "group_name": "攻关QC小组", "topic": "降低能耗",
              "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
              "contact": "王五", "mobile": "13912345678"}
PUNCTUATED = "炼油（一部）【攻关】《QC》小组，甲、乙；丙：丁"


def _count(app, model=QcGroupFiling):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _field_error(html, name):
    """The message shown beside a field (the account forms' e-<name>, else the span after the input)."""
    for pattern in (rf'id="e-{name}"[^>]*>([^<]*)<', rf'id="inv-{name}-error"[^>]*>([^<]*)<',
                    rf'id="{name}"[^>]*>(?:[^<]*</textarea>)?\s*<span class="field-error">([^<]*)<'):
        match = re.search(pattern, html)
        if match:
            return match.group(1)
    return ""


@pytest.fixture
def unit(make):
    """An approved unit."""
    return make.unit(name="中国石化测试分公司")


@pytest.fixture
def unit_client(client, auth, unit):
    """A client logged in as the unit."""
    auth.login(client, unit.user)
    return client


@pytest.fixture
def admin_client(app, auth, make):
    """A client logged in as a secretariat clerk."""
    clerk = make.secretariat()
    client = app.test_client()
    auth.login(client, clerk)
    return client


@pytest.fixture
def year(app):
    """The open filing year."""
    with app.app_context():
        return filing_period().year


@pytest.fixture
def link(app, unit):
    """The group link path of an invitation of the unit."""
    with app.app_context():
        invitation = invite_service.create_invitation(db.session.get(Unit, unit.id), {
            "enterprise_name": "燕山石化", "contact": "李四", "email": "ent@example.com", "phone": "13800000000"})
        db.session.commit()
        return f"/invite/g/{invite_service.link_token(invitation, 'group')}"


# ---- xlsx files holding what openpyxl will not write -----------------------------------------------

def _escape(text):
    """Control characters as the _xHHHH_ escapes Excel writes (openpyxl refuses them raw)."""
    return re.sub("[\x00-\x1f\x7f]", lambda m: f"_x{ord(m.group()):04X}_", text)


def group_xlsx(rows, patches=()):
    """The downloaded template filled with rows (dicts label → value), control characters written as Excel's
    _x0001_ escapes; `patches` [(pattern, replacement)] edit the sheet's XML afterwards."""
    book = openpyxl.load_workbook(io.BytesIO(build_template("group")))
    sheet = book.worksheets[0]
    labels = [c.value for c in sheet[1]]
    for r, row in enumerate(rows, start=2):
        for col, label in enumerate(labels, start=1):
            value = row.get(label)
            if value is not None:
                sheet.cell(row=r, column=col, value=_escape(value) if isinstance(value, str) else value)
    buffer = io.BytesIO()
    book.save(buffer)
    if not patches:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for pattern, replacement in patches:
                    data = re.sub(pattern, replacement, data, count=1)
            target.writestr(info, data)
    return out.getvalue()


def group_rows(n, changes=None):
    """n valid rows; changes {row number (1-based): {label: value}}."""
    rows = [{"小组名称": f"攻关QC小组{i}", "课题名称": "降低装置能耗", "课题类型": "创新型", "成立时间": "2024-03-01",
             "小组长": "王五", "小组人数": 7, "联系人": "王五", "手机": "13912345678",
             "电子邮箱": f"qc{i}@example.com"} for i in range(1, n + 1)]
    for number, values in (changes or {}).items():
        rows[number - 1].update(values)
    return rows


def upload(client, url, data):
    return client.post(url, data={"file": (io.BytesIO(data), "备案.xlsx")}, headers=HX,
                       content_type="multipart/form-data")


# ---- item 1: control characters refused at input ---------------------------------------------------

@pytest.mark.parametrize("ch", CONTROLS)
def test_the_filing_form_refuses_a_control_character_beside_the_field(app, unit_client, ch):
    response = unit_client.post("/groups/new", headers=HX, data=dict(GROUP_FORM, group_name=f"攻关{ch}QC小组",
                                                                     submission_key=f"k{ord(ch)}"))
    assert response.status_code == 422
    assert _field_error(response.text, "group_name") == f"小组名称{CONTROL_MESSAGE}（常见于从其他系统复制的内容），请删除后重新输入。"
    assert 'value="降低能耗"' in response.text  # the rest as typed
    assert _count(app) == 0


def test_a_nul_in_a_form_is_refused_with_a_chinese_message(app, unit_client):
    response = unit_client.post("/groups/new", headers=HX, data=dict(GROUP_FORM, group_name="攻关\x00QC小组"))
    assert response.status_code == 400 and "控制字符（NUL）" in response.text
    assert _count(app) == 0


def test_names_are_still_kept_exactly_as_typed(app, unit_client):
    response = unit_client.post("/groups/new", headers=HX, data=dict(
        GROUP_FORM, group_name=PUNCTUATED, topic="降低\t能耗", remark="第一行\r\n第二行", submission_key="k"))
    assert response.status_code == 204, response.text
    with app.app_context():
        row = db.session.scalars(select(QcGroupFiling)).one()
        assert row.group_name == PUNCTUATED and row.topic == "降低 能耗" and row.remark == "第一行\r\n第二行"


def test_the_link_form_refuses_a_control_character(app, client, link):
    data = dict(GROUP_FORM, contact="王\x02五", submission_key="k")
    response = client.post(link + "/add", headers=HX, data=data)
    assert response.status_code == 422
    assert _field_error(response.text, "contact").startswith(f"联系人{CONTROL_MESSAGE}")
    assert _count(app) == 0


@pytest.mark.parametrize("rows", [5, 100])  # 100 rows: the column-at-a-time fast paths of the import
def test_the_import_names_row_and_column_of_a_control_character(app, unit_client, rows):
    changes = {3: {"小组名称": "攻关\x01QC小组"}, 4: {"备注": "\x00"}, 5: {"电子邮箱": "a\x07b@example.com"}}
    if rows > 5:
        changes[70] = {"课题名称": "降低\x1f能耗", "小组长": "王\x7f五"}
    response = upload(unit_client, "/groups/import", group_xlsx(group_rows(rows, changes)))
    assert response.status_code == 422, response.text[:2000]
    text = response.text
    assert f"第 4 行 「小组名称」: 小组名称{CONTROL_MESSAGE}" in text
    assert f"第 5 行 「备注」: 备注{CONTROL_MESSAGE}" in text  # NUL: a message on PostgreSQL too, not a 500
    assert f"第 6 行 「电子邮箱」: 电子邮箱{CONTROL_MESSAGE}" in text
    if rows > 5:
        assert "第 71 行 「课题名称」" in text and "第 71 行 「小组长」" in text
    assert _count(app) == 0


TEXT_SPECS = [spec for kind in ("group", "team") for spec in fields_for(kind)
              if spec.type in ("name", "team_name", "text", "email")]


@pytest.mark.parametrize("spec", TEXT_SPECS, ids=lambda spec: f"{spec.name}-{spec.type}")
def test_every_fast_path_sends_a_control_character_to_the_full_cleaner(spec):
    good = "qc@example.com" if spec.type == "email" else ("运行一班" if spec.type == "team_name" else "攻关小组")
    for ch in ("\x00", "\x01", "\x1f", "\x7f"):
        bad = good.replace("@", f"{ch}@") if spec.type == "email" else good[:2] + ch + good[2:]
        for shape in ("plain", "full-width elsewhere", "empty cells", "few rows"):
            values = [good] * (10 if shape == "few rows" else 100)
            if shape == "full-width elsewhere":
                values[1] = "ＱＣ" + good
            elif shape == "empty cells":
                values[2] = None
            values[5] = bad
            cleaned = fast_column(spec, values)
            assert cleaned[5] is SLOW and cleaned[0] == good, (ch, shape)
        with pytest.raises(FieldProblem, match=f"{spec.label}{CONTROL_MESSAGE}"):
            slow_value(spec, bad)


def test_a_nul_in_an_imported_cell_is_a_message_on_every_backend(app, unit_client):
    response = upload(unit_client, "/groups/import", group_xlsx(group_rows(2, {2: {"小组名称": "攻关\x00小组"}})))
    assert response.status_code == 422, (backend_of(app), response.text[:2000])
    assert f"第 3 行 「小组名称」: 小组名称{CONTROL_MESSAGE}" in response.text
    assert _count(app) == 0


def test_the_link_import_refuses_a_control_character(app, client, link):
    response = upload(client, link + "/import", group_xlsx(group_rows(2, {1: {"联系人": "王\x1b五"}})))
    assert response.status_code == 422
    assert f"第 2 行 「联系人」: 联系人{CONTROL_MESSAGE}" in response.text
    assert _count(app) == 0


def test_registration_refuses_control_characters_naming_the_field(app, client, captcha_answer):
    key = staged_key(upload_license(client, make_png()))
    data = registration_data(license_key=key, name="山东\x01测试石化有限公司", address="济南市\x0b经十路1号")
    response = client.post("/register/form", data=data, headers=HX)
    assert response.status_code == 422
    assert _field_error(response.text, "name").startswith(f"申报单位名称{CONTROL_MESSAGE}")
    assert _field_error(response.text, "address").startswith(f"通讯地址{CONTROL_MESSAGE}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_the_profile_refuses_control_characters(app, unit, unit_client):
    form = {"name": unit.name, "credit_code": unit.credit_code, "contact": "李\x1b[31m四",
            "mobile": "13800001111",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": "new@example.com"}
    response = unit_client.post("/profile", data=form, headers=HX)
    assert response.status_code == 422
    assert _field_error(response.text, "contact").startswith(f"联系人{CONTROL_MESSAGE}")
    with app.app_context():
        assert db.session.get(Unit, unit.id).contact == "张三"


def test_adding_an_invitation_refuses_control_characters(app, unit_client):
    response = unit_client.post("/invite/", headers=HX, data={
        "enterprise_name": "燕山\x05石化", "contact": "李四", "email": "ent@example.com", "phone": "13800000000"})
    assert response.status_code == 422
    assert f"被邀企业名称{CONTROL_MESSAGE}" in response.text
    assert _count(app, Invitation) == 0


def test_the_year_settings_theme_refuses_control_characters(app, admin_client):
    data = {"year": "2024", "theme": "绿色低碳\x01创新赋能", "filing_deadline": "2023-12-31",
            "declaration_start": "2024-03-25", "declaration_end": "2024-04-30",
            "earliest_completion": "2023-05-01", "declaration_year": "2024"}
    response = admin_client.post("/admin/settings", data=data, headers=HX)
    assert response.status_code == 422
    assert f"年度活动主题{CONTROL_MESSAGE}" in response.text
    with app.app_context():
        setting = db.session.get(YearSetting, 2024)
        assert setting is None or setting.theme != data["theme"]


def test_the_secretariat_forms_refuse_control_characters(app, admin_client):
    notice = admin_client.post("/admin/notices/new", headers=HX, content_type="multipart/form-data",
                               data={"title": "关于\x01申报的通知", "body": "正文\x1b[2J", "is_published": "1"})
    assert notice.status_code == 422
    assert f"标题{CONTROL_MESSAGE}" in notice.text and f"正文{CONTROL_MESSAGE}" in notice.text
    account = admin_client.post("/admin/accounts", headers=HX, data={
        "role": "secretariat", "username": "pan2024", "display_name": "潘\x08蕊", "email": "pan@example.com",
        "password": "abc12345", "password_confirm": "abc12345"})
    assert account.status_code == 422 and f"姓名{CONTROL_MESSAGE}" in account.text
    assert _count(app, Notice) == 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "pan2024")) is None


# ---- item 1: the writers survive rows stored before the check -------------------------------------

def _stored_controls(app):
    """Control characters a row may hold (PostgreSQL itself refuses NUL in text)."""
    return "\x01\x1f\x7f" if backend_of(app) == "postgresql" else "\x00\x01\x1f\x7f"


def _workbook_cells(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {cell.value: cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None}


def test_the_unit_summary_xlsx_survives_control_characters_stored_before(app, make, auth, client, year):
    bad = _stored_controls(app)
    unit = make.unit(name=f"测试{bad}化工")
    make.group(unit, year=year, enterprise_name=f"燕山{bad}石化", group_name=f"甲{bad}乙QC小组",
               topic=f'={bad}HYPERLINK("http://evil")', leader=f"{bad}-王五", remark=f"@{bad}SUM(1)")
    auth.login(client, unit.user)
    response = client.get("/groups/summary.xlsx")
    assert response.status_code == 200
    assert "%E6%B5%8B%E8%AF%95%E5%8C%96%E5%B7%A5" in response.headers["Content-Disposition"]  # 测试化工
    cells = _workbook_cells(response.data)
    assert "甲乙QC小组" in cells and "燕山石化" in cells
    assert any(isinstance(v, str) and "测试化工" in v for v in cells)
    for formula in ('=HYPERLINK("http://evil")', "-王五", "@SUM(1)"):
        assert cells[formula].data_type == "s" and cells[formula].quotePrefix, formula


def test_the_secretariat_export_survives_control_characters_stored_before(app, make, admin_client):
    bad = _stored_controls(app)
    unit = make.unit(name=f"测试{bad}化工")
    make.group(unit, year=2025, group_name=f"甲{bad}乙QC小组", topic="降低能耗", leader=f"={bad}1+1")
    make.team(unit, year=2025, team_name=f"运行{bad}一班", contact=f"+{bad}赵六")
    response = admin_client.get("/admin/filings/export?year=2025")
    assert response.status_code == 200
    cells = _workbook_cells(response.data)
    assert {"甲乙QC小组", "运行一班", "测试化工"} <= set(cells)
    assert cells["=1+1"].data_type == "s" and cells["=1+1"].quotePrefix
    assert cells["+赵六"].data_type == "s"


@pytest.mark.parametrize("ch", [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127, 0xFFFE, 0xFFFF)])
def test_the_safe_row_writer_writes_a_valid_file_for_every_control_character(ch):
    book = Workbook(write_only=True)
    writer = SafeRowWriter(book.create_sheet("表"))
    writer.row(["序号", f"甲{ch}乙", f"={ch}1+1", f"{ch}=2+2", "制表\t换行\n回车\r"])
    buffer = io.BytesIO()
    book.save(buffer)
    (row,) = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows()
    assert [c.value for c in row] == ["序号", "甲乙", "=1+1", "=2+2", "制表\t换行\n回车\r"]
    assert row[2].data_type == "s" and row[2].quotePrefix and row[3].quotePrefix


# ---- item 4: digits that are no ASCII digits ----------------------------------------------------------

@pytest.mark.parametrize("digits", LOOKALIKES)
def test_the_filing_form_answers_a_lookalike_digit_with_a_message(app, unit_client, digits):
    response = unit_client.post("/groups/new", headers=HX, data=dict(GROUP_FORM, member_count=digits,
                                                                     submission_key="k"))
    assert response.status_code == 422
    assert _field_error(response.text, "member_count").startswith("小组人数应为整数")
    assert _count(app) == 0


def test_full_width_digits_are_still_numbers(app, unit_client):
    response = unit_client.post("/groups/new", headers=HX, data=dict(GROUP_FORM, member_count="１２",
                                                                     submission_key="k"))
    assert response.status_code == 204
    with app.app_context():
        assert db.session.scalars(select(QcGroupFiling.member_count)).one() == 12


@pytest.mark.parametrize("digits", ["፩", "²"])
def test_the_link_form_answers_a_lookalike_digit_with_a_message(app, client, link, digits):
    data = dict(GROUP_FORM, member_count=digits, submission_key="k")
    response = client.post(link + "/add", headers=HX, data=data)
    assert response.status_code == 422
    assert _field_error(response.text, "member_count").startswith("小组人数应为整数")


@pytest.mark.parametrize("digits", ["፩", "²", "７人"])
def test_the_import_answers_a_lookalike_digit_by_row_and_column(app, unit_client, digits):
    data = group_xlsx(group_rows(2, {2: {"小组人数": digits}}))
    response = upload(unit_client, "/groups/import", data)
    if digits == "７人":  # full-width with the unit: still a number
        assert response.status_code == 200 and _count(app) == 2
        return
    assert response.status_code == 422
    assert "第 3 行 「小组人数」: 小组人数应为整数" in response.text
    assert _count(app) == 0


def test_a_lookalike_row_number_in_the_sheet_xml_is_no_500(app, unit_client):
    # a cell without r= sends the guard to its strict scan, which reads every <row r="..."> (it held: kept)
    patches = [(rb'<row r="3"', '<row r="²"'.encode()), (rb'<c r="A3"', b"<c")]
    data = group_xlsx(group_rows(2), patches=patches)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert '<row r="²"'.encode() in archive.read("xl/worksheets/sheet1.xml")
    response = upload(unit_client, "/groups/import", data)
    assert response.status_code in (200, 422), response.text[:2000]


@pytest.mark.parametrize("digits", ["፩", "²"])
def test_invite_counts_ignores_lookalike_ids(unit_client, digits):
    response = unit_client.get(f"/invite/counts?ids=1,{digits},{digits}{digits},2")
    assert response.status_code == 200


@pytest.mark.parametrize("field, digits, message", [
    ("year", "፩", "年度应为2000至2100之间的四位年份"),
    ("year", "²⁰²⁴", "年度应为2000至2100之间的四位年份"),
    ("declaration_year", "፩", "当前申报年度应为2000至2100之间的四位年份"),
    ("publicity_days", "²", "公示期（天）应为1至365之间的整数"),
    ("resubmit_days", "፩", "退回修改期限（天）应为1至365之间的整数"),
])
def test_the_year_settings_answer_a_lookalike_digit_with_a_message(admin_client, field, digits, message):
    data = {"year": "2024", "theme": "主题", "filing_deadline": "2023-12-31", "declaration_start": "2024-03-25",
            "declaration_end": "2024-04-30", "earliest_completion": "2023-05-01", "declaration_year": "2024",
            field: digits}
    response = admin_client.post("/admin/settings", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.text


@pytest.mark.parametrize("digits", ["፩", "²"])
def test_the_unit_year_figures_answer_a_lookalike_digit_with_a_message(unit_client, digits):
    figures = {"group_total": digits, "team_total": "1", "staff_total": "100", "qc_participants": "20"}
    response = unit_client.post("/groups/settings", data=figures, headers=HX)
    assert response.status_code == 422 and "请输入0或正整数" in response.text


@pytest.mark.parametrize("digits", ["፩", "²", "9" * 5000])
def test_page_numbers_and_query_ids_never_500(unit_client, admin_client, link, digits):
    for client, url in ((unit_client, f"/groups/?page={digits}"), (unit_client, f"/invite/?page={digits}"),
                        (unit_client, f"/groups/summary?page={digits}"),
                        (unit_client, f"{link}/list?page={digits}"),
                        (admin_client, f"/admin/filings?year={digits}&page={digits}"),
                        (admin_client, f"/admin/settings?year={digits}")):
        response = client.get(url)
        assert response.status_code < 500, url
