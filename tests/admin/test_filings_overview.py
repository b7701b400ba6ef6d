"""备案总览: all filings of a year across units, filters, search, paging, formula-safe xlsx export."""
import io

from openpyxl import load_workbook
from sqlalchemy import insert

from app.extensions import db
from app.models import AuditLog, QcGroupFiling, TeamFiling
from tests.admin.conftest import group_rows, team_rows


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
