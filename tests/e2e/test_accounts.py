"""Real browser: agreement → form with license upload → submit → approval → email → login."""
import re

import pytest

from app.core import outbox
from app.core.extensions import db
from app.models import Unit
from tests.accounts.conftest import TEST_ANSWER, captcha_answer, make_png, smtp_server  # noqa: F401
from tests.conftest import deliver_to
from tests.factories import valid_credit_code

pytestmark = pytest.mark.e2e


def errors_of(pg):
    """Console errors and CSP violations, except Chromium's note on a form's 422 (errors shown by design)."""
    return [e for e in pg.watcher.errors if "status of 422" not in e]


def fill_registration(page, license_path, n):
    page.fill("#f-name", f"浙江绿色化工股份有限公司{n}")
    page.locator("#f-credit_code").click()  # leaving the name field runs the live check
    page.locator("#name-check").get_by_text("该单位名称可以注册。").wait_for()
    page.fill("#f-credit_code", valid_credit_code(n).lower())
    page.set_input_files("#f-license", str(license_path))
    page.get_by_role("button", name="上传", exact=True).click()
    page.locator(".upload-ok").get_by_text("上传成功").wait_for()
    page.fill("#f-username", f"zjlh{n}")
    page.fill("#f-password", "zjlh2024")
    page.fill("#f-password2", "zjlh2024")
    page.fill("#f-contact", "陈晓红")
    page.fill("#f-mobile", "13812345678")
    page.fill("#f-address", "浙江省杭州市西湖区文三路100号")
    page.fill("#f-postcode", "310000")
    page.select_option("#f-province_code", label="浙江省")
    page.select_option("#f-industry_code", index=3)
    page.fill("#f-email", f"zjlh{n}@example.com")
    page.fill("#f-captcha", TEST_ANSWER)


def test_register_approve_mail_and_login(page, new_page, app, make, login_browser, captcha_answer,
                                         smtp_server, screenshot, tmp_path):
    license_path = tmp_path / "营业执照.png"
    license_path.write_bytes(make_png((400, 280)))
    n = 731
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="注册", exact=True).click()
    screenshot(page, "agreement")
    page.get_by_role("button", name="同意注册协议").click()
    page.get_by_role("heading", name="申报账号注册").wait_for()
    screenshot(page, "registration-form-empty")
    # a first submit with a mistake comes back with the message beside the field and the license kept
    fill_registration(page, license_path, n)
    page.fill("#f-password2", "different1")
    page.get_by_role("button", name="提交注册资料").click()
    page.locator("#e-password2").get_by_text("两次输入的密码不一致").wait_for()
    assert page.locator(".upload-ok").is_visible()
    assert page.input_value("#f-contact") == "陈晓红"
    page.fill("#f-password", "zjlh2024")
    page.fill("#f-password2", "zjlh2024")
    page.fill("#f-captcha", TEST_ANSWER)
    screenshot(page, "registration-form")
    page.get_by_role("button", name="提交注册资料").click()
    page.get_by_role("heading", name="注册资料已提交").wait_for()
    assert errors_of(page) == []

    # the secretariat approves inline
    clerk = make.secretariat()
    admin = new_page()
    login_browser(admin, clerk)
    admin.goto(admin.base_url + "/admin/registrations")
    row = admin.locator("tr.reg-row", has_text=f"浙江绿色化工股份有限公司{n}")
    assert "待审核" in row.inner_text()
    screenshot(admin, "approval-page")
    admin.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="通过", exact=True).click()
    admin.locator(f"tr.reg-row.reg-approved", has_text=f"浙江绿色化工股份有限公司{n}").wait_for()
    assert errors_of(admin) == []

    # the email arrives at the SMTP server
    assert deliver_to(app, smtp_server) == 1
    message = smtp_server.messages[0]
    assert message["To"] == f"zjlh{n}@example.com" and "注册成功" in message["Subject"]
    assert f"zjlh{n}" in message.get_content()

    # the unit logs in through the login box on the home page
    page.goto(page.base_url + "/")
    page.locator("#login-form .captcha-img").wait_for()
    page.select_option("#login-role", label="申报用户")
    page.fill("#login-username", f"zjlh{n}")
    page.fill("#login-password", "zjlh2024")
    page.fill("#login-captcha", TEST_ANSWER)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text(f"欢迎浙江绿色化工股份有限公司{n}使用本系统。").wait_for()
    assert errors_of(page) == []
    with app.app_context():
        assert db.session.execute(db.select(Unit)).scalar_one().status == "approved"


