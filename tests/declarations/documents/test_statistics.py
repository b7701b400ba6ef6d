"""活动统计表 附件6 (spec A8, Part F 6): the 15 rows, prefills, exact rates, 参加QC小组人数 ≤ 职工总数, statuses,
print, stamped scan, 提交, and the rollup that recomputes rates from sums."""
import re
from decimal import Decimal
from types import SimpleNamespace

from app.core.extensions import db
from app.declarations.hundredths import format_rate, rate
from app.declarations.models import UnitYearReport
from app.declarations.statistics import ROWS, rollup
from app.filings.models import UnitYearStat
from tests.declarations.documents.conftest import pdf_text, pdf_upload, squeeze

URL = "/declarations/statistics"
HX = {"HX-Request": "true"}
LABELS = (
    "历年来已登记注册QC小组累计数", "本年度已登记注册QC小组数", "本年度QC小组普及率=参加QC小组人数/职工总数×100%",
    "本年度坚持活动的QC小组数", "本年度QC小组创可计算的经济效益", "本年度QC小组成果率=取得成果小组数/QC小组注册数×100%",
    "本年度企业对QC小组活动经费投入（培训、交流、书籍等费用）", "本年度企业对QC小组活动奖励费用",
    "本年度开展质量信得过班组建设活动班组数", "历年开展质量信得过班组建设活动班组累计数",
    "本年度参与质量信得过班组建设活动员工数", "本年度对质量信得过班组建设活动投入费用（培训、交流、规范化等）",
    "本年度对质量信得过班组建设活动奖励费用", "质量信得过班组评审及交流形式",
    "本年度开展质量管理小组活动、质量信得过班组建设活动主要特点、存在问题及建议",
)


def full_form(**changes):
    """A complete, valid 统计表."""
    data = {
        "qc_registered_total": "120", "qc_registered_year": "40", "qc_participants": "1234",
        "staff_total": "5678",
        "qc_active": "35", "qc_benefit_c": "1,234.5", "qc_with_results": "30", "qc_funding_c": "12.30",
        "qc_rewards_c": "8", "team_active": "6", "team_total_hist": "20", "team_participants": "300",
        "team_funding_c": "5.5", "team_rewards_c": "2", "team_review_forms": ["发表评审", "现场评审"],
        "remarks": "活动特点：全员参与。\r\n存在问题：记录不全。\r\n建议：加强培训。",
        "responsible_dept": "质量安全部 王经理", "contact": "张三", "phone": "010-84885418",
        "address": "北京市朝阳区安慧里四区16号楼", "postcode": "100723", "email": "qc@example.com",
        "note_1": "含已注销小组",
    }
    data.update(changes)
    return data


def test_all_15_rows_exactly_as_attachment_6(unit_client, unit, year):
    page = unit_client.get(URL).text
    assert [row.label for row in ROWS] == list(LABELS)
    for label in LABELS:
        assert label in page, label
    assert "质量管理小组/质量信得过班组建设活动统计表" in page
    assert f"（{year - 1}年5月至{year}年4月）" in page
    for option in ("发表评审", "现场评审", "与QC小组合并开", "单独举办"):
        assert option in page
    for label in ("现质量管理小组/质量信得过班组工作归口部门及负责人：", "联 系 人：", "联系电话：", "通讯地址：",
                  "邮编：", "电子邮箱："):
        assert label in page
    assert 'id="statistics-status">未填写<' in page


def test_prefills_come_from_filings_and_settings_with_the_hint(app, make, unit_client, unit, year):
    for _ in range(3):
        make.group(unit, year=year)
    make.group(unit, year=year - 1)  # another year's filing does not count
    with app.app_context():
        db.session.add(UnitYearStat(unit_id=unit.id, year=year, group_total=9, team_total=4, staff_total=800,
                                    qc_participants=200))
        db.session.commit()
    page = unit_client.get(URL).text
    for name, value in (("qc_registered_year", "3"), ("qc_active", "9"), ("team_active", "4"),
                        ("staff_total", "800"), ("qc_participants", "200")):
        assert re.search(f'<input id="{name}"[^>]* value="{value}">', page), name
    assert page.count("来自备案数据，可修改") >= 5
    assert "25.00%" in page  # 200 / 800


def test_participants_above_staff_are_refused_and_nothing_saved(app, unit_client, unit, year):
    response = unit_client.post(f"{URL}/save", data=full_form(qc_participants="5679"), headers=HX)
    assert response.status_code == 422
    assert "参加QC小组人数不能多于职工总数。" in response.text
    assert 'value="5679"' in response.text  # kept as typed
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UnitYearReport)) == 0


