"""Real browser: the secretariat's 申报总览, 形式审查 and 评委管理 at 1280 and 375 px; an expert created from a
recommendation sets the password from the mailed link and logs in with 类型 评审专家."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core import outbox
from app.core.clock import china_today
from app.core.extensions import db
from app.declarations.models import Declaration
from tests.accounts.conftest import TEST_ANSWER, captcha_answer  # noqa: F401 (the fixture)
from tests.accounts.test_outbox import mail_config
from tests.secretariat.declaration_factory import DeclarationFactory

pytestmark = pytest.mark.e2e


def _errors(pg):
    """Console errors, except Chromium's note on a form's 422/409 (the answer is shown by design)."""
    return [e for e in pg.watcher.errors if "status of 422" not in e and "status of 409" not in e]


@pytest.fixture
def data(app, make):
    """Two units with declarations, documents, 统计表 and recommendations."""
    decl = DeclarationFactory(app)
    yangzi = make.unit(name="中国石化扬子石油化工有限公司", province_code="32", email="yangzi@example.com")
    qilu = make.unit(name="齐鲁石化（集团）有限公司", province_code="37")
    ids = [decl.declaration(yangzi, title="降低乙烯装置能耗的研究"), decl.declaration(yangzi, kind="team"),
           decl.declaration(qilu, title="提高聚丙烯产品优级品率", status="accepted"),
           decl.declaration(qilu, status="draft")]
    decl.documents(yangzi)
    decl.report(qilu, qc_registered_year=12, qc_participants=300, staff_total=1200, qc_with_results=5,
                team_review_forms=["发表评审"])
    decl.recommendation(yangzi, name="王建国", company_dept="扬子石化质量管理部 副主任", kinds=["group", "team"],
                        email="wangjg@example.com", mobile="13912340001")
    decl.recommendation(qilu, name="李红", kinds=["team"])
    return decl, yangzi, qilu, ids


def test_overview_pages_at_both_widths(page, new_page, make, login_browser, screenshot, data):
    decl, yangzi, qilu, ids = data
    clerk = make.secretariat(display_name="秘书处丁")
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/declarations")
    expect(page.locator("#declaration-total")).to_have_text("4")
    # The unit filter is a search as you type: choose a candidate, the table follows.
    page.fill("#unit-q", "齐鲁")
    page.locator("[data-unit-option]").first.click()
    expect(page.locator("#declaration-total")).to_have_text("2")
    expect(page.locator("#declarations")).to_contain_text("提高聚丙烯产品优级品率")
    page.select_option("select[name=status]", "accepted")
    expect(page.locator("#declaration-total")).to_have_text("1")
    screenshot(page, "overview")
    page.goto(page.base_url + "/admin/declarations")
    page.get_by_role("link", name=decl.get(ids[0]).decl_no).click()
    page.get_by_role("heading", name="附件材料").wait_for()
    screenshot(page, "detail")
    page.get_by_role("link", name="返回申报总览").click()
    page.locator("nav.tabs").get_by_role("link", name="单位材料齐全情况").click()
    expect(page.locator("#unit-total")).to_have_text("2")
    page.get_by_label("只看材料不全").check()
    expect(page.locator("#unit-total")).to_have_text("1")
    screenshot(page, "units")
    page.goto(page.base_url + f"/admin/declarations/units/{yangzi.id}")
    page.fill("#f-until", (china_today() + timedelta(days=5)).isoformat())
    page.fill("#f-reason", "系统故障")
    page.get_by_role("button", name="保存延长").click()
    page.locator(".flash-success").wait_for()
    screenshot(page, "unit")
    page.goto(page.base_url + "/admin/declarations/statistics")
    expect(page.locator("#rollup-total")).to_contain_text("24.96%")  # (300 + 2) / (1200 + 10)
    screenshot(page, "statistics")
    assert _errors(page) == []

    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, clerk)
    for path, name in (("/admin/declarations", "overview"), (f"/admin/declarations/{ids[0]}", "detail"),
                       ("/admin/declarations/units", "units"), (f"/admin/declarations/units/{yangzi.id}", "unit"),
                       ("/admin/declarations/statistics", "statistics")):
        phone.goto(phone.base_url + path)
        screenshot(phone, f"{name}-phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
    assert _errors(phone) == []


def test_formal_check_and_bulk_accept(app, page, new_page, make, login_browser, screenshot, data):
    decl, yangzi, qilu, ids = data
    clerk = make.secretariat(display_name="秘书处丁")
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/formal-checks")
    expect(page.locator("#check-total")).to_have_text("2")
    screenshot(page, "list")
    page.locator("#checks").get_by_role("link", name="审查").first.click()
    page.get_by_role("heading", name="审查项目").wait_for()
    # Nothing chosen: the message is beside the conclusion; 意见说明 is required for 完善后参评.
    page.get_by_label("完善后参评").check()
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#e-opinion")).to_contain_text("请填写意见说明")
    page.fill("#f-opinion", "请补充小组活动记录原件扫描件。")
    page.locator("#item-F10").get_by_label("不符合").check()
    page.get_by_role("button", name="提交").click()
    page.locator(".flash-success").wait_for()
    expect(page.locator("#check-history")).to_contain_text("完善后参评")
    screenshot(page, "check")
    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, clerk)
    phone.goto(phone.base_url + f"/admin/formal-checks/{ids[1]}")
    screenshot(phone, "check-phone")
    phone.goto(phone.base_url + "/admin/formal-checks")
    screenshot(phone, "list-phone")
    # 批量参评: 全选 ticks the compliant rows; the preview changes nothing until confirmed.
    page.goto(page.base_url + "/admin/formal-checks")
    page.locator("#select-all").check()
    page.get_by_role("button", name="批量参评（预览）").click()
    page.get_by_role("heading", name="批量参评（预览）").wait_for()
    expect(page.locator("#bulk-ready")).to_have_text("1")
    screenshot(page, "bulk-preview")
    with app.app_context():
        assert db.session.get(Declaration, ids[1]).status == "submitted"
    page.get_by_role("button", name=re.compile("确认批量参评")).click()
    page.locator(".flash-success").wait_for()
    with app.app_context():
        assert db.session.get(Declaration, ids[1]).status == "accepted"
        assert db.session.get(Declaration, ids[0]).status == "returned"
    assert _errors(page) == [] and _errors(phone) == []


def test_expert_from_recommendation_sets_password_and_logs_in(
        app, page, new_page, make, login_browser, screenshot, data, smtp_server, captcha_answer):
    decl, yangzi, qilu, ids = data
    clerk = make.secretariat(display_name="秘书处丁")
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/experts/recommendations")
    screenshot(page, "recommendations")
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator("#recommendations tr", has_text="王建国")
    row.get_by_role("button", name="入选", exact=True).click()
    page.locator(".flash-success").wait_for()
    expect(row.locator(".badge")).to_have_text("入选")
    page.get_by_role("link", name="评委库").click()
    expect(page.locator("#experts")).to_contain_text("王建国")
    screenshot(page, "pool")
    page.get_by_role("link", name="新增评委").click()
    screenshot(page, "new-expert")
    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, clerk)
    for path, name in (("/admin/experts/recommendations", "recommendations"), ("/admin/experts", "pool"),
                       ("/admin/experts/new", "new-expert")):
        phone.goto(phone.base_url + path)
        screenshot(phone, f"{name}-phone")

    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        outbox.deliver_due()
    message = next(m for m in smtp_server.messages if m["To"] == "wangjg@example.com")
    body = message.get_content()
    username = re.search(r"登录账号：(zj\d{7})", body).group(1)
    link = re.search(r"https?://\S+/password/reset/\S+", body).group(0)
    assert "密码：" not in body

    expert = new_page(width=375, height=800, mobile=True)
    expert.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), expert.base_url))
    expert.fill("#f-new_password", "pingshen2024")
    expert.fill("#f-new_password2", "pingshen2024")
    expert.get_by_role("button", name="设置新密码").click()
    expert.locator(".flash-success").wait_for()
    expert.locator("#login-form .captcha-img").wait_for()
    expert.select_option("#login-role", label="评审专家")
    expert.fill("#login-username", username)
    expert.fill("#login-password", "pingshen2024")
    expert.fill("#login-captcha", TEST_ANSWER)
    expert.get_by_role("button", name="登录", exact=True).click()
    expert.get_by_role("heading", name="成果评审").wait_for()
    assert expert.url.endswith("/review/")
    screenshot(expert, "expert-home-phone")
    # The link was single-use.
    again = new_page()
    again.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), again.base_url))
    expect(again.locator("#reset-form")).to_contain_text("无效")
    assert _errors(page) == [] and _errors(phone) == []
