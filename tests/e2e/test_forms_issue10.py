"""Issue 10 in a real browser: a failed registration keeps the passwords, a fresh ✓ replaces an old red
error, the province hint follows the province, 修改资料 never shows two verdicts, 不通过 asks for a reason
before it asks to confirm."""
import pytest
from playwright.sync_api import expect

from tests.accounts.conftest import TEST_ANSWER, captcha_answer, make_png  # noqa: F401
from tests.e2e.test_accounts import errors_of, fill_registration
from tests.e2e.test_invite import _shot

pytestmark = pytest.mark.e2e


def test_failed_registration_keeps_passwords_and_a_fresh_check_replaces_the_error(
        page, make, captcha_answer, screenshot, tmp_path):
    make.unit(name="浙江绿色化工股份有限公司812", status="pending")
    license_path = tmp_path / "营业执照.png"
    license_path.write_bytes(make_png((300, 200)))
    page.goto(page.base_url + "/register/form")
    fill_registration(page, license_path, 813)
    page.fill("#f-name", "浙江绿色化工股份有限公司812")  # taken: the submit says so beside the name
    page.fill("#f-captcha", "WRONG")
    page.get_by_role("button", name="提交注册资料").click()
    expect(page.locator("#e-name")).to_contain_text("该单位已注册")
    expect(page.locator("#f-name")).to_be_focused()  # the first wrong field
    expect(page.locator("#f-password")).to_have_value("zjlh2024")
    expect(page.locator("#f-password2")).to_have_value("zjlh2024")
    _shot(screenshot, page, "register-failed-kept")
    # a corrected name: the live check's ✓ takes the place of the red message
    page.fill("#f-name", "浙江绿色化工（集团）股份有限公司813")
    page.locator("#f-credit_code").click()
    expect(page.locator("#name-check .check-ok")).to_contain_text("该单位名称可以注册")
    expect(page.locator("#e-name")).to_have_count(0)
    assert "is-invalid" not in (page.locator("#f-name").get_attribute("class") or "")
    _shot(screenshot, page, "register-fresh-check")
    page.fill("#f-captcha", TEST_ANSWER)
    page.get_by_role("button", name="提交注册资料").click()
    page.get_by_role("heading", name="注册资料已提交").wait_for()
    assert errors_of(page) == []


def test_province_hint_also_when_the_province_is_chosen_after_the_code(new_page, screenshot):
    from tests.factories import valid_credit_code

    for width, mobile in ((1280, False), (375, True)):
        pg = new_page(width=width, height=900, mobile=mobile)
        pg.goto(pg.base_url + "/register/form")
        pg.fill("#f-credit_code", valid_credit_code(4321))  # digits 3-4: 11, 北京市
        pg.locator("#f-username").click()
        expect(pg.locator("#credit-code-check .check-ok")).to_contain_text("代码格式正确")
        pg.select_option("#f-province_code", label="浙江省")
        expect(pg.locator("#credit-code-check .check-warn")).to_contain_text("对应北京市，与所选省份不一致")
        pg.select_option("#f-province_code", label="北京市")
        expect(pg.locator("#credit-code-check .check-ok")).to_contain_text("代码格式正确")
        pg.select_option("#f-province_code", label="浙江省")
        expect(pg.locator("#credit-code-check .check-warn")).to_be_visible()
        _shot(screenshot, pg, f"province-hint-{width}")
        assert pg.watcher.errors == []


def test_profile_never_shows_saved_beside_not_saved(new_page, make, login_browser, screenshot):
    unit = make.unit(name="测试化工（北京）有限公司")
    for width, mobile in ((1280, False), (375, True)):
        pg = new_page(width=width, height=900, mobile=mobile)
        login_browser(pg, unit.user)
        pg.goto(pg.base_url + "/profile")
        pg.fill("#f-contact", f"王晓明（质量部）{width}")
        pg.get_by_role("button", name="保存", exact=True).click()
        saved = pg.locator("#profile-form .flash-success")
        expect(saved).to_contain_text("资料已保存")
        expect(pg.locator("#f-contact")).to_have_value(f"王晓明（质量部）{width}")
        pg.fill("#f-mobile", "123")
        pg.get_by_role("button", name="保存", exact=True).click()
        expect(pg.locator("#profile-form [role=alert]").first).to_contain_text("资料未保存")
        expect(pg.get_by_text("资料已保存")).to_have_count(0)
        expect(pg.locator("#f-mobile")).to_be_focused()
        _shot(screenshot, pg, f"profile-unsaved-{width}")
        assert [e for e in pg.watcher.errors if "status of 422" not in e] == []


def test_reject_checks_the_reason_before_asking_to_confirm(page, new_page, make, login_browser, screenshot):
    unit = make.unit(name="待审（北京）化工有限公司", status="pending")
    clerk = make.secretariat()
    dialogs = []
    for pg, url, scope in ((page, "/admin/registrations?status=pending", f"#reg-{unit.id}"),
                           (new_page(width=375, height=800, mobile=True), f"/admin/registrations/{unit.id}",
                            "#decision")):
        login_browser(pg, clerk)
        pg.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        pg.goto(pg.base_url + url)
        box = pg.locator(scope)
        if scope.startswith("#reg-"):
            box.locator("summary", has_text="不通过").click()
        box.get_by_role("button", name="不通过" if scope == "#decision" else "确定不通过").click()
        expect(box.locator(".reason-missing")).to_contain_text("请填写不通过的原因")
        expect(box.locator("textarea[name=reason]")).to_be_focused()
        assert dialogs == []  # nothing asked before the reason is there
        _shot(screenshot, pg, f"reject-needs-reason-{pg.viewport_size['width']}")
        box.locator("textarea[name=reason]").fill("营业执照不清晰，请重新上传。")
        box.get_by_role("button", name="不通过" if scope == "#decision" else "确定不通过").click()
        expect(box.locator(".reason-missing")).to_have_count(0)
        assert len(dialogs) == 1 and "确定不通过" in dialogs[0]
        dialogs.clear()
        assert pg.watcher.errors == []
