"""Real browser: a unit invites enterprises, an enterprise files through its link, counts go live."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def invite_in_browser_db(app):
    """invite_in_browser_db(unit, name) adds an invitation through the service."""
    from app.core.extensions import db
    from app.invitations.services import create_invitation
    from app.models import Unit

    def make_invitation(unit, name):
        with app.app_context():
            create_invitation(db.session.get(Unit, unit.id), {
                "enterprise_name": name, "contact": "李四", "email": "x@example.com", "phone": "13800000000"})
            db.session.commit()

    return make_invitation


def _shot(screenshot, pg, name):
    """Screenshot, then drop the empty style="" attributes Playwright leaves on inputs (caret hiding):
    htmx settles "style" onto swapped-in elements, which the strict CSP would then report."""
    screenshot(pg, name)
    pg.evaluate("document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))")


def _add_invitation(page, name, n):
    page.fill("#inv-enterprise_name", name)
    page.fill("#inv-contact", f"联系人{n}")
    page.fill("#inv-email", f"ent{n}@example.com")
    page.fill("#inv-phone", "13800000000")
    page.click("button:has-text('添加邀请')")
    expect(page.locator("#invite-table tbody tr").first.locator("td.invite-name")).to_contain_text(name)


def _fill_group_form(phone, name):
    phone.fill("#group_name", name)
    phone.fill("#topic", "降低常减压装置能耗")
    phone.select_option("#topic_type", "创新型")
    phone.fill("#founded_on", "2024-03-01")
    phone.fill("#leader", "王五")
    phone.fill("#member_count", "7")
    phone.fill("#contact", "王五")
    phone.fill("#mobile", "13912345678")


def test_invite_file_by_link_and_see_live_counts(page, new_page, make, login_browser, screenshot, tmp_path):
    unit = make.unit(name="中国石化联合会测试单位")
    login_browser(page, unit.user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    page.goto(page.base_url + "/invite/")
    expect(page.locator("#invite-table")).to_contain_text("没有邀请记录!")
    page.evaluate("window.__noReload = true")

    for n in (1, 2, 3):
        _add_invitation(page, f"企业{n}", n)
    names = page.locator("#invite-table tbody td.invite-name").all_inner_texts()
    assert [name.split()[0] for name in names] == ["企业3", "企业2", "企业1"]
    expect(page.locator("#invite-table tbody tr").first).to_contain_text("0 / 0")

    # an invalid entry: the message beside the input, what was typed kept
    page.fill("#inv-enterprise_name", "企业4")
    page.fill("#inv-email", "not-an-email")
    page.click("button:has-text('添加邀请')")
    expect(page.locator("#inv-email-error")).to_contain_text("邮箱格式不正确")
    expect(page.locator("#inv-enterprise_name")).to_have_value("企业4")
    _shot(screenshot, page, "unit-page-invalid")
    assert page.locator("#invite-table tbody tr").count() == 3

    row = page.locator("#invite-table tbody tr", has_text="企业1")
    invitation_id = row.get_attribute("id").split("-")[1]
    row.locator("a", has_text="小组邀请").click()
    dialog = page.locator("#invite-dialog")
    expect(dialog).to_be_visible()
    link = dialog.locator("input.invite-link").input_value()
    assert re.search(r"/invite/g/[\w-]{43}$", link)
    dialog.locator("button", has_text="复制链接").click()
    expect(dialog.locator("button[data-copy-target]")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == link
    _shot(screenshot, page, "link-dialog")
    dialog.locator("button", has_text="关闭").click()
    expect(dialog).to_be_hidden()

    # the enterprise: another browser, no account, a phone
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(link)
    expect(phone.locator("h1")).to_contain_text("质量管理小组登记备案")
    expect(phone.locator(".link-facts")).to_contain_text("中国石化联合会测试单位")
    expect(phone.locator("#enterprise_name")).to_have_value("企业1")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-link-page")

    _fill_group_form(phone, "降本增效QC小组")
    phone.locator("#filing-form button[type=submit]").click()
    expect(phone.locator("#filing-form .flash-success")).to_contain_text("已添加“降本增效QC小组”")
    expect(phone.locator("#link-list")).to_contain_text("降本增效QC小组")

    phone.locator("#link-import-section > summary").click()
    with phone.expect_download() as download_info:
        phone.locator("a", has_text="下载导入模板").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for n in range(1, 4):
        values = {"小组名称": f"导入QC小组{n}", "课题名称": "提高装置收率", "课题类型": "创新型",
                  "成立时间": "2024-03-01", "小组长": "李四", "小组人数": 5, "联系人": "李四", "手机": "13912345678"}
        sheet.append([values.get(h, "") for h in headers])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    phone.locator("#import-panel input[type=file]").set_input_files(str(filled))
    phone.locator("#import-panel button[type=submit]").click()
    expect(phone.locator("#import-result")).to_contain_text("共导入 3 条")
    expect(phone.locator("#link-list tbody tr")).to_have_count(4)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-after-filing")

    # the unit's open page shows 4/0 without a reload (polling)
    count = page.locator(f"#count-{invitation_id}")
    expect(count).to_have_text("4 / 0", timeout=12000)
    assert page.evaluate("window.__noReload") is True

    # 删除小组备案: the confirmation states the number, the counts go back in place
    row.locator("a", has_text="删除小组备案").click()
    expect(dialog).to_contain_text("4 条小组备案记录")
    dialog.locator("button", has_text="确定删除4条").click()
    expect(dialog).to_contain_text("已删除")
    expect(count).to_have_text("0 / 0", timeout=4500)  # in place at once, not by the 5 s poll
    assert page.evaluate("window.__noReload") is True
    _shot(screenshot, page, "after-delete")

    phone.reload()
    expect(phone.locator("#link-list")).to_contain_text("尚未登记备案小组")
    # the deliberate invalid entry logs its 422 (swapped as the form's errors); nothing else may appear
    assert [e for e in page.watcher.errors if "status of 422" not in e] == []
    page.set_viewport_size({"width": 375, "height": 740})
    page.locator("#invite-dialog button", has_text="关闭").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # On a phone each enterprise is a card: every action is on screen, nothing scrolls sideways in the table.
    actions = page.locator("#invite-table tbody tr").first.locator(".invite-actions a")
    expect(actions).to_have_count(4)
    for i in range(4):
        box = actions.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.querySelector('.invite-table-wrap').scrollWidth"
                         " <= document.querySelector('.invite-table-wrap').clientWidth")
    _shot(screenshot, page, "unit-page-phone")
    assert phone.watcher.errors == []


def test_unit_page_search_and_delete_enterprise(page, make, login_browser, invite_in_browser_db, screenshot):
    unit = make.unit()
    for name in ("燕山石化", "镇海炼化", "茂名石化"):
        invite_in_browser_db(unit, name)
    login_browser(page, unit.user)
    page.goto(page.base_url + "/invite/")
    page.evaluate("window.__noReload = true")
    page.locator("#invite-q").press_sequentially("镇海")
    expect(page.locator("#invite-table tbody tr")).to_have_count(1)
    expect(page.locator("#invite-table tbody tr")).to_contain_text("镇海炼化")
    page.locator("#invite-q").fill("")
    page.locator("#invite-q").press("Backspace")
    expect(page.locator("#invite-table tbody tr")).to_have_count(3)
    # 重新生成链接 (after the browser's confirm) shows a new link; the old one stops at once
    page.locator("#invite-table tbody tr", has_text="燕山石化").locator("a", has_text="班组邀请").click()
    dialog = page.locator("#invite-dialog")
    old_link = dialog.locator("input.invite-link").input_value()
    page.once("dialog", lambda d: d.accept())
    dialog.locator("button", has_text="重新生成链接").click()
    expect(dialog).to_contain_text("原链接已失效")
    new_link = dialog.locator("input.invite-link").input_value()
    assert new_link != old_link and "/invite/t/" in new_link
    dialog.locator("button", has_text="关闭").click()
    assert page.request.get(old_link).status == 410
    assert page.request.get(new_link).status == 200

    page.locator("#invite-table tbody tr", has_text="茂名石化").locator("a.invite-delete").click()
    expect(dialog).to_contain_text("该企业没有备案记录")
    dialog.locator("button", has_text="确定删除").click()
    expect(dialog).to_contain_text("已删除邀请：茂名石化")
    expect(page.locator("#invite-table tbody tr")).to_have_count(2)
    assert page.evaluate("window.__noReload") is True
    assert page.watcher.errors == []
    page.goto(new_link)
    expect(page.locator("h1")).to_contain_text("质量信得过班组登记备案")
    _shot(screenshot, page, "desktop-team-link-page")
    assert page.watcher.errors == []


def test_phone_screens_of_stopped_links(new_page, make, app, screenshot):
    from datetime import date

    from app.core.extensions import db
    from app.core.settings import filing_period, set_open_filing_year
    from app.invitations.services import create_invitation, link_token
    from app.models import Unit

    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + "/invite/g/" + "x" * 43)
    expect(phone.locator("h1")).to_have_text("链接已失效")
    expect(phone.locator(".link-stopped")).to_contain_text("qccpcif@126.com")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-invalid-link")

    unit = make.unit(name="中国石油和化学工业联合会测试组织单位", contact="周联系")
    with app.app_context():
        inv = create_invitation(db.session.get(Unit, unit.id), {
            "enterprise_name": "中国石油化工股份有限公司北京燕山分公司", "contact": "李四",
            "email": "x@example.com", "phone": "13800000000"})
        token = link_token(inv, "team")
        set_open_filing_year(filing_period().year, deadline=date(2000, 1, 1))
        db.session.commit()
    phone.goto(phone.base_url + "/invite/t/" + token)
    expect(phone.locator(".link-stopped h2")).to_have_text("备案已截止")
    expect(phone.locator(".link-stopped")).to_contain_text("周联系")
    assert phone.locator("#filing-form").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-closed-link")
    assert [e for e in phone.watcher.errors if "404" not in e] == []
