"""Real browser, desktop and phone: the secretariat opens 评审进度, reads an expert's 打分 and 驳回 it with a reason
(an empty reason first: the message beside the field)."""
import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.review.models import ScoreSheet
from tests.review.test_progress import _score_and_submit, _setup

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_secretariat_rejects_an_expert_in_the_browser(app, auth, new_page, review, login_browser, screenshot,
                                                      clerk, width):
    s = _setup(app, review, 2)
    _score_and_submit(app, auth, s, 0)
    pg = new_page(width=width, height=900, mobile=width < 500)
    login_browser(pg, clerk)
    pg.goto(pg.base_url + "/admin/review/progress")
    table = pg.locator("#progress")
    expect(table).to_contain_text("专家甲")
    row = table.locator("tbody tr", has_text="专家甲")
    expect(row).to_contain_text("已提交")
    expect(table.locator("tbody tr", has_text="专家乙")).to_contain_text("未提交")
    screenshot(pg, f"progress-{width}")

    row.get_by_role("link", name="查看打分").click()
    expect(pg.locator("h1")).to_have_text("查看打分")
    expect(pg.locator("main input:not([type=hidden]), main textarea")).to_have_count(0)
    screenshot(pg, f"scores-{width}")
    pg.get_by_role("link", name="返回评审进度").click()

    pg.locator("#progress tbody tr", has_text="专家甲").get_by_role("link", name="驳回").click()
    pg.get_by_role("button", name="驳回").click()
    expect(pg.locator("#e-reason")).to_have_text("请填写驳回原因。")
    pg.locator("#f-reason").fill("第3项评分依据不足，请复核后重新提交")
    screenshot(pg, f"reject-{width}")
    pg.get_by_role("button", name="驳回").click()
    expect(pg.locator(".flash-success")).to_contain_text("驳回成功，该专家可重新修改并提交打分")
    expect(pg.locator("#progress tbody tr", has_text="专家甲")).to_contain_text("未提交")
    screenshot(pg, f"rejected-{width}")
    with app.app_context():
        statuses = set(db.session.execute(db.select(ScoreSheet.status).where(
            ScoreSheet.expert_id == s.experts[0])).scalars())
    assert statuses == {"draft"}
    assert not [e for e in pg.watcher.errors if "status of 422" not in e]
