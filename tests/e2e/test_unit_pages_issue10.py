"""Issue 10: a unit's pages after login at 1280 px and 375 px — 系统首页 with progress, one record read-only,
the deadline closing 删除 and 设置, and the other pages this issue changed."""
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.test_invite import _shot

pytestmark = pytest.mark.e2e
WIDTHS = ((1280, False), (375, True))


def unit_pages(new_page, login_browser, unit, path):
    """(width, page) at a desktop and a phone, each logged in as the unit and opened at path."""
    for width, mobile in WIDTHS:
        pg = new_page(width=width, height=900, mobile=mobile)
        login_browser(pg, unit.user)
        pg.goto(pg.base_url + path)
        yield width, pg


@pytest.fixture
def unit_world(app, make):
    """A unit with 设置, filings, an idle and a busy invitation, and a notice with an attachment."""
    from app.core.extensions import db
    from app.core.settings import filing_period
    from app.models import Notice, UnitYearStat

    unit = make.unit(name="测试化工（北京）有限公司")
    with app.app_context():
        year = filing_period().year
        db.session.add(UnitYearStat(unit_id=unit.id, year=year, group_total=8, team_total=4, staff_total=900,
                                    qc_participants=120))
        db.session.add(Notice(title="关于开展2025年质量管理小组活动成果申报工作的通知", body="各有关单位：\n正文。"))
        db.session.commit()
    busy = make.invitation(unit, enterprise_name="燕山石化（北京）分公司")
    make.invitation(unit, enterprise_name="天津石化（滨海）分公司", phone="022-63801234")
    filing = make.group(unit, year=year, group_name="攻关QC小组（一车间）", remark="第一行\n第二行")
    make.group(unit, year=year, invitation_id=busy.id, enterprise_name=busy.enterprise_name)
    make.team(unit, year=year)
    return {"unit": unit, "filing": filing, "year": year}


def test_unit_home_shows_progress_notices_and_dates(new_page, login_browser, unit_world, screenshot):
    for width, pg in unit_pages(new_page, login_browser, unit_world["unit"], "/"):
        expect(pg.locator("#progress-groups")).to_contain_text("2 / 8")
        expect(pg.locator("#progress-teams")).to_contain_text("1 / 4")
        expect(pg.locator("#idle-invitations")).to_contain_text("天津石化（滨海）分公司")
        expect(pg.locator("#idle-invitations")).not_to_contain_text("燕山石化")
        expect(pg.locator(".unit-home-info")).to_contain_text("关于开展2025年质量管理小组活动成果申报工作的通知")
        expect(pg.locator(".unit-home-info")).to_contain_text("成果申报时间")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(screenshot, pg, f"unit-home-{width}")
        assert pg.watcher.errors == []


def test_a_record_read_only_and_the_deadline_closing_delete_and_settings(app, new_page, login_browser,
                                                                         unit_world, screenshot):
    from app.core.extensions import db
    from app.core.settings import set_open_filing_year

    filing = unit_world["filing"]
    for width, pg in unit_pages(new_page, login_browser, unit_world["unit"], "/groups/"):
        pg.get_by_role("link", name=filing.reg_no).click()
        expect(pg.locator("h1")).to_contain_text("攻关QC小组（一车间）")
        expect(pg.locator(".filing-view")).to_contain_text("2024年3月1日")
        expect(pg.get_by_role("link", name="修改", exact=True)).to_be_visible()
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(screenshot, pg, f"record-view-{width}")
    with app.app_context():
        set_open_filing_year(unit_world["year"], deadline=date(2000, 1, 1))
        db.session.commit()
    for width, pg in unit_pages(new_page, login_browser, unit_world["unit"], "/groups/"):
        expect(pg.locator("#filing-list")).not_to_contain_text("删除")
        expect(pg.locator("#filing-list")).not_to_contain_text("修改")
        _shot(screenshot, pg, f"list-closed-{width}")
        pg.goto(pg.base_url + f"/groups/{filing.id}")
        expect(pg.locator(".filing-view")).to_contain_text("备案已截止，不能再修改或删除")
        pg.goto(pg.base_url + "/groups/settings")
        expect(pg.locator("main")).to_contain_text("备案已截止")
        expect(pg.get_by_role("button", name="提交")).to_have_count(0)
        _shot(screenshot, pg, f"settings-closed-{width}")
        assert pg.watcher.errors == []


def test_other_changed_unit_pages_at_both_widths(new_page, login_browser, unit_world, screenshot):
    unit = unit_world["unit"]
    for width, mobile in WIDTHS:
        visitor = new_page(width=width, height=900, mobile=mobile)
        for url, name in (("/register", "agreement"), ("/register/form", "register-form"),
                          ("/login", "login")):
            visitor.goto(visitor.base_url + url)
            assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
            _shot(screenshot, visitor, f"{name}-{width}")
        pg = new_page(width=width, height=900, mobile=mobile)
        login_browser(pg, unit.user)
        for url, name in (("/invite/", "invite"), ("/groups/", "groups"), ("/groups/new", "group-form"),
                          ("/groups/summary", "summary"), ("/groups/summary/print", "print"),
                          ("/profile", "profile")):
            pg.goto(pg.base_url + url)
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
            _shot(screenshot, pg, f"{name}-{width}")
        assert pg.watcher.errors == [] and visitor.watcher.errors == []


def test_send_mail_says_outbox_and_the_row_shows_the_mails_state(new_page, login_browser, unit_world,
                                                                  screenshot):
    for width, pg in unit_pages(new_page, login_browser, unit_world["unit"], "/invite/"):
        row = pg.locator("#invite-table tbody tr", has_text="天津石化（滨海）分公司")
        row.get_by_role("link", name="小组邀请").click()
        dialog = pg.locator("#invite-dialog")
        dialog.get_by_role("button", name="发送邮件").click()
        expect(dialog.locator(".flash-success")).to_contain_text("已放入发件箱，将发往")
        _shot(screenshot, pg, f"mail-queued-{width}")
        dialog.get_by_role("button", name="关闭").click()
        pg.reload()
        expect(pg.locator("#invite-table tbody tr", has_text="天津石化（滨海）分公司")).to_contain_text("邮件待发送")
        _shot(screenshot, pg, f"invite-mail-state-{width}")
        assert pg.watcher.errors == []
