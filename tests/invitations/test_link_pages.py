"""The enterprise's link pages: filing by form and by import, and every way a link stops working."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from app.core.extensions import db
from app.filings.models import SOURCE_LINK_FORM, SOURCE_LINK_IMPORT
from app.filings.xlsx.template import build_template
from app.models import QcGroupFiling, TeamFiling
from tests.invitations.conftest import GROUP_DATA

HX = {"HX-Request": "true"}


def _key(html):
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


def _groups(app, **where):
    query = select(QcGroupFiling)
    for key, value in where.items():
        query = query.where(getattr(QcGroupFiling, key) == value)
    with app.app_context():
        return db.session.execute(query).scalars().all()


def test_link_page_shows_inviter_enterprise_period_and_both_ways(client, make, invite, open_year):
    unit = make.unit(name="中国石化联合会测试单位")
    inv = invite(unit, name="燕山石化")
    response = client.get(inv.path("group"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "中国石化联合会测试单位" in html and "燕山石化" in html
    assert f"{open_year}年度质量管理小组登记备案" in html and "备案截止时间" in html
    assert "<summary>添加</summary>" in html and "<summary>批量导入</summary>" in html
    assert re.search(r'id="enterprise_name"[^>]*readonly', html) or re.search(r'readonly[^>]*id="enterprise_name"', html)
    assert "下载导入模板" in html
    assert "被邀请企业无法管理登记备案的信息。被邀请企业如需修改相关信息，请联系组织单位邀请人。" in html
    assert "尚未登记备案小组" in html
    team = client.get(inv.path("team")).get_data(as_text=True)
    assert "质量信得过班组登记备案" in team and "班组名称" in team


def test_filing_through_the_link_fixes_the_enterprise(client, make, invite, app, open_year):
    unit = make.unit()
    inv = invite(unit, name="燕山石化")
    key = _key(client.get(inv.path("group")).get_data(as_text=True))
    data = dict(GROUP_DATA, enterprise_name="别的公司", submission_key=key)
    response = client.post(inv.path("group") + "/add", headers=HX, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "link-filings-changed" in response.headers["HX-Trigger"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    assert "已添加“降本增效QC小组”" in html and _key(html) != key  # a fresh form with a new key
    (filing,) = _groups(app, )
    assert filing.enterprise_name == "燕山石化" and filing.invitation_id == inv.id
    assert filing.unit_id == unit.id and filing.year == open_year and filing.source == SOURCE_LINK_FORM
    listing = client.get(inv.path("group") + "/list", headers=HX).get_data(as_text=True)
    assert "降本增效QC小组" in listing and filing.reg_no in listing


def test_double_submit_creates_one_record(client, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    key = _key(client.get(inv.path("group")).get_data(as_text=True))
    data = dict(GROUP_DATA, submission_key=key)
    first = client.post(inv.path("group") + "/add", headers=HX, data=data)
    second = client.post(inv.path("group") + "/add", headers=HX, data=data)  # double click / back-and-resubmit
    assert first.status_code == second.status_code == 200
    assert len(_groups(app, )) == 1


def test_same_group_name_twice_is_refused_clearly(client, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    for expected in (200, 422):
        key = _key(client.get(inv.path("group")).get_data(as_text=True))
        response = client.post(inv.path("group") + "/add", headers=HX, data=dict(GROUP_DATA, submission_key=key))
        assert response.status_code == expected
    html = response.get_data(as_text=True)
    assert "已存在" in html and 'value="降本增效QC小组"' in html
    assert len(_groups(app, )) == 1


def test_invalid_form_keeps_input(client, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    key = _key(client.get(inv.path("group")).get_data(as_text=True))
    response = client.post(inv.path("group") + "/add", headers=HX,
                           data=dict(GROUP_DATA, mobile="123", submission_key=key))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="123"' in html and "field-error" in html
    assert _groups(app, ) == []


def _filled_template(kind, rows):
    workbook = load_workbook(io.BytesIO(build_template(kind)))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _group_row(n):
    return {"小组名称": f"导入QC小组{n}", "课题名称": "提高收率", "课题类型": "创新型", "成立时间": "2024-03-01",
            "小组长": "王五", "小组人数": 5, "联系人": "王五", "手机": "13912345678"}


def test_import_through_the_link(client, make, invite, app):
    unit = make.unit()
    inv, other = invite(unit, name="燕山石化"), invite(unit)
    response = client.get(inv.path("group") + "/template")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    with app.app_context():
        content = _filled_template("group", [_group_row(n) for n in range(3)])
    response = client.post(inv.path("group") + "/import", headers=HX,
                           data={"file": (io.BytesIO(content), "小组.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "共导入 3 条" in response.get_data(as_text=True)
    rows = _groups(app, invitation_id=inv.id)
    assert len(rows) == 3 and {r.source for r in rows} == {SOURCE_LINK_IMPORT}
    assert {r.enterprise_name for r in rows} == {"燕山石化"}
    # a file naming another enterprise is refused, nothing written
    with app.app_context():
        content = _filled_template("group", [dict(_group_row(9), 企业名称="别的公司")])
    response = client.post(other.path("group") + "/import", headers=HX,
                           data={"file": (io.BytesIO(content), "x.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "导入失败" in response.get_data(as_text=True)
    assert _groups(app, invitation_id=other.id) == []
    response = client.post(other.path("group") + "/import", headers=HX, data={},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "请先点击“浏览”选择要导入的文件" in response.get_data(as_text=True)


def test_token_reaches_only_its_own_enterprise(client, make, invite, open_year):
    unit, stranger = make.unit(), make.unit()
    mine, sibling, foreign = invite(unit, name="甲企业"), invite(unit, name="乙企业"), invite(stranger, name="丙企业")
    make.group(unit, year=open_year, invitation_id=mine.id, group_name="甲的小组")
    make.group(unit, year=open_year, invitation_id=sibling.id, group_name="乙的小组")
    make.group(unit, year=open_year, group_name="单位自己的小组")
    make.group(stranger, year=open_year, invitation_id=foreign.id, group_name="丙的小组")
    html = client.get(mine.path("group")).get_data(as_text=True)
    assert "甲的小组" in html
    assert "乙的小组" not in html and "单位自己的小组" not in html and "丙的小组" not in html
    # a group token is not a team token, and tokens are not interchangeable between kinds
    assert client.get(f"/invite/t/{mine.group_token}").status_code == 404
    assert client.get(f"/invite/g/{mine.team_token}").status_code == 404


def test_unknown_link_says_invalid_with_secretariat_contact(client, make, app):
    response = client.get("/invite/g/" + "A" * 43)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "链接已失效" in html
    assert "010-84885418" in html and "qccpcif@126.com" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    response = client.post("/invite/g/" + "A" * 43 + "/add", headers=HX, data=GROUP_DATA)
    assert response.status_code == 404 and "链接已失效" in response.get_data(as_text=True)
    assert _groups(app, ) == []


def test_replaced_link_is_refused_with_the_units_contact(client, auth, make, invite, app):
    unit = make.unit(name="邀请单位甲", contact="周联系", mobile="13700001111")
    inv = invite(unit)
    old_page = client.get(inv.path("group")).get_data(as_text=True)
    key = _key(old_page)
    owner = client.application.test_client()
    auth.login(owner, unit.user)
    owner.post(f"/invite/{inv.id}/link/group/regenerate", headers=HX)
    response = client.get(inv.path("group"))
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "链接已失效" in html and "邀请单位甲" in html and "周联系" in html and "13700001111" in html
    assert "<summary>添加</summary>" not in html
    response = client.post(inv.path("group") + "/add", headers=HX, data=dict(GROUP_DATA, submission_key=key))
    assert response.status_code == 403 and "链接已失效" in response.get_data(as_text=True)
    assert client.get(inv.path("group") + "/template").status_code == 403
    assert _groups(app, ) == []


def test_expired_link_says_closed_and_accepts_nothing(client, make, invite, app, close_filing):
    unit = make.unit(name="邀请单位乙", contact="吴联系")
    inv = invite(unit)
    key = _key(client.get(inv.path("group")).get_data(as_text=True))
    close_filing()
    response = client.get(inv.path("group"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "备案已截止" in html and "邀请单位乙" in html and "吴联系" in html
    assert "<summary>添加</summary>" not in html and "下载导入模板" not in html
    response = client.post(inv.path("group") + "/add", headers=HX, data=dict(GROUP_DATA, submission_key=key))
    assert response.status_code == 403 and "备案已截止" in response.get_data(as_text=True)
    with app.app_context():
        content = _filled_template("group", [_group_row(1)])
    response = client.post(inv.path("group") + "/import", headers=HX,
                           data={"file": (io.BytesIO(content), "x.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert _groups(app, ) == []


def test_guessing_is_rate_limited(client, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    for n in range(30):
        assert client.get(f"/invite/g/guess{n:040d}").status_code == 404
    assert client.get("/invite/g/guess-one-more").status_code == 429
    assert client.get(inv.path("group")).status_code == 429  # a limited address learns nothing
    other = client.application.test_client()
    other.environ_base = {"REMOTE_ADDR": "10.0.0.9"}
    assert other.get(inv.path("group")).status_code == 200


def test_team_link_files_a_team(client, make, invite, app):
    unit = make.unit()
    inv = invite(unit, name="镇海炼化")
    key = _key(client.get(inv.path("team")).get_data(as_text=True))
    data = {"team_name": "常减压运行一班", "department": "炼油一部", "leader": "赵六", "member_count": "12",
            "contact": "赵六", "mobile": "13912345678", "submission_key": key}
    response = client.post(inv.path("team") + "/add", headers=HX, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        team = db.session.execute(select(TeamFiling)).scalar_one()
        assert team.invitation_id == inv.id and team.enterprise_name == "镇海炼化"
    assert _groups(app) == []


def test_link_of_a_disabled_unit_stops_and_accepts_nothing(client, make, invite, app):
    from app.models import User

    unit = make.unit(name="停用测试单位")
    inv = invite(unit, name="燕山石化")
    key = _key(client.get(inv.path("group")).get_data(as_text=True))
    with app.app_context():
        db.session.get(User, unit.user.id).is_enabled = False
        db.session.commit()
    response = client.get(inv.path("group"))
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "链接已失效" in html and "暂停使用" in html and "停用测试单位" in html
    posted = client.post(inv.path("group") + "/add", headers=HX, data=dict(GROUP_DATA, submission_key=key))
    assert posted.status_code in (403, 404, 410)
    assert _groups(app) == []


def _bulk_link_groups(app, unit, inv, year, count, start=0):
    from sqlalchemy import insert

    from tests.secretariat.conftest import group_rows
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), group_rows([unit.id], year, count, start=start,
                                                              invitation_id=inv.id))
        db.session.commit()


def test_link_list_pages_keep_their_place(client, make, invite, app, open_year, count_queries):
    unit = make.unit()
    inv = invite(unit, name="燕山石化")
    _bulk_link_groups(app, unit, inv, open_year, 1)
    with count_queries() as few:
        client.get(inv.path("group"))
    _bulk_link_groups(app, unit, inv, open_year, 44, start=1)  # 45 records: three pages of 20
    with count_queries() as many:
        first = client.get(inv.path("group")).get_data(as_text=True)
    assert len(many) == len(few)
    assert "第 1/3 页" in first and "（共45个）" in first
    # The pager works with htmx (the list alone, address kept in history) and without (anchor to the list).
    assert f'href="{inv.path("group")}?page=2#link-list"' in first
    assert f'hx-get="{inv.path("group")}/list?page=2"' in first
    assert f'hx-push-url="{inv.path("group")}?page=2"' in first
    second = client.get(inv.path("group") + "/list?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in second and "第 2/3 页" in second
    assert '<td class="num" data-label="序号">21</td>' in second
    # The list refreshes itself at the page being read when more is filed.
    assert f'hx-get="{inv.path("group")}/list?page=2"' in second.split(">", 1)[0]
    # A page past the end (records deleted meanwhile) shows the last page, not an empty list.
    late = client.get(inv.path("group") + "/list?page=9", headers=HX).get_data(as_text=True)
    assert "第 3/3 页" in late and "尚未登记备案" not in late
    # Without htmx the list URL leads to the page at that list page (no half-rendered page).
    response = client.get(inv.path("group") + "/list?page=2")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{inv.path('group')}?page=2#link-list")
    assert "第 2/3 页" in client.get(inv.path("group") + "?page=2").get_data(as_text=True)


def test_hostile_page_numbers_on_the_link_list(client, make, invite):
    inv = invite(make.unit())
    for value in (str(2 ** 63), "-5", "0", "abc"):
        assert client.get(f"{inv.path('group')}?page={value}").status_code == 200
        assert client.get(f"{inv.path('group')}/list?page={value}", headers=HX).status_code == 200
