"""Real browser: template download → fill with openpyxl → import → list → summary export read back."""
from datetime import datetime

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_group_import_round_trip_in_chromium(page, login_browser, make, screenshot, tmp_path):
    unit = make.unit(name="浏览器测试化工有限公司")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/groups/")
    assert page.locator("#filing-period").is_visible()
    page.get_by_role("link", name="批量导入").click()
    for step in ("下载导入模板", "浏览", "导入"):
        assert page.get_by_text(step).first.is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载导入模板").click()
    template = tmp_path / "template.xlsx"
    info.value.save_as(template)
    assert info.value.suggested_filename == "小组备案导入模板.xlsx"

    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert book.worksheets[1].title == "填写说明"
    col = {label: i + 1 for i, label in enumerate(headers)}
    for row, name in ((2, "浏览器一号QC小组"), (3, "浏览器二号QC小组")):
        sheet.cell(row=row, column=col["小组名称"], value=name)
        sheet.cell(row=row, column=col["课题名称"], value="降低能耗")
        sheet.cell(row=row, column=col["课题类型"], value="创新型")
        sheet.cell(row=row, column=col["成立时间"], value=datetime(2024, 3, 1))  # a date cell
        sheet.cell(row=row, column=col["小组长"], value="王五")
        sheet.cell(row=row, column=col["小组人数"], value=7)
        sheet.cell(row=row, column=col["联系人"], value="王五")
        sheet.cell(row=row, column=col["手机"], value=13912345678)  # a phone stored as a number
    filled = tmp_path / "filled.xlsx"
    book.save(filled)

    page.locator("input[type=file]").set_input_files(str(filled))
    assert page.locator("#import-file-name").inner_text() == "filled.xlsx"
    page.get_by_role("button", name="导入").click()
    page.locator("#import-result").wait_for()
    assert "共导入 2 条" in page.locator("#import-result").inner_text()
    screenshot(page, "imported")

    page.get_by_role("link", name="查看列表").click()
    page.wait_for_load_state()  # htmx has bound the search box (on a busy box typing could come first)
    assert page.locator("table.filing-table").get_by_text("浏览器二号QC小组").is_visible()
    assert page.get_by_text("QC-").count() >= 2
    page.locator("input[name=q]").fill("一号")
    expect(page.locator("table.filing-table tbody tr")).to_have_count(1)
    assert "浏览器一号QC小组" in page.locator("table.filing-table tbody").inner_text()
    assert "q=" in page.url  # hx-push-url keeps the search in the address
    screenshot(page, "list")

    page.get_by_role("link", name="小组汇总表").click()
    assert page.locator("#total-records").inner_text() == "2"
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    assert info.value.suggested_filename.endswith("年小组备案汇总表-浏览器测试化工有限公司.xlsx")
    info.value.save_as(tmp_path / "summary.xlsx")
    exported = openpyxl.load_workbook(tmp_path / "summary.xlsx")
    names = [row[3].value for row in exported.worksheets[1].iter_rows(min_row=2)]
    assert names == ["浏览器一号QC小组", "浏览器二号QC小组"]
    header = [c.value for c in exported.worksheets[1][1]]
    phones = {row[header.index("手机")].value for row in exported.worksheets[1].iter_rows(min_row=2)}
    assert phones == {"13912345678"}
    screenshot(page, "summary")
    assert page.watcher.errors == []


def test_import_errors_and_delete_in_chromium(page, login_browser, make, screenshot, tmp_path):
    unit = make.unit()
    make.group(unit, group_name="待删除QC小组")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/groups/import")
    bad = tmp_path / "bad.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["小组名称", "手机", "课题名称", "课题类型", "成立时间", "小组长", "小组人数", "联系人"])
    book.active.append(["甲QC小组", "123", "课题", "创新型", "2024-03-01", "王五", 7, "王五"])
    book.save(bad)
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="导入").click()
    page.locator("#import-result").wait_for()
    assert "第 2 行 「手机」" in page.locator("#import-result").inner_text()
    screenshot(page, "errors")

    page.goto(page.base_url + "/groups/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="删除").click()
    page.get_by_text("待删除QC小组").wait_for(state="detached")
    expect(page.locator(".list-count")).to_have_text("共 0 条")  # the list refreshed after the delete
    # Chromium logs every 4xx response; the 422 of the refused import is the expected one
    assert [e for e in page.watcher.errors if "status of 422" not in e] == []


def test_filing_pages_on_phone_width(new_page, login_browser, make, screenshot):
    unit = make.unit()
    make.group(unit, group_name="手机上的QC小组")
    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, unit.user)
    for path, name in (("/groups/", "list"), ("/groups/new", "form"), ("/groups/import", "import"),
                       ("/teams/summary", "summary")):
        phone.goto(phone.base_url + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
        screenshot(phone, name)
    assert phone.watcher.errors == []


def test_import_progress_shows_while_the_upload_is_in_flight(page, login_browser, make, screenshot, tmp_path):
    """The import request is held in the browser (page.route) until the test releases it, so the
    indicator is checked while the upload is surely in flight — no timing guesses."""
    unit = make.unit()
    login_browser(page, unit.user)
    page.goto(page.base_url + "/groups/import")
    progress = page.locator("#import-progress")
    expect(progress).to_be_hidden()
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["小组名称", "手机", "课题名称", "课题类型", "成立时间", "小组长", "小组人数", "联系人"])
    book.active.append(["进度QC小组", 13912345678, "课题", "创新型", "2024-03-01", "王五", 7, "王五"])
    book.save(good)
    held = []
    page.route("**/groups/import", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="导入").click()
    expect(progress).to_be_visible()
    expect(page.get_by_role("button", name="导入")).to_be_disabled()  # hx-disabled-elt: no double submit
    for _ in range(100):  # the route handler runs while Playwright waits; 5 s at most
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the upload never reached the network"
    expect(progress).to_be_visible()  # still showing: the request has not been answered
    screenshot(page, "import-progress")
    held[0].continue_()
    page.locator("#import-result").wait_for()
    assert "共导入 1 条" in page.locator("#import-result").inner_text()
    expect(page.locator("#import-progress")).to_be_hidden()
    assert page.watcher.errors == []
