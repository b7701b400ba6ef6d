"""Real browser at 375 px: the link page's own list pages without a reload and keeps its page."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from tests.secretariat.conftest import group_rows
from tests.e2e.test_invite import _fill_group_form, _shot

pytestmark = pytest.mark.e2e


def test_link_list_pages_on_a_phone(app, new_page, make, screenshot):
    from app.core.extensions import db
    from app.core.settings import filing_period
    from app.invitations import services as service
    from app.models import QcGroupFiling, Unit

    unit = make.unit(name="中国石化联合会测试单位")
    with app.app_context():
        inv = service.create_invitation(db.session.get(Unit, unit.id), {
            "enterprise_name": "燕山石化", "contact": "李四", "email": "x@example.com", "phone": "13800000000"})
        db.session.flush()
        year = filing_period().year
        db.session.execute(insert(QcGroupFiling), group_rows([unit.id], year, 25, invitation_id=inv.id))
        db.session.commit()
        path = f"/invite/g/{service.link_token(inv, 'group')}"

    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + path)
    phone.evaluate("window.__noReload = true")
    listing = phone.locator("#link-list")
    expect(listing).to_contain_text("第 1/2 页")
    expect(listing.locator("tbody tr")).to_have_count(20)
    listing.get_by_role("link", name="下一页").click()
    expect(listing).to_contain_text("第 2/2 页")
    expect(listing.locator("tbody tr")).to_have_count(5)
    assert phone.url.endswith(path + "?page=2")
    assert phone.evaluate("window.__noReload") is True
    # The list is in view after paging, and each record is a card that fits the phone.
    assert phone.evaluate("document.getElementById('link-list').getBoundingClientRect().top") < 740
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-list-page-2")

    # Filing one more keeps the reader on page 2; the total counts the new record.
    _fill_group_form(phone, "新增QC小组")
    phone.locator("#filing-form button[type=submit]").click()
    expect(phone.locator("#filing-form .flash-success")).to_contain_text("已添加“新增QC小组”")
    expect(listing).to_contain_text("（共26个）")
    expect(listing).to_contain_text("第 2/2 页")
    expect(listing.locator("tbody tr")).to_have_count(6)
    listing.get_by_role("link", name="上一页").click()
    expect(listing).to_contain_text("新增QC小组")
    assert phone.evaluate("window.__noReload") is True
    # Back in the browser history returns to page 2.
    phone.go_back()
    expect(phone.locator("#link-list")).to_contain_text("第 2/2 页")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.watcher.errors == []
