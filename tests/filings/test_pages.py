"""小组备案 / 班组备案 pages: list, filters, forms, 设置, delete, summary, export, deadline, query counts."""
import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, insert, select

from app.core.extensions import db
from app.core.settings import set_open_filing_year
from app.models import AuditLog, QcGroupFiling, TeamFiling, UnitYearStat

FORM = {"enterprise_name": "中国石化测试分公司", "group_name": "攻关QC小组", "topic": "降低能耗",
        "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
        "contact": "王五", "mobile": "13912345678"}
HX = {"HX-Request": "true"}


def bulk_groups(app, unit, year, n, enterprise=None, start=0):
    """Insert n group filings directly (fast)."""
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), [dict(
            unit_id=unit.id, year=year, reg_no=f"QC-{year}-{start + i:06d}",
            enterprise_name=enterprise or unit.name,
            group_name=f"小组{start + i}", topic="课题", topic_type="创新型", founded_on=date(2024, 1, 1),
            leader="王五", member_count=5, contact="王五", mobile="13912345678") for i in range(1, n + 1)])
        db.session.commit()


def test_pages_need_an_approved_unit(client, auth, make):
    assert client.get("/groups/").status_code in (302, 303, 401)
    auth.login(client, make.secretariat())
    assert client.get("/groups/").status_code == 403


def test_index_shows_period_buttons_and_list(unit_client, unit, make, year):
    make.group(unit, year=year, group_name="一号QC小组")
    make.group(unit, year=year - 1, group_name="去年的小组")
    text = unit_client.get("/groups/").data.decode()
    for word in ("当前备案年度", f"{year}年", "设置", "添加", "批量导入", "小组汇总表", "一号QC小组", "hx-confirm"):
        assert word in text
    assert "去年的小组" not in text
    assert "班组汇总表" in unit_client.get("/teams/").data.decode()


def test_search_enterprise_and_invitation_filters(unit_client, unit, make, year, app):
    invitation = make.invitation(unit, enterprise_name="被邀企业甲")
    make.group(unit, year=year, group_name="安全QC小组")
    make.group(unit, year=year, group_name="节能QC小组", enterprise_name="乙公司")
    make.group(unit, year=year, group_name="邀请来的QC小组", enterprise_name="被邀企业甲", invitation_id=invitation.id)
    list_headers = dict(HX, **{"HX-Target": "filing-list"})
    get = lambda qs: unit_client.get("/groups/?" + qs, headers=list_headers).data.decode()  # noqa: E731
    assert "安全QC小组" in get("q=安全") and "节能QC小组" not in get("q=安全")
    assert "节能QC小组" in get("q=乙公") and "安全QC小组" not in get("q=乙公")
    only = get("enterprise=乙公司")
    assert "节能QC小组" in only and "安全QC小组" not in only
    invited = unit_client.get(f"/groups/?invitation={invitation.id}").data.decode()
    assert "邀请来的QC小组" in invited and "安全QC小组" not in invited and "被邀企业甲" in invited
    other = make.unit()
    foreign = make.invitation(other)
    assert unit_client.get(f"/groups/?invitation={foreign.id}").status_code == 404


def test_add_form_saves_with_number_and_errors_stay_beside_fields(unit_client, app, year):
    page = unit_client.get("/groups/new").data.decode()
    assert 'value="中国石化测试分公司"' in page  # defaults to the unit's own name
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    bad = unit_client.post("/groups/new", data=dict(FORM, mobile="1234", submission_key=key), headers=HX)
    assert bad.status_code == 422
    text = bad.data.decode()
    assert "请输入11位手机号码" in text and 'value="降低能耗"' in text  # kept what was typed
    ok = unit_client.post("/groups/new", data=dict(FORM, submission_key=key), headers=HX)
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == "/groups/"
    again = unit_client.post("/groups/new", data=dict(FORM, submission_key=key), headers=HX)
    assert again.status_code == 204  # the double submit created nothing more
    with app.app_context():
        rows = db.session.scalars(select(QcGroupFiling)).all()
        assert len(rows) == 1 and rows[0].reg_no == f"QC-{year}-000001"
    dup = unit_client.post("/groups/new", data=dict(FORM, submission_key="another-key-123"), headers=HX)
    assert dup.status_code == 422 and "已存在" in dup.data.decode()


def test_team_form_explains_the_name_rule(unit_client, app):
    data = {"enterprise_name": "某公司", "team_name": "运行队", "department": "炼油部", "leader": "赵六",
            "member_count": "12", "contact": "赵六", "mobile": "13912345678", "landline": "010-84885418"}
    response = unit_client.post("/teams/new", data=data, headers=HX)
    assert response.status_code == 422 and "“**班”、“**组”、“**工段”或“**室”结尾" in response.data.decode()
    response = unit_client.post("/teams/new", data=dict(data, team_name="运行一班"), headers=HX)
    assert response.status_code == 204
    with app.app_context():
        assert db.session.scalars(select(TeamFiling)).one().reg_no.startswith("BZ-")


