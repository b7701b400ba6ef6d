"""Real browser, desktop and phone: an expert scores two declarations (one refused value first), submits and
withdraws."""
import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.review.models import Expert, ReviewAssignment, ReviewRound

pytestmark = pytest.mark.e2e


def _errors(pg):
    # A refused save answers 422 on purpose; Chromium logs that status, nothing else.
    return [e for e in pg.watcher.errors if "status of 422" not in e and "status of 409" not in e]


def _fill(pg, values):
    for n, value in enumerate(values):
        pg.locator("#rubric tbody input[type=text]").nth(n).fill(value)


@pytest.mark.parametrize("width", [1280, 375])
def test_expert_scores_two_declarations_and_submits(app, new_page, review, login_browser, screenshot, width):
    round_id = review.round(started=True)
    experts = [review.expert(f"专家{n}") for n in "甲乙丙"]
    group = review.group(round_id, "第一专业组", experts)
    declarations = review.declarations(2, units=1, topic=lambda i: "问题解决型")
    with app.app_context():
        for d in declarations:
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group, declaration_id=d))
        db.session.commit()
        user = db.session.get(Expert, experts[0]).user
        count = len(db.session.get(ReviewRound, round_id).rubric.items)
    pg = new_page(width=width, height=900, mobile=width < 500)
    login_browser(pg, user)
    pg.goto(pg.base_url + "/review/")
    expect(pg.locator("#progress")).to_have_text("已评 0 / 应评 2")
    screenshot(pg, f"list-{width}")

    pg.locator("#score-list tbody tr").first.get_by_role("link", name="评分").click()
    _fill(pg, ["16"] + ["1"] * (count - 1))
    pg.get_by_role("button", name="保存").click()
    expect(pg.locator(".field-error").first).to_contain_text("的分值应在0至15之间。")
    expect(pg.locator("#rubric tbody input[type=text]").first).to_have_value("16")  # not clamped
    screenshot(pg, f"refused-{width}")
    _fill(pg, ["14.5", "28", "18", "17.33", "4", "9"])
    pg.get_by_role("button", name="保存").click()
    expect(pg.locator(".flash-success")).to_contain_text("已保存，总分90.83。")
    expect(pg.locator("#total")).to_have_text("90.83")
    screenshot(pg, f"sheet-{width}")

    pg.get_by_role("link", name="返回成果评审").click()
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.get_by_role("button", name="提交最终打分结果").click()
    expect(pg.locator(".flash-error:not(#toast)")).to_contain_text("以下成果尚未完成评分")

    pg.locator("#score-list tbody tr").nth(1).get_by_role("link", name="评分").click()
    _fill(pg, ["15", "30", "20", "20", "5", "10"])
    pg.get_by_role("button", name="保存").click()
    expect(pg.locator("#total")).to_have_text("100")
    pg.get_by_role("link", name="返回成果评审").click()
    expect(pg.locator("#progress")).to_have_text("已评 2 / 应评 2")
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.get_by_role("button", name="提交最终打分结果").click()
    expect(pg.locator(".flash-success")).to_contain_text("已提交2项成果的最终打分结果。")
    expect(pg.locator("#score-list")).to_contain_text("已提交")
    screenshot(pg, f"submitted-{width}")

    pg.locator("#score-list tbody tr").first.get_by_role("link", name="查看成果").click()
    expect(pg.get_by_role("button", name="保存")).to_have_count(0)
    expect(pg.locator("#rubric tbody input[type=text]").first).to_be_disabled()
    pg.get_by_role("link", name="返回成果评审").click()
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.get_by_role("button", name="撤回打分提交").click()
    expect(pg.locator(".flash-success")).to_contain_text("已撤回打分提交")
    expect(pg.get_by_role("button", name="提交最终打分结果")).to_be_visible()
    assert not _errors(pg)