def test_1234_of_5678_shows_21_73_percent(app, unit_client, unit, year):
    live = unit_client.get(f"{URL}/rate?rate=popularity&qc_participants=1234&staff_total=5678", headers=HX)
    assert live.text.strip() == "21.73%"
    assert unit_client.get(f"{URL}/rate?rate=popularity&qc_participants=0&staff_total=0").text.strip() == "—"
    assert "不能多于" in unit_client.get(f"{URL}/rate?rate=popularity&qc_participants=9&staff_total=1").text
    assert unit_client.get(f"{URL}/rate?rate=results&qc_with_results=30&qc_registered_year=40").text.strip() \
        == "75.00%"
    assert unit_client.get(f"{URL}/rate?rate=other").status_code == 404
    saved = unit_client.post(f"{URL}/save", data=full_form(), headers=HX)
    assert saved.status_code == 200 and "活动统计表已保存" in saved.text
    assert "21.73%" in saved.text and 'id="statistics-status">已保存<' in saved.text
    text = pdf_text(unit_client.get(f"{URL}/print").data)
    assert "21.73%" in text and "75.00%" in text and "1234.50" in text


def test_rates_are_exact_half_up_with_a_dash_for_zero():
    assert rate(1234, 5678) == Decimal("21.73")
    assert rate(2469, 20000) == Decimal("12.35")  # 12.345 exactly: half up, not half even
    assert rate(1, 3) == Decimal("33.33") and rate(2, 3) == Decimal("66.67")
    assert rate(5, 0) is None and rate(None, 5) is None
    assert format_rate(rate(0, 7)) == "0.00%" and format_rate(None) == "—"


def test_rollup_recomputes_rates_from_sums():
    def report(participants, staff, with_results, registered, forms=()):
        values = {name: None for name in ("qc_registered_total", "qc_active", "team_active",
                                          "team_total_hist", "team_participants", "qc_benefit_c",
                                          "qc_funding_c", "qc_rewards_c", "team_funding_c", "team_rewards_c")}
        return SimpleNamespace(qc_participants=participants, staff_total=staff, qc_with_results=with_results,
                               qc_registered_year=registered, team_review_forms=list(forms),
                               **dict(values, qc_benefit_c=10050))

    result = rollup([report(1, 3, 1, 1, ["发表评审"]), report(1, 1, 0, 3, ["发表评审", "单独举办"]),
                     report(0, 0, 0, 0)])
    assert result.units == 3
    assert result.sums["qc_participants"] == 2 and result.sums["staff_total"] == 4
    assert result.popularity == Decimal("50.00")  # 2/4, not the mean of 33.33% and 100%
    assert result.results == Decimal("25.00")  # 1/4, not the mean of 100% and 0%
    assert result.sums["qc_benefit_c"] == 30150
    assert result.review_forms == {"发表评审": 2, "现场评审": 0, "与QC小组合并开": 0, "单独举办": 1}
    assert rollup([]).popularity is None


def test_other_rules_between_rows(unit_client, unit, year):
    response = unit_client.post(f"{URL}/save", data=full_form(qc_registered_total="10", team_active="30"),
                                headers=HX)
    assert response.status_code == 422
    assert "历年来已登记注册QC小组累计数不能少于本年度已登记注册QC小组数。" in response.text
    assert "本年度开展质量信得过班组建设活动班组数不能多于历年累计数。" in response.text
    bad = unit_client.post(f"{URL}/save", data=full_form(qc_benefit_c="12.345", qc_active="-1", email="x@"),
                           headers=HX)
    assert "最多两位小数" in bad.text and "请输入0或正整数" in bad.text and "有效的电子邮箱" in bad.text
    warned = unit_client.post(f"{URL}/save", data=full_form(qc_with_results="50"), headers=HX)
    assert warned.status_code == 200 and "成果率超过100%" in warned.text and "125.00%" in warned.text


