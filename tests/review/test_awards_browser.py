"""Real browser: the secretariat changes the cut-offs and sees the counts change live, 应用, then 定级锁定;
the page at phone width."""
import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.review.models import AwardPlan, AwardResult, RoundResult

pytestmark = pytest.mark.e2e


def test_cutoffs_live_counts_apply_and_lock(app, page, new_page, make, review, login_browser, screenshot):
    clerk = make.secretariat()
    r1 = review.round(started=True)
    group = review.group(r1, "第一专业组")
    ids = review.declarations(6)
    with app.app_context():
        for declaration_id, mean in zip(ids, [9200, 8800, 8600, 8000, 7000, 5000]):
            db.session.add(RoundResult(round_id=r1, declaration_id=declaration_id, group_id=group,
                                       expected_count=3, valid_count=3, used_count=1, mean_c=mean, detail=[]))
        db.session.commit()
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/review/results")
    expect(page.locator("nav.navbar a[aria-current=page]")).to_have_text("评审结果")
    counts = page.locator("#level-counts")
    expect(counts.locator('[data-level="一等"]')).to_have_text("3")  # default 85 / 75 / 60
    page.fill("#f-cutoff-first", "90")
    expect(counts.locator('[data-level="一等"]')).to_have_text("1")  # live, before 应用
    expect(counts.locator('[data-level="二等"]')).to_have_text("3")
    with app.app_context():
        assert db.session.execute(db.select(AwardResult)).first() is None
    screenshot(page, "preview-1280")
    page.get_by_role("button", name="应用").click()
    expect(page.locator(".flash-success")).to_contain_text("已应用定级：优胜杯0项，一等1项，二等3项，三等1项，未获奖1项。")
    expect(page.locator("#results tbody tr").first).to_contain_text("一等")
    page.fill("#f-meeting", "2027-08-20")
    page.get_by_role("button", name="定级锁定").click()
    expect(page.locator("#lock-state")).to_contain_text("定级已锁定（评审委员会审定日期：2027-08-20）")
    expect(page.get_by_role("button", name="应用")).to_have_count(0)
    screenshot(page, "locked-1280")
    with app.app_context():
        assert db.session.execute(db.select(AwardPlan)).scalar_one().locked_at is not None
    phone = new_page(width=390, height=844, mobile=True)
    login_browser(phone, clerk)
    phone.goto(phone.base_url + "/admin/review/results")
    expect(phone.locator("#lock-state")).to_be_visible()
    screenshot(phone, "locked-390")
    assert not page.watcher.errors and not phone.watcher.errors
