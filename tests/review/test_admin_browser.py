"""Real browser, desktop and phone: the secretariat sets up a review round, edits a rubric with its live 合计
and forms a 专业组 with its 组长."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _errors(pg):
    # Refused forms answer 422 on purpose (htmx swaps them); Chromium logs that status, nothing else may appear.
    return [e for e in pg.watcher.errors if "status of 422" not in e]


def test_rounds_rubrics_and_groups_in_the_browser(page, new_page, make, review, login_browser, screenshot):
    clerk = make.secretariat()
    year = review.year()
    review.rubrics()
    review.expert("甲专家", "中国石化研究院")
    review.expert("乙专家", "北京化工大学", kinds=("group", "team"))
    review.expert("丙专家", "某班组研究所", kinds=("team",))
    login_browser(page, clerk)

    page.goto(page.base_url + "/admin/review/rounds")
    expect(page.locator("nav.navbar a[aria-current=page]")).to_have_text("评审管理")
    page.get_by_role("link", name="新增评审轮次").click()
    page.select_option("#f-kind", "group")
    page.select_option("#f-stage", "R1")
    page.select_option("#f-rubric_id", label="QC-PS 问题解决型课题成果评审表（小组成果）")
    page.select_option("#f-innovative_rubric_id", label="QC-IN 创新型课题成果评审表")
    page.fill("#f-starts_at", f"{year + 1}-06-30T09:00")
    page.fill("#f-ends_at", f"{year + 1}-06-01T17:00")
    page.click("#round-form button[type=submit]")
    expect(page.locator("#e-ends_at")).to_have_text("截止时间应晚于开始时间。")
    page.fill("#f-starts_at", f"{year + 1}-06-01T09:00")
    page.fill("#f-ends_at", f"{year + 1}-06-30T17:00")
    page.click("#round-form button[type=submit]")
    expect(page.locator("#rounds")).to_contain_text("资料评审（初评）")
    rounds = page.locator("#rounds").inner_text()
    assert f"{year + 1}-06-01 09:00" in rounds and "未开始" in rounds and "创新型课题成果评审表" in rounds
    screenshot(page, "rounds")

    page.get_by_role("link", name="评分表").first.click()
    row = page.locator("#rubrics tr", has_text="创新型课题成果评审表")
    row.get_by_role("link", name="编辑").click()
    expect(page.locator("#rubric-total")).to_have_text("100")
    page.get_by_label("第1行配分").fill("22.5")
    expect(page.locator("#rubric-total")).to_have_text("102.5")
    page.get_by_label("第7行评审项目").fill("持证情况")
    page.get_by_label("第7行配分").fill("3.55")
    expect(page.locator("#rubric-total")).to_have_text("106.05")
    page.get_by_label("第7行配分").fill("abc")
    page.click("#rubric-form button[type=submit]")
    expect(page.locator("#rubric-editor .field-error")).to_contain_text("第7项持证情况的配分应为大于0")
    page.get_by_label("第7行配分").fill("3.5")
    expect(page.locator("#rubric-total")).to_have_text("106")
    screenshot(page, "rubric-editor")
    page.click("#rubric-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("合计106分")
    expect(page.locator("#rubrics")).to_contain_text("106")

    page.get_by_role("link", name="专业组管理").click()
    page.fill("#f-group-name", "第一专业组")
    page.get_by_role("button", name="新增").click()
    expect(page.locator(".flash-success")).to_contain_text("已新增专业组“第一专业组”")
    page.fill("#f-group-name", "第二专业组")
    page.get_by_role("button", name="新增").click()
    first, second = page.locator("section.card", has_text="第一专业组"), page.locator("section.card", has_text="第二专业组")
    options = first.locator("select[name=expert_id]").inner_text()
    assert "甲专家" in options and "乙专家" in options and "丙专家" not in options
    first.locator("select[name=expert_id]").select_option(label="甲专家（中国石化研究院）")
    first.get_by_role("button", name="加入").click()
    first = page.locator("section.card", has_text="第一专业组")
    first.locator("select[name=expert_id]").select_option(label="乙专家（北京化工大学）")
    first.get_by_role("button", name="加入").click()
    first = page.locator("section.card", has_text="第一专业组")
    expect(first.locator("h2")).to_contain_text("2位评委，组长：甲专家")
    first.get_by_role("button", name="设为组长").click()
    expect(page.locator("section.card", has_text="第一专业组").locator("h2")).to_contain_text("组长：乙专家")
    # 甲 is no longer offered to the second group: one group per expert per round.
    assert "甲专家" not in page.locator("section.card", has_text="第二专业组").locator("select").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("section.card", has_text="第一专业组").locator("tr", has_text="乙专家") \
        .get_by_role("button", name="移出").click()
    expect(page.locator("#group-page .field-error")).to_contain_text("乙专家是组长，请先将其他评委设为组长")
    screenshot(page, "groups")
    assert _errors(page) == []

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, clerk)
    for path, name in (("/admin/review/rounds", "rounds"), ("/admin/review/rubrics", "rubrics"),
                       ("/admin/review/groups", "groups")):
        phone.goto(phone.base_url + path)
        expect(phone.locator("nav.tabs a[aria-current=page]")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
        screenshot(phone, f"{name}-phone")
    assert _errors(phone) == []
