"""Issue 10: a unit registers as "测试化工（北京）有限公司" and finds exactly that string on 审核注册, 单位管理,
its welcome line, its export and the mail (names go on certificates "以公章为准")."""
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.core import outbox
from tests.accounts.conftest import TEST_ANSWER, captcha_answer, make_png, smtp_server  # noqa: F401
from tests.accounts.test_outbox import mail_config
from tests.e2e.test_accounts import errors_of, fill_registration
from tests.e2e.test_invite import _shot

pytestmark = pytest.mark.e2e

NAME = "测试化工（北京）有限公司"
CONTACT = "王晓明（质量部）"


def test_the_name_as_typed_everywhere(page, new_page, app, make, login_browser, captcha_answer, smtp_server,
                                      screenshot, tmp_path):
    license_path = tmp_path / "营业执照.png"
    license_path.write_bytes(make_png((300, 200)))
    page.goto(page.base_url + "/register/form")
    fill_registration(page, license_path, 904)
    page.fill("#f-name", NAME)
    page.fill("#f-contact", CONTACT)
    page.fill("#f-captcha", TEST_ANSWER)
    page.get_by_role("button", name="提交注册资料").click()
    page.get_by_role("heading", name="注册资料已提交").wait_for()

    clerk = make.secretariat()
    admin = new_page()
    login_browser(admin, clerk)
    admin.goto(admin.base_url + "/admin/registrations")
    row = admin.locator("tr.reg-row", has_text=NAME)
    expect(row.locator("td").first).to_have_text(NAME)
    expect(row).to_contain_text(CONTACT)
    admin.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="通过", exact=True).click()
    expect(admin.locator("tr.reg-row.reg-approved", has_text=NAME)).to_be_visible()
    _shot(screenshot, admin, "registrations")
    admin.goto(admin.base_url + "/admin/units")
    expect(admin.locator("#unit-table td").first).to_have_text(NAME)
    admin.get_by_role("link", name=NAME).click()
    expect(admin.locator("h1")).to_have_text(NAME)
    _shot(screenshot, admin, "unit-detail")

    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert outbox.deliver_due()["sent"] == 1
    assert smtp_server.messages[0].get_content().startswith(f"{NAME}：")

    page.goto(page.base_url + "/")
    page.locator("#login-form .captcha-img").wait_for()
    page.fill("#login-username", "zjlh904")
    page.fill("#login-password", "zjlh2024")
    page.fill("#login-captcha", TEST_ANSWER)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".welcome")).to_have_text(f"欢迎{NAME}使用本系统。")
    _shot(screenshot, page, "welcome")
    page.goto(page.base_url + "/groups/summary")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    assert NAME in info.value.suggested_filename
    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).worksheets[0]
    assert sheet.cell(1, 1).value.endswith(f"（{NAME}）")
    assert errors_of(page) == [] and errors_of(admin) == []
