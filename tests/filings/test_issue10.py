"""Issue 10 on 小组备案 / 班组备案: date hints and no future 成立时间, a read-only record, 删除 and 设置
closed after the deadline, and a printable 汇总表 with every row."""
import re
from datetime import date, timedelta

from sqlalchemy import insert, select

from app.core.clock import china_today
from app.core.extensions import db
from app.core.settings import set_open_filing_year
from app.filings.fields import GROUP_FIELDS, FieldProblem, clean_value
from app.models import QcGroupFiling, UnitYearStat
from tests.filings.conftest import group_rows, upload, xlsx_bytes

FORM = {"enterprise_name": "中国石化测试分公司", "group_name": "攻关QC小组", "topic": "降低能耗",
        "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
        "contact": "王五", "mobile": "13912345678"}
HX = {"HX-Request": "true"}
FOUNDED = next(spec for spec in GROUP_FIELDS if spec.name == "founded_on")


def _close(app, year):
    with app.app_context():
        set_open_filing_year(year, deadline=date(2000, 1, 1))
        db.session.commit()


def test_a_founded_date_after_today_is_refused_with_a_message():
    tomorrow = china_today() + timedelta(days=1)
    try:
        clean_value(FOUNDED, tomorrow.isoformat())
        raise AssertionError("a future 成立时间 was accepted")
    except FieldProblem as problem:
        assert "成立时间不能晚于今天" in str(problem)
    assert clean_value(FOUNDED, china_today().isoformat()) == china_today()


def test_the_form_refuses_a_future_founded_date_and_the_picker_stops_at_today(unit_client, app):
    page = unit_client.get("/groups/new").text
    today = china_today().isoformat()
    field = re.search(r'<input[^>]*id="founded_on"[^>]*>', page).group(0)
    assert f'max="{today}"' in field
    assert "点击选择日期" in page and "2024年3月1日" not in page  # a hint that fits a date picker
    future = (china_today() + timedelta(days=30)).isoformat()
    response = unit_client.post("/groups/new", data=dict(FORM, founded_on=future), headers=HX)
    assert response.status_code == 422 and "成立时间不能晚于今天" in response.text
    with app.app_context():
        assert db.session.execute(select(QcGroupFiling)).first() is None


def test_the_import_refuses_a_future_founded_date_too(unit_client, app):
    rows = group_rows(1, 成立时间=(china_today() + timedelta(days=3)).isoformat())
    response = upload(unit_client, "/groups/import", xlsx_bytes("group", rows))
    assert response.status_code == 422 and "成立时间不能晚于今天" in response.text


def test_one_record_can_be_read_without_editing(unit_client, unit, make, year):
    filing = make.group(unit, year=year, group_name="攻关QC小组（一车间）", remark="第一行\n第二行")
    listing = unit_client.get("/groups/").text
    assert f'href="/groups/{filing.id}"' in listing
    page = unit_client.get(f"/groups/{filing.id}").text
    for text in ("攻关QC小组（一车间）", filing.reg_no, "课题名称", "降低装置能耗", "2024年3月1日", "第一行\n第二行",
                 ">修改</a>", ">删除</button>"):
        assert text in page
    main = page.split("<main", 1)[1]
    assert not re.search(r'<input(?![^>]*type="hidden")', main) and "<textarea" not in main  # nothing to type


def test_a_foreign_record_is_404(unit_client, make, year):
    other = make.unit()
    assert unit_client.get(f"/groups/{make.group(other, year=year).id}").status_code == 404


def test_after_the_deadline_delete_is_closed_like_edit(unit_client, unit, make, year, app):
    filing = make.group(unit, year=year)
    _close(app, year)
    listing = unit_client.get("/groups/").text
    assert "/delete" not in listing and "/edit" not in listing
    view = unit_client.get(f"/groups/{filing.id}").text
    assert ">删除</button>" not in view and "备案已截止" in view
    response = unit_client.post(f"/groups/{filing.id}/delete", headers=HX)
    assert response.status_code == 403 and "备案已截止" in response.text
    with app.app_context():
        assert db.session.get(QcGroupFiling, filing.id) is not None


def test_after_the_deadline_settings_are_closed_too(unit_client, unit, year, app):
    _close(app, year)
    page = unit_client.get("/groups/settings").text
    assert "备案已截止" in page and ">提交</button>" not in page
    figures = {"group_total": 9, "team_total": 1, "staff_total": 100, "qc_participants": 20}
    response = unit_client.post("/groups/settings", data=figures, headers=HX)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(UnitYearStat, (unit.id, year)) is None


def test_the_printed_summary_has_every_row_the_unit_the_date_and_a_seal_line(unit_client, unit, app, year,
                                                                           count_queries):
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), [dict(
            unit_id=unit.id, year=year, reg_no=f"QC-{year}-{i:06d}", enterprise_name=f"企业（{i % 3}）",
            group_name=f"小组{i}", topic="课题", topic_type="创新型", founded_on=date(2024, 1, 1), leader="王五",
            member_count=5, contact="王五", mobile="13912345678") for i in range(1, 46)])
        db.session.commit()
    summary = unit_client.get("/groups/summary").text
    assert 'href="/groups/summary/print"' in summary and ">打印</a>" in summary
    with count_queries() as queries:
        page = unit_client.get("/groups/summary/print").text
    assert page.count('<tr><td class="num">') >= 45
    assert f"QC-{year}-000045" in page and f"QC-{year}-000001" in page
    assert unit.name in page and china_today().strftime("%Y年").lstrip("0") in page
    assert "打印日期" in page and "（盖章）" in page and "data-print" in page
    assert len(queries) < 15
    css = open("app/static/css/app.css", encoding="utf-8").read()
    printed = css[css.index("@media print"):]
    hidden_rule = printed.split("{", 2)[1]  # the first rule inside @media print
    for hidden in (".navbar", ".site-footer", ".btn", ".toolbar"):
        assert hidden in hidden_rule
    assert "thead { display: table-header-group; }" in printed
