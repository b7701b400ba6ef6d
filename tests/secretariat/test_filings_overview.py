"""备案总览: all filings of a year across units, filters, search, paging, formula-safe xlsx export."""
import io

from openpyxl import load_workbook
from sqlalchemy import insert

from app.core.extensions import db
from app.models import AuditLog, QcGroupFiling, TeamFiling
from tests.secretariat.conftest import group_rows, team_rows


def _data(make):
    js = make.unit(name="江苏化工", province_code="32", industry_code="26")
    sd = make.unit(name="山东炼化", province_code="37", industry_code="25")
    make.group(js, year=2025, group_name="节能降耗QC小组", reg_no="QC-2025-000001")
    make.team(js, year=2025, team_name="聚合一班", reg_no="BZ-2025-000001")
    make.group(sd, year=2025, group_name='=HYPERLINK("http://evil")', reg_no="QC-2025-000002",
               leader="-2+3")
    make.group(sd, year=2024, group_name="往年小组", reg_no="QC-2024-000009")
    return js, sd


def test_filters_and_search(admin_client, make):
    js, sd = _data(make)
    text = admin_client.get("/admin/filings?year=2025").text
    assert "节能降耗QC小组" in text and "聚合一班" in text and "往年小组" not in text
    assert 'id="filing-total">3<' in text
    text = admin_client.get("/admin/filings?year=2025&kind=team").text
    assert "聚合一班" in text and "节能降耗QC小组" not in text
    text = admin_client.get(f"/admin/filings?year=2025&unit={sd.id}").text
    assert "HYPERLINK" in text and "节能降耗QC小组" not in text
    text = admin_client.get("/admin/filings?year=2025&province=32").text
    assert "节能降耗QC小组" in text and "HYPERLINK" not in text
    text = admin_client.get("/admin/filings?year=2025&industry=25").text
    assert "HYPERLINK" in text and "聚合一班" not in text
    text = admin_client.get("/admin/filings?year=2025&q=BZ-2025").text
    assert 'id="filing-total">1<' in text
    assert "往年小组" in admin_client.get("/admin/filings?year=2024").text


def test_paging_and_query_count(app, admin_client, make, count_queries):
    unit = make.unit()
    make.group(unit, year=2025)
    with count_queries() as few:
        admin_client.get("/admin/filings?year=2025")
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), group_rows([unit.id], 2025, 40, start=100))
        db.session.execute(insert(TeamFiling), team_rows([unit.id], 2025, 30))
        db.session.commit()
    with count_queries() as many:
        first = admin_client.get("/admin/filings?year=2025").text
    assert len(many) == len(few)
    assert "共 71 条，第 1/3 页" in first
    third = admin_client.get("/admin/filings?year=2025&page=3", headers={"HX-Request": "true"}).text
    assert "第 3/3 页" in third and "<html" not in third


def test_export_is_formula_safe_and_audited(app, admin_client, make):
    _data(make)
    response = admin_client.get("/admin/filings/export?year=2025")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("类型", "注册编号", "备案年度")
    assert len(rows) == 4
    cells = {c.value: c.data_type for row in book.active.iter_rows() for c in row}
    assert cells['=HYPERLINK("http://evil")'] == "s"
    assert cells["-2+3"] == "s"
    with app.app_context():
        assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "filing.export")).scalar_one()
    filtered = load_workbook(io.BytesIO(admin_client.get("/admin/filings/export?year=2025&kind=team").data))
    assert len(list(filtered.active.iter_rows())) == 2


def test_unit_filter_is_a_search_not_a_list_of_every_unit(admin_client, make):
    js, sd = _data(make)
    text = admin_client.get("/admin/filings?year=2025&q=聚合").text
    # The page no longer carries every unit that filed (a dropdown of thousands); the table does.
    assert "山东炼化" not in text
    assert 'name="unit_q"' in text and 'hx-get="/admin/filings/units"' in text
    by_name = admin_client.get("/admin/filings/units?year=2025&unit_q=炼化",
                               headers={"HX-Request": "true"}).text
    assert "山东炼化" in by_name and "江苏化工" not in by_name
    assert f'data-unit-option="{sd.id}"' in by_name
    by_code = admin_client.get(f"/admin/filings/units?year=2025&unit_q={js.credit_code[-6:].lower()}").text
    assert "江苏化工" in by_code and "山东炼化" not in by_code
    # Only units that filed in the year are candidates; % and _ match themselves.
    assert "江苏化工" not in admin_client.get("/admin/filings/units?year=2024&unit_q=江苏").text
    assert "没有名称或统一社会信用代码含“%”" in admin_client.get("/admin/filings/units?year=2025&unit_q=%25").text
    assert "<ul" not in admin_client.get("/admin/filings/units?year=2025&unit_q=").text


def test_unit_filter_filters_exactly(admin_client, make):
    js, sd = _data(make)
    make.unit(name="山东炼化二厂")  # a longer name containing another unit's name
    chosen = admin_client.get(f"/admin/filings?year=2025&unit={sd.id}&unit_q=山东炼化").text
    assert 'id="filing-total">1<' in chosen and "“山东炼化”：共" in chosen
    assert 'value="山东炼化"' in chosen  # the box shows the chosen unit
    # Typed and submitted without choosing: the exact credit code or full name filters exactly.
    by_code = admin_client.get(f"/admin/filings?year=2025&unit_q={js.credit_code.lower()}").text
    assert 'id="filing-total">2<' in by_code
    assert 'id="filing-total">1<' in admin_client.get("/admin/filings?year=2025&unit_q=山东炼化").text
    # A partial name never filters several units; it says what to do and shows nothing.
    partial = admin_client.get("/admin/filings?year=2025&unit_q=化").text
    assert 'id="filing-total">0<' in partial
    assert "没有名称或统一社会信用代码为“化”的申报单位" in partial
    assert "所选申报单位不存在" in admin_client.get("/admin/filings?year=2025&unit=999999").text
    # The export follows the same filter.
    book = load_workbook(io.BytesIO(admin_client.get(f"/admin/filings/export?year=2025&unit={js.id}").data))
    assert len(list(book.active.iter_rows())) == 3


def test_unit_filter_query_count_is_constant(admin_client, make, count_queries):
    first = make.unit(name="候选单位0")
    make.group(first, year=2025)
    with count_queries() as few_options:
        admin_client.get("/admin/filings/units?year=2025&unit_q=候选")
    with count_queries() as few_page:
        admin_client.get(f"/admin/filings?year=2025&unit={first.id}")
    for i in range(1, 15):
        make.group(make.unit(name=f"候选单位{i}"), year=2025)
    with count_queries() as many_options:
        text = admin_client.get("/admin/filings/units?year=2025&unit_q=候选").text
    with count_queries() as many_page:
        admin_client.get(f"/admin/filings?year=2025&unit={first.id}")
    assert len(many_options) == len(few_options)
    assert len(many_page) == len(few_page)
    assert text.count("data-unit-option=") == 10 and "只列出前10个" in text


def test_hostile_unit_filter_values(admin_client, make):
    _data(make)
    for query in (f"unit={2 ** 63}", "unit=-3", "unit=abc", "unit_q=a%00b"):
        # 200, or 400 where the app refuses NUL bytes in the query string as a whole; never a 500.
        for path in ("/admin/filings", "/admin/filings/units"):
            assert admin_client.get(f"{path}?year=2025&{query}").status_code in (200, 400), (path, query)
    assert 'id="filing-total">3<' in admin_client.get(f"/admin/filings?year=2025&unit={2 ** 63}").text