def test_submit_needs_every_figure_and_a_fresh_scan(app, unit_client, unit, year):
    incomplete = full_form(remarks="", qc_funding_c="")
    saved = unit_client.post(f"{URL}/save", data=incomplete, headers=HX)
    assert saved.status_code == 200  # saving an incomplete table is fine
    refused = unit_client.post(f"{URL}/submit", data=incomplete, headers=HX)
    assert refused.status_code == 422
    assert "请填写主要特点、存在问题及建议。" in refused.text and "请填写数量（没有请填0）。" in refused.text
    no_scan = unit_client.post(f"{URL}/submit", data=full_form(), headers=HX)
    assert no_scan.status_code == 422 and "请先打印统计表，盖章后上传盖章件，再提交。" in no_scan.text
    assert 'id="statistics-status">已保存<' in unit_client.get(URL).text  # the refused 提交 kept nothing
    unit_client.post(f"{URL}/save", data=full_form(), headers=HX)
    uploaded = unit_client.post(f"{URL}/scan", data={"scan": pdf_upload()}, headers=HX,
                                content_type="multipart/form-data")
    assert uploaded.status_code == 200 and 'id="scan-state">已上传<' in uploaded.text
    done = unit_client.post(f"{URL}/submit", data=full_form(), headers=HX)
    assert done.status_code == 200 and "活动统计表已提交" in done.text
    assert 'id="statistics-status">已提交<' in done.text
    changed = unit_client.post(f"{URL}/save", data=full_form(qc_rewards_c="9"), headers=HX)
    assert 'id="statistics-status">已保存<' in changed.text and 'id="scan-state">需重新上传<' in changed.text
    stale = unit_client.post(f"{URL}/submit", data=full_form(qc_rewards_c="9"), headers=HX)
    assert stale.status_code == 422 and "信息已修改，请重新打印、盖章后上传。" in stale.text


def test_team_forms_are_required_when_teams_are_active(unit_client, unit, year):
    unit_client.post(f"{URL}/save", data=full_form(team_review_forms=[]), headers=HX)
    unit_client.post(f"{URL}/scan", data={"scan": pdf_upload()}, headers=HX,
                     content_type="multipart/form-data")
    refused = unit_client.post(f"{URL}/submit", data=full_form(team_review_forms=[]), headers=HX)
    assert "请至少选择一种评审及交流形式" in refused.text


def test_print_is_attachment_6_with_the_code(app, unit_client, unit, year):
    assert unit_client.get(f"{URL}/print").status_code == 303  # nothing saved yet
    unit_client.post(f"{URL}/save", data=full_form(), headers=HX)
    text = pdf_text(unit_client.get(f"{URL}/print").data)
    flat = squeeze(text)
    assert "附件6" in text and "质量管理小组/质量信得过班组建设活动统计表" in text
    assert f"（{year - 1}年5月至{year}年4月）" in text and "申报单位：" in text and "（盖章）" in text
    for label in LABELS + ("统计项目", "单位", "数量", "备注"):
        assert squeeze(label) in flat, label
    assert "发表评审■" in flat and "单独举办□" in flat and "含已注销小组" in flat
    assert squeeze("现质量管理小组/质量信得过班组工作归口部门及负责人：质量安全部 王经理") in flat
    code = unit_client.get(URL).text.split('id="current-hash">')[1][:8]
    assert f"活动统计表 · 校验码 {code} · 生成时间" in text


def test_closed_window_refuses_saving(app, unit_client, unit, year):
    from datetime import date

    from tests.declarations.documents.conftest import open_window
    open_window(app, year, start=date(year + 1, 3, 25), end=date(year + 1, 4, 30))
    page = unit_client.get(URL).text
    assert "届时可填写" in page and ">保存</button>" not in page
    assert unit_client.post(f"{URL}/save", data=full_form(), headers=HX).status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UnitYearReport)) == 0


def test_lookalike_digits_and_control_characters_are_messages_beside_their_fields(unit_client, unit, year):
    response = unit_client.post(f"{URL}/save", headers=HX, data=full_form(
        qc_active="፩", team_active="²", qc_benefit_c="²", staff_total="9" * 5000, contact="张\x01三"))
    assert response.status_code == 422
    assert response.text.count("请输入0或正整数") == 3 and "请输入不小于0、最多两位小数的金额" in response.text
    assert "联系人含有不可见的控制字符" in response.text


def test_a_scan_uploaded_by_the_unit_is_current_for_the_secretariat(app, unit_client, unit, year):
    """The unit's upload and the secretariat's 单位材料齐全情况 / 形式审查 compute one 校验码: a fresh scan is 已上传 on
    both sides, and a change of the table makes it 需重新上传 on both."""
    from app.declarations import unit_documents

    unit_client.post(f"{URL}/save", data=full_form(), headers=HX)
    unit_client.post(f"{URL}/scan", data={"scan": pdf_upload()}, headers=HX, content_type="multipart/form-data")
    with app.app_context():
        for summaries in (True, False):
            states = unit_documents.document_states(year, [unit.id], summaries=summaries)[unit.id].states
            assert states["statistics"] == unit_documents.UPLOADED
    unit_client.post(f"{URL}/save", data=full_form(qc_rewards_c="9"), headers=HX)
    with app.app_context():
        states = unit_documents.document_states(year, [unit.id])[unit.id].states
        assert states["statistics"] == unit_documents.STALE
