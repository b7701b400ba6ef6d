"""Real browsers: three experts of one 专业组 (the first is the 组长) score and submit, one withdraws and resubmits, the
组长 sees the averages only once all have submitted, enters 建议等级 and 专家组意见 and confirms; a member's
withdrawal is then refused. The third expert uses a phone."""
import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.review.models import Expert, ReviewAssignment

pytestmark = pytest.mark.e2e

# 问题解决型 items 15/30/20/20/5/10; the first item lowered to reach the total.
TOTALS = {"甲": (90, 86), "乙": (92, 85), "丙": (88, 87)}  # means 90.00 and 86.00


def _score_and_submit(pg, round_id, declarations, totals):
    for declaration, total in zip(declarations, totals):
        pg.goto(f"{pg.base_url}/review/rounds/{round_id}/declarations/{declaration}")
        values = [str(15 - (100 - total)), "30", "20", "20", "5", "10"]
        for n, value in enumerate(values):
            pg.locator("#rubric tbody input[type=text]").nth(n).fill(value)
        pg.get_by_role("button", name="保存").click()
        expect(pg.locator("#total")).to_have_text(str(total))
    pg.get_by_role("link", name="返回成果评审").click()
    expect(pg.locator("#progress")).to_have_text(f"已评 {len(declarations)} / 应评 {len(declarations)}")
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.get_by_role("button", name="提交最终打分结果").click()
    expect(pg.locator(".flash-success")).to_contain_text("最终打分结果")


def _withdraw(pg):
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.get_by_role("button", name="撤回打分提交").click()


def test_three_experts_submit_and_the_leader_confirms(app, new_page, review, login_browser, screenshot):
    round_id = review.round(started=True)
    experts = [review.expert(f"专家{n}") for n in TOTALS]
    group = review.group(round_id, "第一专业组", experts)
    declarations = review.declarations(2, units=1, topic=lambda i: "问题解决型")
    with app.app_context():
        for d in declarations:
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group, declaration_id=d))
        db.session.commit()
        users = [db.session.get(Expert, e).user for e in experts]
    pages = [new_page(width=1280), new_page(width=1280), new_page(width=390, height=844, mobile=True)]
    for pg, user in zip(pages, users):
        login_browser(pg, user)
        pg.goto(pg.base_url + "/review/")
    leader, member, phone = pages

    expect(member.get_by_role("link", name="本组情况")).to_have_count(0)
    screenshot(leader, "list-1280")
    expect(phone.locator("details.filter-fold")).not_to_have_attribute("open", "")
    screenshot(phone, "list-390")
    wrap = phone.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls inside its box
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    _score_and_submit(leader, round_id, declarations, TOTALS["甲"])
    leader.get_by_role("link", name="本组情况").click()
    expect(leader.locator("#member-list")).to_contain_text("已提交")
    expect(leader.locator("#member-list")).to_contain_text("未提交")
    expect(leader.locator("#opinion-wait")).to_be_visible()
    expect(leader.locator("#opinion-table")).to_have_count(0)

    _score_and_submit(member, round_id, declarations, TOTALS["乙"])
    _score_and_submit(phone, round_id, declarations, TOTALS["丙"])
    _withdraw(phone)
    expect(phone.locator(".flash-success")).to_contain_text("已撤回打分提交")
    leader.reload()
    expect(leader.locator("#opinion-table")).to_have_count(0)  # one member is no longer submitted
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="提交最终打分结果").click()
    expect(phone.locator(".flash-success")).to_contain_text("已提交2项成果的最终打分结果")

    leader.reload()
    table = leader.locator("#opinion-table")
    expect(table).to_contain_text("90.00")  # 92, 90, 88: the highest and lowest dropped
    expect(table).to_contain_text("86.00")
    expect(table).not_to_contain_text("92.00")
    first, second = table.locator("tbody tr").nth(0), table.locator("tbody tr").nth(1)
    first.locator("select").select_option("一等")
    first.locator("textarea").fill("选题准确，效果显著。")
    leader.get_by_role("button", name="保存").click()
    expect(leader.locator(".flash-success")).to_contain_text("已保存专家组意见")
    leader.once("dialog", lambda dialog: dialog.accept())
    leader.get_by_role("button", name="组长确认").click()
    expect(leader.locator("#opinions [role=alert]").first).to_contain_text("以下成果尚未选择建议等级")
    second = leader.locator("#opinion-table tbody tr").nth(1)
    second.locator("select").select_option("二等")
    leader.once("dialog", lambda dialog: dialog.accept())
    leader.get_by_role("button", name="组长确认").click()
    expect(leader.locator(".flash-success")).to_contain_text("已确认本组评审结果")
    expect(leader.locator("#confirmed")).to_contain_text("组长已确认")
    expect(leader.locator("#opinion-table select")).to_have_count(0)
    screenshot(leader, "group-1280")

    with leader.context.expect_page() as opened:
        leader.get_by_role("link", name="打印专家组意见表").click()
    printed = opened.value
    expect(printed.locator("#print-opinions")).to_contain_text("选题准确，效果显著。")
    expect(printed.locator(".sign-line")).to_contain_text("组长签字")
    printed.emulate_media(media="print")
    expect(printed.locator(".site-header")).to_be_hidden()
    screenshot(printed, "print")

    _withdraw(member)  # the member's page still shows the button it loaded before the confirmation
    expect(member.locator(".flash-error:not(#toast)")).to_contain_text("组长已确认本组评审结果，不能撤回打分提交。")
    expect(member.get_by_role("button", name="撤回打分提交")).to_have_count(0)
    expect(member.locator("#confirmed-note")).to_be_visible()
    for pg in pages:
        assert not [e for e in pg.watcher.errors if "status of 409" not in e], pg.watcher.errors