def test_edit_and_delete_are_scoped_and_audited(unit_client, unit, make, app, year):
    mine = make.group(unit, year=year, group_name="我的QC小组")
    other = make.unit()
    theirs = make.group(other, year=year)
    assert unit_client.get(f"/groups/{theirs.id}/edit").status_code == 404
    assert unit_client.post(f"/groups/{theirs.id}/delete", headers=HX).status_code == 404
    assert unit_client.get(f"/teams/{mine.id}/edit").status_code == 404  # a group id is no team
    page = unit_client.get(f"/groups/{mine.id}/edit").data.decode()
    assert 'value="我的QC小组"' in page
    form = dict(FORM, group_name="改名QC小组", enterprise_name=unit.name)
    assert unit_client.post(f"/groups/{mine.id}/edit", data=form, headers=HX).status_code == 204
    response = unit_client.post(f"/groups/{mine.id}/delete", headers=HX)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["HX-Trigger"] == "filings-changed"
    assert unit_client.post(f"/groups/{theirs.id}/delete", headers=HX, csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(QcGroupFiling, mine.id) is None
        assert db.session.get(QcGroupFiling, theirs.id) is not None
        log = db.session.scalars(select(AuditLog).where(AuditLog.action == "group_filing.delete")).one()
        assert mine.reg_no in log.summary


def test_settings_form_then_shown_on_the_page(unit_client, unit, app, year):
    assert "本单位当年开展活动的小组总数" in unit_client.get("/groups/settings").data.decode()
    bad = unit_client.post("/groups/settings", headers=HX, data={
        "group_total": "x", "team_total": "1", "staff_total": "10", "qc_participants": "20"})
    assert bad.status_code == 422 and "请输入0或正整数" in bad.data.decode()
    data = {"group_total": "12", "team_total": "3", "staff_total": "500", "qc_participants": "80"}
    assert unit_client.post("/groups/settings", data=data, headers=HX).status_code == 204
    with app.app_context():
        stat = db.session.get(UnitYearStat, (unit.id, year))
        assert (stat.group_total, stat.team_total, stat.staff_total, stat.qc_participants) == (12, 3, 500, 80)
    page = unit_client.get("/teams/").data.decode()
    assert "参加QC小组人数" in page and ">80<" in page


def test_summary_and_formula_safe_export(unit_client, unit, make, app, year):
    make.group(unit, year=year, group_name="=HYPERLINK(\"http://evil\",\"x\")", member_count=5)
    make.group(unit, year=year, group_name="+1+2", member_count=6, remark="@SUM(A1)")
    make.group(unit, year=year, group_name="正常小组", enterprise_name="乙公司", member_count=7, leader="-王五")
    page = unit_client.get("/groups/summary").data.decode()
    assert "按企业汇总" in page and "乙公司" in page and "合计（2 家企业）" in page
    assert '<th class="num" id="total-records">3</th>' in page
    response = unit_client.get("/groups/summary.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    expected = f"{year}年小组备案汇总表-中国石化测试分公司.xlsx"
    from urllib.parse import quote
    assert "filename*=UTF-8''" + quote(expected) in disposition
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    summary, details = book.worksheets
    values = [[c.value for c in row] for row in summary.iter_rows()]
    assert ["合计", None, 3, 18] in values
    names = [row[3].value for row in details.iter_rows(min_row=2)]
    assert "=HYPERLINK(\"http://evil\",\"x\")" in names and "+1+2" in names
    formula_cell = next(row[3] for row in details.iter_rows(min_row=2) if row[3].value.startswith("="))
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix


def test_closed_year_pages_say_deadline_passed(unit_client, unit, make, app, year):
    filing = make.group(unit, year=year)
    with app.app_context():
        set_open_filing_year(year, deadline=date(2020, 12, 31))
        db.session.commit()
    assert "备案已截止" in unit_client.get("/groups/").data.decode()
    assert "备案已截止" in unit_client.get("/groups/new").data.decode()
    assert "备案已截止" in unit_client.get("/groups/import").data.decode()
    response = unit_client.post("/groups/new", data=FORM, headers=HX)
    assert response.status_code == 422 and "备案已截止" in response.data.decode()
    response = unit_client.post(f"/groups/{filing.id}/edit", headers=HX,
                                data=dict(FORM, enterprise_name=unit.name))
    assert response.status_code == 422 and "备案已截止" in response.data.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QcGroupFiling)) == 1


@pytest.mark.parametrize("path", ["/groups/", "/groups/summary", "/groups/?q=小组&enterprise=x"])
def test_query_count_does_not_grow_with_rows(unit_client, unit, app, year, count_queries, path):
    bulk_groups(app, unit, year, 3)
    unit_client.get(path)
    with count_queries() as few:
        assert unit_client.get(path).status_code == 200
    bulk_groups(app, unit, year, 300, enterprise="乙公司", start=10)
    with count_queries() as many:
        assert unit_client.get(path).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 10


def test_summary_links_and_filter_options_are_escaped(unit_client, unit, make, year):
    make.group(unit, year=year, enterprise_name="<b>甲&乙</b>公司")
    make.group(unit, year=year, enterprise_name="普通公司")
    page = unit_client.get("/groups/summary").data.decode()
    assert "<b>甲" not in page and "&lt;b&gt;甲&amp;乙&lt;/b&gt;公司" in page
    assert "?enterprise=%3Cb%3E%E7%94%B2%26" in page and "?enterprise=普通公司" in page
    listing = unit_client.get("/groups/?enterprise=普通公司").data.decode()
    assert '<option value="普通公司" selected>普通公司</option>' in listing
    assert '<option value="&lt;b&gt;甲&amp;乙&lt;/b&gt;公司">' in listing
