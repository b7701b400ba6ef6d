"""Real browser, desktop and phone: the secretariat previews and confirms 自动分组, and sets and cancels a 回避 with its reason."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _errors(pg):
    # Refused forms answer 422 on purpose (htmx swaps them); Chromium logs that status, nothing else.
    return [e for e in pg.watcher.errors if "status of 422" not in e]


def test_auto_group_and_avoidance_in_the_browser(page, new_page, make, review, login_browser, screenshot):
    clerk = make.secretariat()
    round_id = review.round()
    review.declarations(12, units=2, topic=lambda i: "问题解决型" if i % 3 == 0 else "创新型")
    experts = [review.expert(f"专家{n}", company="企业1有限公司" if i == 0 else "某研究院")
               for i, n in enumerate("甲乙丙丁戊己庚")]
    review.group(round_id, "第一专业组", experts[:4])
    review.group(round_id, "第二专业组", experts[4:])
    login_browser(page, clerk)

    page.goto(page.base_url + "/admin/review/assignments")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("成果分组")
    assert page.locator("#assignments tbody tr").count() == 12
    page.get_by_role("link", name="自动分组").click()
    expect(page.locator("#placed-count")).to_have_text("12")
    extra = review.expert("专家辛")
    review.group(round_id, "第三专业组", [extra])  # the data changes after the preview
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认分组").click()
    expect(page.locator("#preview-message")).to_contain_text("已有变化，请查看新的预览后再确认")
    expect(page.locator("#preview-groups")).to_contain_text("第三专业组")
    with review.app.app_context():
        from app.core.extensions import db
        from app.review.models import ReviewAssignment
        assert db.session.scalar(db.select(db.func.count(ReviewAssignment.id))) == 0
    expect(page.locator("#preview-groups")).to_contain_text("第二专业组")
    screenshot(page, "auto-group-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认分组").click()
    expect(page.locator(".flash-success")).to_contain_text("已确认分组：12项成果已分到专业组")
    assert "未分组" not in page.locator("#assignments tbody").inner_text()
    row = page.locator("#assignments tbody tr").first
    decl_no = row.locator("td").nth(1).inner_text()
    screenshot(page, "assignments")

    page.get_by_role("link", name="回避管理").first.click()
    expect(page.locator("#avoidances")).to_contain_text("自动回避（单位名称）")  # 企业1, 企业10, 企业11
    page.fill("#f-decl_no", decl_no)
    page.select_option("#f-expert_id", label="专家丙（某研究院）")
    page.get_by_role("button", name="设为回避").click()
    expect(page.locator("#e-new")).to_have_text("请填写回避原因。")
    expect(page.locator("#f-decl_no")).to_have_value(decl_no)
    page.fill("#f-reason", "曾指导该小组")
    page.get_by_role("button", name="设为回避").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已设为回避：成果{decl_no}")
    manual = page.locator("#avoidances tr", has_text="曾指导该小组")
    manual.get_by_label("取消原因").fill("误设")
    manual.get_by_role("button", name="取消回避").click()
    expect(page.locator("#avoidances tr", has_text="曾指导该小组")).to_contain_text("未回避")
    page.get_by_role("button", name="重新检查回避").click()
    expect(page.locator(".flash-success")).to_contain_text("新增0条，取消0条")
    screenshot(page, "avoidances")
    assert _errors(page) == []

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, clerk)
    for path, name in ((f"/admin/review/assignments?round={round_id}", "assignments"),
                       (f"/admin/review/rounds/{round_id}/auto-group", "auto-group"),
                       (f"/admin/review/avoidances?round={round_id}", "avoidances")):
        phone.goto(phone.base_url + path)
        expect(phone.locator("nav.tabs a[aria-current=page]")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
        screenshot(phone, f"{name}-phone")
    assert _errors(phone) == []
