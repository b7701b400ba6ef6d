"""Real browser, desktop and phone: the secretariat reads the 评分矩阵 (outlier flagged with its title) and runs
重新计算 through its confirmation."""
import pytest
from playwright.sync_api import expect

from tests.review.test_matrix import _world

pytestmark = pytest.mark.e2e


def test_matrix_in_the_browser(app, page, new_page, make, review, login_browser, screenshot):
    clerk = make.secretariat()
    w = _world(app, review)
    login_browser(page, clerk)
    page.goto(page.base_url + f"/admin/review/matrix?round={w['round']}")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("评分矩阵")
    outlier = page.locator("td.outlier")
    expect(outlier).to_have_count(1)
    expect(outlier).to_have_attribute("title", "偏离其他专家平均分超过15分")
    expect(page.locator(f"#matrix-{w['group_a']}")).to_contain_text("87.83")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重新计算").click()
    expect(page.locator(".flash-success")).to_contain_text("已重新计算：结果没有变化。")
    screenshot(page, "review-matrix")
    page.select_option("#f-group", label="乙组")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("h2.matrix-group")).to_have_text("专业组：乙组")
    assert page.watcher.errors == []

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, clerk)
    phone.goto(phone.base_url + f"/admin/review/matrix?round={w['round']}")
    expect(phone.locator("nav.tabs a[aria-current=page]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "review-matrix-phone")
    assert phone.watcher.errors == []
