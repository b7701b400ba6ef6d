"""Real browser: the secretariat publishes a 公示, a visitor sees it on the home page, a unit files an 异议, the
secretariat handles it with 调整, and 正式发布 is refused while the 异议 is open and accepted after it."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.review.models import Publicity
from tests.review.test_publicity import PUNCTUATED_GROUP, TITLE_A, awards, lock  # noqa: F401
from tests.secretariat.conftest import decl  # noqa: F401

pytestmark = pytest.mark.e2e


def _errors(pg):
    return [e for e in pg.watcher.errors if "status of 422" not in e]


def _shots(pg, screenshot, name):
    for width in (1280, 390):
        pg.set_viewport_size({"width": width, "height": 900})
        screenshot(pg, f"{name}-{width}")
    pg.set_viewport_size({"width": 1280, "height": 900})


def test_publicity_objection_adjustment_and_publication(app, make, new_page, login_browser, screenshot,
                                                         awards):
    lock(app, awards.year, "group", "team")
    admin = new_page()
    admin.on("dialog", lambda dialog: dialog.accept())
    login_browser(admin, make.secretariat(display_name="秘书处甲"))
    admin.goto(admin.base_url + "/admin/publicity")
    admin.get_by_role("link", name="公示发布").first.wait_for()
    admin.select_option("#f-kind", "group")
    expect(admin.locator("#f-title")).to_have_value(
        f"{awards.year}年度石油和化工行业优秀质量管理小组活动成果评审结果公示")
    admin.fill("#f-contact", "联系人：张三　电话：010-84885418")
    _shots(admin, screenshot, "form")
    admin.get_by_role("button", name="发布公示").click()
    expect(admin.locator(".flash-success")).to_contain_text("已发布公示")
    expect(admin.locator("#name-list")).to_contain_text(PUNCTUATED_GROUP)

    visitor = new_page(width=390, height=844, mobile=True)
    visitor.goto(visitor.base_url + "/")
    notice = visitor.locator(".notice", has_text="评审结果公示").first
    expect(notice).to_be_visible()
    notice.locator("summary").click()
    expect(notice.get_by_role("link", name=f"{awards.year}年度石油和化工行业优秀质量管理小组活动成果评审结果公示.pdf"))\
        .to_be_visible()
    expect(notice).to_contain_text("公示期：")
    screenshot(visitor, "home-390")

    unit = new_page()
    unit.on("dialog", lambda dialog: dialog.accept())
    login_browser(unit, awards.unit_b.user)
    unit.goto(unit.base_url + "/results/")
    expect(unit.locator("#result-list")).to_contain_text("评审中")
    unit.get_by_role("link", name="提出异议").click()
    unit.select_option("#f-declaration_id", str(awards.g1))
    unit.fill("#f-content", "")
    unit.get_by_role("button", name="提交异议").click()
    expect(unit.locator("#e-content")).to_have_text("请填写异议内容。")
    unit.fill("#f-content", "该成果与我单位去年发表的成果雷同。")
    unit.fill("#f-phone", "010-84885418")
    unit.get_by_role("button", name="提交异议").click()
    expect(unit.locator(".flash-success")).to_contain_text("已提交异议")
    expect(unit.locator("#objection-list")).to_contain_text("待处理")
    _shots(unit, screenshot, "unit-results")

    with app.app_context():  # the 公示期 has passed
        row = db.session.execute(db.select(Publicity)).scalar_one()
        row.starts_on -= timedelta(days=9)
        row.ends_on -= timedelta(days=9)
        db.session.commit()
    admin.reload()
    admin.get_by_role("button", name="正式发布").click()
    expect(admin.locator(".flash-error:not(#toast)")).to_contain_text("还有1条异议待处理，全部处理后才能正式发布。")
    expect(admin.locator("#objection-list")).to_contain_text("该成果与我单位去年发表的成果雷同。")
    _shots(admin, screenshot, "refused")

    admin.locator("#objection-list").get_by_role("link", name="处理").click()
    admin.get_by_role("radio", name="调整").check()
    admin.fill("#f-handling", "经评审委员会复核，调整为二等。")
    admin.select_option("#f-level", "二等")
    admin.fill("#f-reason", "异议属实")
    admin.get_by_role("checkbox", name="重新发布公示名单").check()
    _shots(admin, screenshot, "handle")
    admin.get_by_role("button", name="保存处理结果").click()
    expect(admin.locator(".flash-success")).to_contain_text("已处理异议，已重新发布公示名单。")
    expect(admin.locator("#objection-list")).to_contain_text("已处理（调整）")
    admin.get_by_role("button", name="正式发布").click()
    expect(admin.locator(".flash-success")).to_contain_text("已正式发布评审结果")
    expect(admin.locator("#publicity-status")).to_contain_text("已正式发布")
    _shots(admin, screenshot, "published")

    unit_a = new_page(width=390, height=844, mobile=True)
    login_browser(unit_a, awards.unit_a.user)
    unit_a.goto(unit_a.base_url + "/results/")
    row = unit_a.locator("#result-list tr", has_text=TITLE_A)
    expect(row).to_contain_text("二等")
    expect(row).to_contain_text(f"CPCIF-QC-{awards.year}-")
    screenshot(unit_a, "unit-published-390")
    for pg in (admin, visitor, unit, unit_a):
        assert not _errors(pg), _errors(pg)
