"""Real browser: year settings, a notice with attachments downloaded from the home page, units."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

THEME = "绿色低碳•创新赋能•提升效能"


def test_settings_and_notice_reach_the_home_page(page, new_page, make, login_browser, screenshot, tmp_path):
    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/settings")
    page.fill("#f-year", "2024")
    with page.expect_response("**/admin/settings?year=2024"):
        page.locator("#f-year").dispatch_event("change")
    # Changing the year loads that year's dates (defaults from the 2024 notice).
    expect(page.locator("#f-earliest_completion")).to_have_value("2023-05-01")
    assert page.input_value("#f-declaration_start") == "2024-03-25"
    page.fill("#f-theme", THEME)
    page.check("#f-set_filing_year")
    page.fill("#f-declaration_year", "2024")
    page.fill("#f-filing_deadline", "2024-01-15")
    page.fill("#f-declaration_end", "2024-03-01")
    page.click("#settings-form button[type=submit]")
    assert "申报截止日期不能早于申报开始日期" in page.locator("#e-declaration_end").inner_text()
    assert page.input_value("#f-theme") == THEME
    page.fill("#f-declaration_end", "2024-04-30")
    page.click("#settings-form button[type=submit]")
    # 2024's window is long past: saved all the same, with the warning the secretariat should read
    expect(page.locator(".flash-warning")).to_contain_text("2024年度设置已保存。请注意：申报截止日期2024-04-30已过")
    screenshot(page, "settings")

    page.goto(page.base_url + "/admin/notices/new")
    page.fill("#f-title", "关于开展2024年石油和化工行业质量管理小组活动的通知")
    page.fill("#f-body", "各有关单位：\n以上附件均可通过“申报与评审系统”下载。")
    form_file = tmp_path / "附件2 优秀成果申报表（小组）.xlsx"
    form_file.write_bytes(b"PK\x03\x04 blank form")
    page.set_input_files("#f-attachments", str(form_file))
    page.click("#notice-form button[type=submit]")
    page.wait_for_selector("#notice-attachments li")
    assert "附件2 优秀成果申报表（小组）.xlsx" in page.locator("#notice-attachments").inner_text()
    screenshot(page, "notice")
    # Form errors answer 422 on purpose (htmx swaps them); Chromium logs that status, nothing else may appear.
    assert [e for e in page.watcher.errors if "status of 422" not in e] == []

    visitor = new_page(width=375, height=740, mobile=True)
    visitor.goto(visitor.base_url + "/")
    assert THEME in visitor.locator(".theme-banner").inner_text()
    dates = visitor.locator(".key-dates").inner_text()
    assert "2024年1月15日" in dates and "2023年5月1日" in dates
    # on a phone a notice shows its date and title; a tap opens it
    assert not visitor.get_by_role("link", name="附件2 优秀成果申报表（小组）.xlsx").is_visible()
    visitor.locator(".notice summary").first.tap()
    with visitor.expect_download() as info:
        visitor.get_by_role("link", name="附件2 优秀成果申报表（小组）.xlsx").click()
    download = info.value
    assert download.suggested_filename == "附件2 优秀成果申报表（小组）.xlsx"
    assert open(download.path(), "rb").read() == b"PK\x03\x04 blank form"
    screenshot(visitor, "home-phone")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 375
    # The login box's lazy captcha inherits the form's hx-disabled-elt (auth area, reported to the lead).
    assert [e for e in visitor.watcher.errors if "hx-disabled-elt returned no matches" not in e] == []


def test_units_search_detail_and_disable(app, page, new_page, make, login_browser, screenshot):
    target = make.unit(name="南京扬子石化有限公司", province_code="32")
    make.unit(name="天津渤海化工有限公司", province_code="12")
    make.group(target, year=2025)
    unit_page = new_page()
    login_browser(unit_page, target.user)
    unit_page.goto(unit_page.base_url + "/")
    assert "欢迎南京扬子石化有限公司" in unit_page.locator(".welcome").inner_text()

    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/units")
    page.fill("input[name=q]", "扬子")
    expect(page.locator("#unit-table")).not_to_contain_text("渤海")
    assert "q=%E6%89%AC%E5%AD%90" in page.url  # the search is in the address bar
    screenshot(page, "units")
    page.get_by_role("link", name="南京扬子石化有限公司").click()
    assert "2025年" in page.locator("main").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="停用账号").click()
    page.wait_for_selector("text=已停用“南京扬子石化有限公司”的账号")
    screenshot(page, "unit-detail")
    # The unit's open browser session no longer works.
    unit_page.goto(unit_page.base_url + "/")
    assert unit_page.locator(".welcome").count() == 0
    assert page.watcher.errors == []

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, make.secretariat())
    phone.goto(phone.base_url + "/admin/units")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "units-phone")


def test_overview_export_audit_and_accounts_pages(app, page, new_page, make, login_browser, screenshot):
    unit = make.unit(name="上海石化股份有限公司", province_code="31")
    make.group(unit, year=2025, group_name="=1+1 攻关QC小组")
    make.team(unit, year=2025, team_name="催化裂化一班")
    other = make.unit(name="上海华谊集团", province_code="31")
    make.group(other, year=2025, group_name="华谊QC小组")
    clerk = make.secretariat(username="ding01", display_name="丁士育")
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/filings?year=2025")
    assert page.locator("#filing-total").inner_text() == "3"
    # The unit filter: type part of the name, choose the candidate, the table filters by that unit only.
    page.fill("#unit-q", "石化")
    page.locator("[data-unit-option]").first.wait_for()
    expect(page.locator("#unit-q")).to_have_attribute("aria-expanded", "true")
    assert page.locator("[data-unit-option]").count() == 1
    screenshot(page, "filings-unit-candidates")
    page.locator("[data-unit-option]").first.click()
    expect(page.locator("#filing-total")).to_have_text("2")
    assert page.input_value("#unit-q") == "上海石化股份有限公司"
    assert f"unit={unit.id}" in page.url
    assert page.locator("#unit-options li").count() == 0
    assert page.get_attribute("#unit-q", "aria-expanded") == "false"
    # Clearing the box shows every unit again; changing the year alone refreshes the table.
    page.fill("#unit-q", "")
    expect(page.locator("#filing-total")).to_have_text("3")
    page.fill("input[name=year]", "2024")
    page.locator("input[name=year]").dispatch_event("change")
    expect(page.locator("#filing-total")).to_have_text("0")
    page.fill("input[name=year]", "2025")
    page.locator("input[name=year]").dispatch_event("change")
    expect(page.locator("#filing-total")).to_have_text("3")
    page.select_option("select[name=kind]", "team")
    expect(page.locator("#filing-total")).to_have_text("1")
    assert "kind=team" in page.url
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    assert info.value.suggested_filename == "2025年备案总览.xlsx"
    screenshot(page, "filings")

    page.goto(page.base_url + "/admin/accounts")
    page.select_option("#f-role", label="秘书处")
    page.fill("#f-username", "pan01")
    page.fill("#f-display_name", "潘蕊")
    page.fill("#f-password", "abc12345")
    page.fill("#f-password_confirm", "abc12345")
    page.click("#account-form button[type=submit]")
    expect(page.locator("#account-table")).to_contain_text("pan01")
    screenshot(page, "accounts")

    page.goto(page.base_url + "/admin/audit")
    page.select_option("select[name=action]", "account.create")
    expect(page.locator("#audit-table")).to_contain_text("创建秘书处账号：pan01")
    expect(page.locator("#audit-table")).not_to_contain_text("导出2025年备案总览")
    screenshot(page, "audit")
    assert page.watcher.errors == []

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, clerk)
    for path in ("/admin/filings?year=2025", "/admin/audit", "/admin/accounts", "/admin/settings",
                 "/admin/notices"):
        phone.goto(phone.base_url + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
    screenshot(phone, "notices-phone")
    phone.goto(phone.base_url + "/admin/filings?year=2025")
    phone.fill("#unit-q", "上海")
    expect(phone.locator("[data-unit-option]")).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "filings-unit-phone")
    phone.locator("[data-unit-option]", has_text="上海华谊集团").click()
    expect(phone.locator("#filing-total")).to_have_text("1")
    # Enter with one candidate on screen chooses it; Enter on a partial name alone explains itself.
    phone.fill("#unit-q", "石化股份")
    expect(phone.locator("[data-unit-option]")).to_have_count(1)
    phone.press("#unit-q", "Enter")
    expect(phone.locator("#filing-total")).to_have_text("2")
    assert phone.input_value("#unit-q") == "上海石化股份有限公司"
    phone.fill("#unit-q", "上海")
    expect(phone.locator("[data-unit-option]")).to_have_count(2)
    phone.press("#unit-q", "Enter")
    expect(phone.locator("#unit-filter-error")).to_contain_text("没有名称或统一社会信用代码为“上海”的申报单位")
    assert phone.watcher.errors == []
    assert phone.watcher.errors == []
