"""统计汇总 (spec A8): three units' 活动统计表 summed by hand; rates from summed numerators and denominators."""
import io
from decimal import Decimal

from openpyxl import load_workbook

from app.declarations import rollup

# Three units: two in 江苏 (32), one in 山东 (37); one report not submitted (left out).
UNITS = {
    "甲": dict(province_code="32", qc_registered_total=100, qc_registered_year=20, qc_participants=1234,
              staff_total=5678, qc_active=18, qc_benefit_c=12345, qc_with_results=15, qc_funding_c=50000,
              qc_rewards_c=20000, team_active=5, team_total_hist=30, team_participants=60, team_funding_c=1001,
              team_rewards_c=999, team_review_forms=["发表评审", "现场评审"]),
    "乙": dict(province_code="32", qc_registered_total=10, qc_registered_year=3, qc_participants=10,
              staff_total=20, qc_active=3, qc_benefit_c=5, qc_with_results=3, qc_funding_c=0, qc_rewards_c=None,
              team_active=0, team_total_hist=2, team_participants=0, team_funding_c=0, team_rewards_c=0,
              team_review_forms=[]),
    "丙": dict(province_code="37", qc_registered_total=50, qc_registered_year=7, qc_participants=300,
              staff_total=1000, qc_active=7, qc_benefit_c=100000, qc_with_results=2, qc_funding_c=1,
              qc_rewards_c=2, team_active=4, team_total_hist=4, team_participants=40, team_funding_c=300,
              team_rewards_c=400, team_review_forms=["发表评审", "单独举办"]),
}


def _setup(make, decl):
    for name, values in UNITS.items():
        values = dict(values)
        unit = make.unit(name=f"单位{name}", province_code=values.pop("province_code"))
        decl.report(unit, **values)
    decl.report(make.unit(name="未提交单位"), status="saved", qc_registered_year=999, staff_total=1)


def test_rollup_equals_the_hand_computation(app, make, decl):
    _setup(make, decl)
    with app.app_context():
        result = rollup.industry_rollup(decl.year())
    total = result.total
    assert total.units == 3
    assert total.sums["qc_registered_total"] == 160 and total.sums["qc_registered_year"] == 30
    assert total.sums["qc_participants"] == 1544 and total.sums["staff_total"] == 6698
    assert total.value("qc_benefit_c") == Decimal("1123.50")  # 123.45 + 0.05 + 1000.00 万元
    assert total.value("qc_rewards_c") == Decimal("200.02")  # an empty amount counts as 0
    # 普及率 = 1544 / 6698 = 23.0516… % → 23.05 (the mean of 21.73, 50.00, 30.00 would be 33.91)
    assert total.value("qc_popularity") == Decimal("23.05")
    # 成果率 = 20 / 30 = 66.666… % → 66.67 (half up)
    assert total.value("qc_result_rate") == Decimal("66.67")
    assert total.tallies == {"发表评审": 2, "现场评审": 1, "与QC小组合并开": 0, "单独举办": 1}
    jiangsu, shandong = result.provinces
    assert (jiangsu.name, jiangsu.units, shandong.name, shandong.units) == ("江苏省", 2, "山东省", 1)
    assert jiangsu.value("qc_popularity") == Decimal("21.83")  # (1234 + 10) / (5678 + 20)
    assert shandong.value("qc_result_rate") == Decimal("28.57")  # 2 / 7


def test_rates_round_half_up_and_empty_denominators():
    assert rollup.rate(1234, 5678) == Decimal("21.73")
    assert rollup.rate(1, 8) == Decimal("12.50") and rollup.rate(1, 800) == Decimal("0.13")  # 0.125 → 0.13
    assert rollup.rate(5, 0) is None
    assert rollup.rollup([]).value("qc_popularity") is None


def test_page_and_export(app, admin_client, make, decl):
    _setup(make, decl)
    text = admin_client.get("/admin/declarations/statistics").text
    assert "23.05%" in text and "66.67%" in text and "1123.50" in text and "发表评审 2" in text
    assert "江苏省" in text and "山东省" in text and "不是各单位比率的平均" in text
    response = admin_client.get("/admin/declarations/statistics/export")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["行业合计", "按省份", "按单位"]
    total_rows = {row[1]: row[3] for row in book["行业合计"].iter_rows(min_row=3, values_only=True)}
    assert total_rows["本年度QC小组普及率=参加QC小组人数/职工总数×100%"] == 23.05
    assert total_rows["本年度QC小组创可计算的经济效益"] == 1123.5
    provinces = list(book["按省份"].iter_rows(values_only=True))
    assert [row[0] for row in provinces[1:]] == ["江苏省", "山东省", "合计"]
    assert len(list(book["按单位"].iter_rows())) == 4
