"""Issue 10 on a 375 px phone: the link page's results come into view, the inviter's contact is there,
联系人/手机 stay filled, the home page puts the login first, and every tap target is big enough."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_invite import _fill_group_form, _shot

pytestmark = pytest.mark.e2e

def _view(screenshot, pg, name):
    """The full page, and what the phone's screen shows right now (the viewport alone)."""
    _shot(screenshot, pg, name)
    path = screenshot(pg, name + "-screen")
    pg.screenshot(path=str(path), full_page=False)
    pg.evaluate("document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))")


IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"""


def in_view(locator):
    """True once the element lies inside the screen (the scroll runs as htmx settles the swap)."""
    locator.page.wait_for_function(IN_VIEW, arg=locator.element_handle(), timeout=5000)
    return True


@pytest.fixture
def link_path(app, make):
    """link_path(kind) → the path of a fresh invitation's link of a unit that has a contact."""
    from app.core.extensions import db
    from app.invitations import services as service
    from app.models import Unit

    unit = make.unit(name="中国石化联合会测试单位", contact="丁士育", mobile="13911112222", email="ding@qc.cn")

    def make_link(kind="group"):
        with app.app_context():
            inv = service.create_invitation(db.session.get(Unit, unit.id), {
                "enterprise_name": "燕山石化（北京）分公司", "contact": "李四", "email": "x@example.com",
                "phone": "13800000000"})
            db.session.commit()
            return f"/invite/{kind[0]}/{service.link_token(inv, kind)}"

    return make_link


def test_link_page_results_come_into_view_on_a_phone(new_page, link_path, screenshot, tmp_path):
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + link_path())
    facts = phone.locator(".link-facts")
    expect(facts).to_contain_text("丁士育")
    expect(facts.locator("a[href='tel:13911112222']")).to_be_visible()
    expect(facts).to_contain_text("ding@qc.cn")
    locked = phone.locator("#enterprise_name")
    expect(locked).to_have_value("燕山石化（北京）分公司")
    looks = phone.evaluate("""() => {
        const s = e => getComputedStyle(e);
        const a = s(document.getElementById('enterprise_name')), b = s(document.getElementById('group_name'));
        return [a.backgroundColor, b.backgroundColor, a.borderStyle, b.borderStyle]; }""")
    assert looks[0] != looks[1] and looks[2] != looks[3]  # the locked name looks read-only
    _shot(screenshot, phone, "phone-link-page")

    # 保存 with mistakes: the first wrong field is focused and in view, its message beside it
    _fill_group_form(phone, "降本增效QC小组")
    phone.fill("#mobile", "123")
    phone.fill("#member_count", "")
    phone.get_by_role("button", name="保存", exact=True).tap()
    first_error = phone.locator("#member_count")
    expect(first_error).to_be_focused()
    assert in_view(first_error)
    assert in_view(phone.locator("#filing-form .field-error").first)
    expect(phone.locator("#filing-form [role=alert]")).to_contain_text("请更正标出的项目")
    _view(screenshot, phone, "phone-link-add-error")

    # 保存 right: the success message is in view; 联系人 and 手机 stay for the next record
    phone.fill("#member_count", "7")
    phone.fill("#contact", "陈晓红（设备处）")
    phone.fill("#mobile", "13812345678")
    phone.get_by_role("button", name="保存", exact=True).tap()
    success = phone.locator("#filing-form .flash-success[role=status]")
    expect(success).to_contain_text("已添加“降本增效QC小组”")
    assert in_view(success)
    expect(phone.locator("#contact")).to_have_value("陈晓红（设备处）")
    expect(phone.locator("#mobile")).to_have_value("13812345678")
    expect(phone.locator("#group_name")).to_have_value("")
    _view(screenshot, phone, "phone-link-add-saved")

    # 导入 without a file says so, in view
    phone.locator("#link-import-section > summary").tap()
    phone.locator("#import-panel button[type=submit]").tap()
    result = phone.locator("#import-result[role=alert]")
    expect(result).to_contain_text("请先点击“浏览”选择要导入的文件")
    assert in_view(result)
    _view(screenshot, phone, "phone-link-import-no-file")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert [e for e in phone.watcher.errors if "status of 422" not in e] == []


def test_home_page_on_a_phone_login_first_notices_fold(app, new_page, screenshot):
    from app.core.extensions import db
    from app.models import Notice

    with app.app_context():
        db.session.add(Notice(title="关于开展2025年质量管理小组活动成果申报工作的通知", body="各有关单位：\n正文第一段。"))
        db.session.add(Notice(title="关于公布2024年质量信得过班组名单的通知", body="正文。"))
        db.session.commit()
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + "/")
    login_top = phone.locator("#login-box").bounding_box()["y"]
    notices_top = phone.locator(".notice-list").bounding_box()["y"]
    assert login_top < notices_top
    first = phone.locator(".notice").first
    expect(first.locator(".notice-title")).to_be_visible()
    expect(first.locator(".notice-date")).to_be_visible()
    expect(first.locator(".notice-body")).to_be_hidden()
    first.locator("summary").tap()
    expect(first.locator(".notice-body")).to_be_visible()
    for link in (phone.get_by_role("link", name="注册", exact=True), phone.get_by_role("link", name="忘记密码"),
                 *phone.locator("footer a.tel").all()):
        box = link.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (link, box)
    for tel in phone.locator("footer a.tel").all():  # a number never breaks across lines
        assert tel.evaluate("e => e.getClientRects().length") == 1
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "phone-home")

    desktop = new_page(width=1280, height=900)
    desktop.goto(desktop.base_url + "/")
    expect(desktop.locator(".notice").first.locator(".notice-body")).to_be_visible()  # the newest opens wide
    login_box = desktop.locator("#login-box").bounding_box()
    assert login_box["x"] > desktop.locator(".home-info").bounding_box()["x"]  # on the right, as before
    screenshot(desktop, "desktop-home")


def test_count_links_on_the_invitation_page_are_big_enough_to_tap(new_page, make, login_browser, screenshot):
    unit = make.unit()
    make.invitation(unit, enterprise_name="被邀企业（一厂）")
    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, unit.user)
    phone.goto(phone.base_url + "/invite/")
    links = phone.locator(".count-pair a").all()
    assert len(links) == 2
    for link in links:
        box = link.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    _shot(screenshot, phone, "phone-invite-page")
