"""Real browser: 活动统计表 (fill, the 21.73% computed live, save, print, stamped scan, 提交) and 评委推荐 (the live
counter, two experts, the third refused), at desktop and phone widths."""
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.declarations.documents.conftest import open_window, pdf_text

pytestmark = pytest.mark.e2e


def _shot(screenshot, pg, name):
    """Screenshot, then drop the empty style="" attributes Playwright leaves on inputs (caret hiding):
    htmx settles "style" onto swapped-in elements, which the strict CSP would then report."""
    screenshot(pg, name)
    pg.evaluate("document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))")


def _scan(tmp_path, name="盖章件.png"):
    path = tmp_path / name
    Image.new("RGB", (300, 420), (250, 250, 250)).save(path, "PNG")
    return path


@pytest.fixture
def window(app):
    from app.core.clock import china_today

    year = china_today().year
    open_window(app, year)
    return year


def test_statistics_fill_compute_save_print_submit(page, new_page, make, login_browser, screenshot, tmp_path,
                                                   window):
    unit = make.unit(name="中国石化（浏览器）测试分公司")
    for _ in range(2):
        make.group(unit, year=window)
    login_browser(page, unit.user)
    page.goto(page.base_url + "/declarations/statistics")
    expect(page.locator("#statistics-status")).to_have_text("未填写")
    expect(page.locator("#qc_registered_year")).to_have_value("2")  # prefilled from the filings
    assert page.get_by_text("来自备案数据，可修改").count() >= 1
    page.fill("#qc_participants", "1234")
    page.fill("#staff_total", "5678")
    expect(page.locator("#rate-popularity")).to_have_text("21.73%")  # computed by the server while typing
    page.fill("#qc_with_results", "1")
    expect(page.locator("#rate-results")).to_have_text("50.00%")
    values = {"qc_registered_total": "12", "qc_active": "2", "qc_benefit_c": "88.5", "qc_funding_c": "3",
              "qc_rewards_c": "1.2", "team_active": "0", "team_total_hist": "3", "team_participants": "0",
              "team_funding_c": "0", "team_rewards_c": "0", "responsible_dept": "质量部 王经理",
              "phone": "010-84885418", "email": "qc@example.com"}
    for name, value in values.items():
        page.fill(f"#{name}", value)
    page.fill("#remarks", "全员参与，注重现场。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#statistics-status")).to_have_text("已保存")
    expect(page.locator(".flash-success")).to_contain_text("活动统计表已保存")
    expect(page.locator("#rate-popularity")).to_have_text("21.73%")
    _shot(screenshot, page, "statistics-saved-1280")

    link = page.get_by_role("link", name="打印统计表").first
    printed = page.request.get(page.base_url + link.get_attribute("href"))
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    assert "21.73%" in pdf_text(printed.body())

    page.locator("#statistics-page input[name=scan]").set_input_files(str(_scan(tmp_path)))
    page.get_by_role("button", name="上传盖章件").click()
    expect(page.locator("#scan-state")).to_have_text("已上传")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#statistics-status")).to_have_text("已提交")
    _shot(screenshot, page, "statistics-submitted-1280")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.watcher.errors == []

    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, unit.user)
    phone.goto(phone.base_url + "/declarations/statistics")
    expect(phone.locator("#rate-popularity")).to_have_text("21.73%")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 380  # no sideways scrolling
    _shot(screenshot, phone, "statistics-375")
    assert phone.watcher.errors == []


def _fill_expert(pg, name, tmp_path):
    pg.fill("#name", name)
    pg.fill("#company_dept", "中国石化燕山分公司质量管理部")
    pg.fill("#address", "北京市房山区燕山岗南路1号")
    pg.fill("#postcode", "102500")
    pg.fill("#mobile", "13912345678")
    pg.fill("#email", "expert@example.com")
    pg.check("input[name=kinds][value=group]")
    proof = tmp_path / f"{name}-证书.pdf"
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (255, 255, 255)).save(out, "PDF")
    proof.write_bytes(out.getvalue())
    pg.locator("input[name=files]").set_input_files(str(proof))


