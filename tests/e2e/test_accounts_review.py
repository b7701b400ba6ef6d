"""Real browser, round 2: captcha on a phone, inline decisions on the 待审核 filter, PDF licenses."""
import pytest

from app.core.extensions import db
from app.models import Unit
from tests.accounts.conftest import PDF_BYTES, captcha_answer  # noqa: F401
from tests.e2e.test_accounts import errors_of

pytestmark = pytest.mark.e2e

NO_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _captcha_is_legible_and_tappable(phone, scope):
    """The image is at least 120x43 CSS px, 换图 is a 44 px target, both inside the screen."""
    img = phone.locator(f"{scope} .captcha-img")
    img.wait_for()
    box = img.bounding_box()
    assert box["width"] >= 120 and box["height"] >= 43, box
    assert img.evaluate("i => i.naturalWidth") >= 2 * 120  # drawn at 2x, sharp on phone screens
    button = phone.locator(f"{scope} .captcha-refresh")
    tap = button.bounding_box()
    assert tap["height"] >= 44 and tap["width"] >= 44, tap
    assert tap["x"] + tap["width"] <= 375 and box["x"] >= 0
    assert phone.evaluate(NO_OVERFLOW) <= 0
    first = phone.input_value(f"{scope} input[name=captcha_id]")
    button.tap()
    phone.locator(f"{scope} input[name=captcha_id]:not([value='{first}'])").wait_for(state="attached")


def test_captcha_is_legible_and_easy_to_tap_on_a_phone(new_page, screenshot):
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + "/")
    _captcha_is_legible_and_tappable(phone, "#login-form")
    phone.locator("#login-form").scroll_into_view_if_needed()
    screenshot(phone, "login-box-phone")
    phone.goto(phone.base_url + "/register/form")
    _captcha_is_legible_and_tappable(phone, "form")
    phone.locator("#f-captcha").scroll_into_view_if_needed()
    screenshot(phone, "register-captcha-phone")
    phone.goto(phone.base_url + "/password/forgot")
    _captcha_is_legible_and_tappable(phone, "form")
    screenshot(phone, "forgot-password-phone")
    assert errors_of(phone) == []


def test_login_box_captcha_fits_inside_the_box_on_a_desktop(page, screenshot):
    page.goto(page.base_url + "/")
    page.locator("#login-form .captcha-img").wait_for()
    form = page.locator("#login-form").bounding_box()
    refresh = page.locator("#login-form .captcha-refresh").bounding_box()
    captcha_input = page.locator("#login-captcha").bounding_box()
    assert refresh["x"] + refresh["width"] <= form["x"] + form["width"], (refresh, form)
    assert captcha_input["width"] >= 48
    assert page.locator("#login-form .captcha-img").bounding_box()["width"] >= 100
    page.goto(page.base_url + "/login")
    form = page.locator("#login-form").bounding_box()
    refresh = page.locator("#login-form .captcha-refresh").bounding_box()
    assert refresh["x"] + refresh["width"] <= form["x"] + form["width"]
    screenshot(page, "login-page-desktop")


def test_phone_registration_error_keeps_typed_values_and_license(new_page, screenshot, tmp_path):
    phone = new_page(width=375, height=740, mobile=True)
    license_path = tmp_path / "执照.pdf"
    license_path.write_bytes(PDF_BYTES)
    phone.goto(phone.base_url + "/register/form")
    phone.fill("#f-name", "手机注册化工有限公司")
    phone.fill("#f-contact", "李四")
    phone.fill("#f-email", "phone@example.com")
    phone.fill("#f-password", "abc12345")
    phone.set_input_files("#f-license", str(license_path))
    phone.get_by_role("button", name="上传", exact=True).tap()
    phone.locator(".upload-ok").get_by_text("上传成功").wait_for()
    phone.fill("#f-captcha", "ZZZZ")
    old_id = phone.input_value("input[name=captcha_id]")
    phone.get_by_role("button", name="提交注册资料").tap()
    phone.locator("#e-captcha").wait_for()
    assert phone.input_value("#f-name") == "手机注册化工有限公司"
    assert phone.input_value("#f-contact") == "李四" and phone.input_value("#f-email") == "phone@example.com"
    # the password stays as typed (kept by the browser, never sent back); the used captcha does not
    assert phone.input_value("#f-password") == "abc12345" and phone.input_value("#f-captcha") == ""
    assert phone.input_value("input[name=captcha_id]") != old_id  # a fresh image after an error
    assert "执照.pdf" in phone.locator(".upload-ok").inner_text()
    assert phone.evaluate(NO_OVERFLOW) <= 0
    screenshot(phone, "register-error-kept-phone")


def test_inline_decisions_on_the_pending_filter(page, make, login_browser, screenshot):
    first = make.unit(name="甲待审石化有限公司", status="pending")
    make.unit(name="乙待审石化有限公司", status="pending")
    make.unit(name="丙已通过石化有限公司", status="approved")
    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/registrations?status=pending")
    assert page.locator("#registration-list tr.reg-row").count() == 2
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr.reg-row", has_text="甲待审石化有限公司").get_by_role("button", name="通过", exact=True).click()
    page.locator(".decided-note").get_by_text("已通过“甲待审石化有限公司”的注册").wait_for()
    assert page.locator("#registration-list tr.reg-row").count() == 1
    assert "全部待审核：1 条" in page.locator(".pending-total").inner_text()
    row = page.locator("tr.reg-row", has_text="乙待审石化有限公司")
    row.locator("summary").click()
    row.get_by_role("button", name="确定不通过").click()  # no reason: the row says so and stays
    row.get_by_text("请填写不通过的原因。").wait_for()
    row.locator("textarea[name=reason]").fill("营业执照不清晰")
    row.get_by_role("button", name="确定不通过").click()
    page.locator(".decided-note").get_by_text("已不通过“乙待审石化有限公司”的注册").wait_for()
    page.get_by_text("没有符合条件的注册。").wait_for()
    assert "全部待审核：0 条" in page.locator(".pending-total").inner_text()
    screenshot(page, "pending-filter-after-decisions")
    page.goto(f"{page.base_url}/admin/registrations/{first.id}")
    assert "审核状态" in page.locator("#change-history").inner_text()
    assert errors_of(page) == []


def test_pdf_license_card_on_the_detail_page(page, new_page, make, login_browser, screenshot, captcha_answer,
                                             app):
    from tests.accounts.conftest import register

    anon = app.test_client()
    response, _ = register(anon, PDF_BYTES)
    assert response.status_code == 204
    with app.app_context():
        unit_id = db.session.execute(db.select(Unit.id)).scalar_one()
    clerk = make.secretariat()
    login_browser(page, clerk)
    page.goto(f"{page.base_url}/admin/registrations/{unit_id}")
    card = page.locator(".pdf-card")
    assert card.get_attribute("target") == "_blank"
    open_link = page.get_by_role("link", name="在新标签页中打开", exact=True)
    response = page.request.get(page.base_url + open_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载", exact=True).click()
    assert download.value.suggested_filename == "license.pdf"  # named by its real kind
    screenshot(page, "detail-pdf")
    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, clerk)
    phone.goto(f"{phone.base_url}/admin/registrations/{unit_id}")
    assert phone.evaluate(NO_OVERFLOW) <= 0
    screenshot(phone, "detail-pdf-phone")
    assert errors_of(page) == [] and errors_of(phone) == []