def test_captcha_change_image_without_reload_and_wrong_login(page, make):
    make.unit(username="browser01")
    page.goto(page.base_url + "/")
    page.locator("#login-form .captcha-img").wait_for()
    first = page.input_value("#login-form input[name=captcha_id]")
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="换图").click()
    page.locator(f"#login-form input[name=captcha_id]:not([value='{first}'])").wait_for(state="attached")
    assert page.evaluate("window.__marker") == 1  # no reload
    page.fill("#login-username", "browser01")
    page.fill("#login-password", "wrong-password")
    page.fill("#login-captcha", "XXXX")
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator(".login-error").get_by_text("验证码错误").wait_for()
    assert errors_of(page) == []


def test_registration_form_on_a_phone(new_page, screenshot):
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + "/register/form")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.get_by_role("button", name="提交注册资料").click()
    phone.locator("#e-name").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(phone, "registration-errors-phone")
    phone.goto(phone.base_url + "/register/form")
    screenshot(phone, "registration-form-phone")
    assert errors_of(phone) == []
    assert re.search("上传营业执照", phone.content())


def test_detail_page_rejects_inline_with_a_reason(page, make, login_browser, screenshot, captcha_answer, app):
    from tests.accounts.conftest import register

    anon = app.test_client()
    response, data = register(anon, make_png((600, 400)))
    assert response.status_code == 204
    with app.app_context():
        unit_id = db.session.execute(db.select(Unit.id)).scalar_one()
    login_browser(page, make.secretariat())
    page.goto(f"{page.base_url}/admin/registrations/{unit_id}")
    assert page.locator("img.license-preview").evaluate("img => img.naturalWidth") == 600
    screenshot(page, "detail")
    assert errors_of(page) == [], "after load"
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="不通过", exact=True).click()
    page.locator("#decision").get_by_text("请填写不通过的原因。").wait_for()
    assert errors_of(page) == [], "after 422"
    page.fill("#decision textarea[name=reason]", "营业执照与单位名称不一致")
    page.get_by_role("button", name="不通过", exact=True).click()
    page.locator("#decision").get_by_text("未通过").first.wait_for()
    assert "营业执照与单位名称不一致" in page.locator("#decision").inner_text()
    # the 变更记录 below reloads by itself
    page.locator("#change-history").get_by_text("营业执照与单位名称不一致").wait_for()
    assert errors_of(page) == []


def test_home_login_box_and_profile_pages(page, new_page, make, login_browser, screenshot):
    page.goto(page.base_url + "/")
    page.locator("#login-form .captcha-img").wait_for()
    screenshot(page, "home-login-box")
    phone = new_page(width=375, height=740, mobile=True)
    unit = make.unit()
    login_browser(phone, unit.user)
    phone.goto(phone.base_url + "/profile")
    phone.get_by_role("heading", name="修改资料").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(phone, "profile-phone")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/profile")
    page.fill("#f-contact", "新联系人")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("资料已保存。").wait_for()
    assert page.input_value("#f-contact") == "新联系人"
    screenshot(page, "profile")
    assert errors_of(page) == [] and errors_of(phone) == []


def test_approval_list_filters_live_and_outbox_resend(page, make, login_browser, app, screenshot):
    make.unit(name="甲方化工有限公司", status="pending")
    make.unit(name="乙方石化有限公司", status="approved")
    with app.app_context():
        mail = outbox.queue_mail("x@example.com", "【测试】注册成功", "正文")
        mail.status, mail.attempts, mail.last_error = "failed", 6, "TimeoutError: timed out"
        db.session.commit()
    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/registrations")
    page.evaluate("window.__marker = 1")
    page.fill("input[name=q]", "乙方")
    page.locator("#registration-list tr.reg-row").filter(has_text="甲方化工有限公司").wait_for(state="detached")
    assert page.locator("#registration-list tr.reg-row").count() == 1
    page.select_option("select[name=status]", "pending")
    page.get_by_text("没有符合条件的注册。").wait_for()
    assert page.evaluate("window.__marker") == 1 and "status=pending" in page.url
    page.goto(page.base_url + "/admin/outbox")
    screenshot(page, "outbox")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重发").click()
    page.locator("#outbox-list").get_by_text("待发送").wait_for()
    assert errors_of(page) == []