def test_recommendations_counter_two_experts_third_refused(page, new_page, make, login_browser, screenshot,
                                                           tmp_path, window):
    unit = make.unit(name="中国石化（浏览器）推荐单位")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/declarations/recommendations")
    expect(page.get_by_text("具有良好的职业道德")).to_be_visible()
    page.get_by_role("link", name="添加评委").click()
    _fill_expert(page, "欧阳（明）", tmp_path)
    counter = page.locator("#experience-counter")
    expect(counter).to_have_text("已输入0/300字")
    page.locator("#experience").press_sequentially("参与评审")
    expect(counter).to_have_text("已输入4/300字")
    page.fill("#experience", "评" * 301)
    expect(counter).to_have_text("已输入301/300字，超出1字")
    expect(counter).to_have_class("counter over")
    _shot(screenshot, page, "expert-over-1280")
    page.get_by_role("button", name="保存").click()  # the server refuses it too
    expect(page.locator("#expert-form .field-error").first).to_contain_text("相关经历描述不能超过300字")
    expect(page.locator("#experience-counter")).to_have_text("已输入301/300字，超出1字")
    page.fill("#experience", "评" * 300)
    expect(counter).to_have_text("已输入300/300字")
    page.locator("input[name=files]").set_input_files(str(tmp_path / "欧阳（明）-证书.pdf"))
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-success")).to_contain_text("已添加推荐评委“欧阳（明）”")

    page.get_by_role("link", name="添加评委").click()
    _fill_expert(page, "李四", tmp_path)
    page.fill("#experience", "参加过QC小组活动诊断师培训。")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#expert-count")).to_have_text("2")
    expect(page.get_by_role("button", name="添加评委")).to_be_disabled()
    expect(page.locator("#expert-limit")).to_contain_text("每个单位推荐1至2名专家。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _shot(screenshot, page, "experts-1280")

    page.goto(page.base_url + "/declarations/recommendations/new")  # the form itself refuses a third
    expect(page.locator("#form-message")).to_have_text("每个单位推荐1至2名专家。")
    _fill_expert(page, "王五", tmp_path)
    page.fill("#experience", "第三位专家")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#form-message")).to_have_text("每个单位推荐1至2名专家。")
    expect(page.locator("#name")).to_have_value("王五")
    # refused forms answer 422 on purpose (htmx swaps them); Chromium logs that status, nothing else may show
    assert [e for e in page.watcher.errors if "status of 422" not in e] == []

    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, unit.user)
    phone.goto(phone.base_url + "/declarations/recommendations")
    expect(phone.locator("#expert-count")).to_have_text("2")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 380
    _shot(screenshot, phone, "experts-375")
    phone.goto(phone.base_url + "/declarations/recommendations/new")
    _shot(screenshot, phone, "expert-form-375")
    assert phone.watcher.errors == []


def test_summary_table_header_scan_and_export(page, new_page, make, login_browser, screenshot, tmp_path,
                                              window, app):
    from tests.declarations.documents.conftest import Declare

    unit = make.unit(name="中国石化（浏览器）汇总单位")
    declare = Declare(app, make)
    declare(unit, window, enterprise_name="中国石化（北京）燕山分公司", title="降低装置能耗")
    declare(unit, window, enterprise_name="中国石化天津分公司", title="提高轻油收率")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/declarations/summary/group")
    rows = page.locator("table.summary-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text("中国石化（北京）燕山分公司")  # code-point order: 天 (U+5929) before （
    page.fill("#contact", "")
    page.get_by_role("button", name="保存表头").click()
    expect(page.locator(".doc-header-form .field-error")).to_contain_text("请填写联系人")
    page.fill("#contact", "李四")
    page.fill("#phone", "010-84885418")
    page.get_by_role("button", name="保存表头").click()
    expect(page.locator(".flash-success")).to_contain_text("表头已保存")
    page.locator("#summary-page input[name=scan]").set_input_files(str(_scan(tmp_path)))
    page.get_by_role("button", name="上传盖章件").click()
    expect(page.locator("#scan-state")).to_have_text("已上传")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    assert info.value.suggested_filename == f"{window}年申报汇总表（小组）.xlsx"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _shot(screenshot, page, "summary-1280")
    assert [e for e in page.watcher.errors if "status of 422" not in e] == []

    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, unit.user)
    phone.goto(phone.base_url + "/declarations/summary/group")
    expect(phone.locator("#scan-state")).to_have_text("已上传")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 380
    _shot(screenshot, phone, "summary-375")
    assert phone.watcher.errors == []
