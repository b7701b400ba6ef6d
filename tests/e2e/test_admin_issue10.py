"""Issue 10 on the secretariat's pages in a real browser: tables at 1280 px that never break a word or a
number, change requests decided from the list, the outbox, expert accounts, and the printed 汇总表."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from tests.accounts.conftest import captcha_answer  # noqa: F401
from tests.e2e.test_invite import _shot
from tests.secretariat.conftest import group_rows, team_rows

pytestmark = pytest.mark.e2e

# Every date, code, number, address and short name in a table cell lies on one line.
BROKEN_TOKENS = r"""() => {
  const patterns = [/\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}:\d{2}/g, /\b[0-9A-Z]{18}\b/g,
    /\b(?:QC|BZ)-\d{4}-\d{6}\b/g, /\b1\d{10}\b/g, /\b0\d{2,3}-\d{7,8}\b/g,
    /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, /\b\d{1,3}(?:\.\d{1,3}){3}\b/g];
  const lines = range => new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                                     .map(r => Math.round(r.top))).size;
  const broken = [];
  for (const cell of document.querySelectorAll("table.data td, table.data th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const holder = node.parentElement;
      const folded = holder.closest("details:not([open])") && !holder.closest("summary");
      if (folded || holder.closest(".visually-hidden")) continue;
      const text = node.textContent;
      const trimmed = text.trim();
      // a short word on its own (北京市, 待审核, 已通过, a header) is never split either
      const short = trimmed && trimmed.length <= 6 && !/\s/.test(trimmed);
      const tokens = short ? [[text.indexOf(trimmed), trimmed]] : [];
      for (const pattern of patterns) {
        for (const m of text.matchAll(pattern)) tokens.push([m.index, m[0]]);
      }
      for (const [index, token] of tokens) {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + token.length);
        if (lines(range) > 1) broken.push(token);
      }
    }
  }
  return broken;
}"""


@pytest.fixture
def world(app, make):
    """Units with long names, filings, an invitation, change requests and mails: realistic tables."""
    from app.core.extensions import db
    from app.core.settings import filing_period
    from app.models import AuditLog, OutboxMail, QcGroupFiling, TeamFiling, UnitChangeRequest

    units = [make.unit(name="中国石油化工股份有限公司北京燕山分公司（炼油事业部）", province_code="11",
                       email="yanshan.refinery@sinopec-example.com"),
             make.unit(name="内蒙古自治区鄂尔多斯市化工集团有限公司", province_code="15"),
             make.unit(name="待审（北京）化工有限公司", status="pending", province_code="11")]
    make.invitation(units[0], enterprise_name="北京燕山石化（集团）有限公司", email="contact.person@yanshan-example.com",
                    phone="010-69341234")
    with app.app_context():
        year = filing_period().year
        ids = [u.id for u in units[:2]]
        db.session.execute(insert(QcGroupFiling), group_rows(ids, year, 12))
        db.session.execute(insert(TeamFiling), team_rows(ids, year, 6))
        db.session.add(UnitChangeRequest(unit_id=units[1].id, new_name="内蒙古鄂尔多斯化工（集团）有限公司",
                                         old_name=units[1].name, old_credit_code=units[1].credit_code))
        db.session.add(OutboxMail(
            recipient="yanshan.refinery@sinopec-example.com", subject="【石油和化工行业QC成果申报系统】注册成功",
            body="中国石油化工股份有限公司北京燕山分公司：\n\n注册成功。", status="failed", attempts=6,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused"))
        db.session.add(OutboxMail(recipient="b@example.com", subject="邀请贵单位进行登记备案", body="正文",
                                  status="pending"))
        db.session.add(AuditLog(action="unit.approve", summary="审核通过注册：内蒙古自治区鄂尔多斯市化工集团有限公司",
                                actor_name="秘书处丁", ip="203.119.24.201",
                                detail='{"is_enabled": [false, true], "kind": "group"}'))
        db.session.commit()
    return {"units": units, "year": year}


ADMIN_PAGES = ("/admin/", "/admin/registrations", "/admin/units", "/admin/filings", "/admin/audit",
               "/admin/outbox", "/admin/accounts", "/admin/notices", "/admin/settings")


def test_wide_tables_at_1280_never_break_a_word_or_number(page, new_page, make, login_browser, world,
                                                          screenshot):
    clerk = make.secretariat(display_name="秘书处丁")
    login_browser(page, clerk)
    unit = world["units"][0]
    for url in ADMIN_PAGES + (f"/admin/units/{unit.id}", f"/admin/registrations/{world['units'][2].id}"):
        page.goto(page.base_url + url)
        broken = page.evaluate(BROKEN_TOKENS)
        assert broken == [], (url, broken)
        name = url.strip("/").replace("/", "-") or "dashboard"
        _shot(screenshot, page, f"desktop-{name}")
    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, clerk)
    for url in ADMIN_PAGES + (f"/admin/units/{unit.id}",):
        phone.goto(phone.base_url + url)
        # wide tables scroll inside their own box; the page itself never scrolls sideways
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        name = url.strip("/").replace("/", "-") or "dashboard"
        _shot(screenshot, phone, f"phone-{name}")
    assert page.watcher.errors == [] and phone.watcher.errors == []


def test_change_request_decided_from_the_list(page, make, login_browser, world, screenshot):
    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/registrations")
    expect(page.locator("#change-requests-total")).to_have_text("1")
    section = page.locator("#change-requests")
    expect(section).to_contain_text("内蒙古自治区鄂尔多斯市化工集团有限公司 → 内蒙古鄂尔多斯化工（集团）有限公司")
    page.on("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name="通过", exact=True).click()
    expect(page.locator("#change-requests-total")).to_have_text("0")
    expect(section).to_contain_text("已通过“内蒙古鄂尔多斯化工（集团）有限公司”的变更申请")
    expect(page.locator("#registration-list")).to_contain_text("内蒙古鄂尔多斯化工（集团）有限公司")
    expect(page.locator("#registration-list")).not_to_contain_text("内蒙古自治区鄂尔多斯市化工集团有限公司")
    _shot(screenshot, page, "change-request-approved")
    page.goto(page.base_url + f"/admin/units/{world['units'][1].id}")
    expect(page.locator("#unit-change-requests")).to_contain_text(
        "内蒙古自治区鄂尔多斯市化工集团有限公司 → 内蒙古鄂尔多斯化工（集团）有限公司")
    expect(page.locator("#unit-change-logs")).to_contain_text("申报单位名称")
    _shot(screenshot, page, "unit-detail-after-change")
    assert page.watcher.errors == []


def test_outbox_mail_page_and_resend(page, new_page, make, login_browser, world, screenshot):
    clerk = make.secretariat()
    login_browser(page, clerk)
    page.goto(page.base_url + "/admin/outbox")
    expect(page.locator("#outbox-not-configured")).to_contain_text("系统尚未配置发信的邮件服务器")
    expect(page.get_by_role("button", name="重发")).to_have_count(1)
    page.get_by_role("link", name="【石油和化工行业QC成果申报系统】注册成功").click()
    expect(page.locator(".mail-body")).to_contain_text("注册成功。")
    expect(page.locator("#outbox-mail")).to_contain_text("无法连接邮件服务器")
    _shot(screenshot, page, "outbox-mail")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重发").click()
    expect(page.locator("#outbox-mail .flash-success")).to_contain_text("已重新放入发件箱")
    expect(page.get_by_role("button", name="重发")).to_have_count(0)
    phone = new_page(width=375, height=800, mobile=True)
    login_browser(phone, clerk)
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(screenshot, phone, "phone-outbox-mail")
    assert page.watcher.errors == []


def test_an_expert_account_is_created_and_must_change_its_password(page, new_page, make, login_browser,
                                                                   captcha_answer, screenshot):
    login_browser(page, make.secretariat())
    page.goto(page.base_url + "/admin/accounts")
    page.select_option("#f-role", label="评审专家")
    page.fill("#f-username", "zhuanjia7")
    page.fill("#f-display_name", "张专家")
    page.click("#account-form button[type=submit]")
    expect(page.locator(".created-account")).to_contain_text("已创建评审专家账号 zhuanjia7")
    password = page.locator(".generated-password").inner_text()
    expect(page.locator("#account-table")).to_contain_text("zhuanjia7")
    expect(page.locator("#account-table")).to_contain_text("评审专家")
    _shot(screenshot, page, "expert-created")
    # the expert logs in with it on a phone and is asked to change it first
    expert = new_page(width=375, height=800, mobile=True)
    expert.goto(expert.base_url + "/login")
    expert.locator("#login-form .captcha-img").wait_for()
    expert.select_option("#login-role", label="评审专家")
    expert.fill("#login-username", "zhuanjia7")
    expert.fill("#login-password", password)
    expert.fill("#login-captcha", captcha_answer)
    expert.get_by_role("button", name="登录", exact=True).click()
    expect(expert.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(expert.locator("#password-form")).to_contain_text("您的密码是初始密码")
    _shot(screenshot, expert, "expert-first-login")
    assert page.watcher.errors == []


def test_printed_summary(page, make, login_browser, screenshot, app):
    from app.core.extensions import db
    from app.core.settings import filing_period
    from app.models import QcGroupFiling

    unit = make.unit(name="测试化工（北京）有限公司")
    with app.app_context():
        year = filing_period().year
        db.session.execute(insert(QcGroupFiling), [dict(
            unit_id=unit.id, year=year, reg_no=f"QC-{year}-{i:06d}", enterprise_name=f"下属企业（{i % 4}）",
            group_name=f"攻关QC小组{i}", topic="降低装置能耗", topic_type="创新型", founded_on=date(2024, 3, 1),
            leader="王五", member_count=7, contact="王五", mobile="13912345678") for i in range(1, 31)])
        db.session.commit()
    login_browser(page, unit.user)
    page.goto(page.base_url + "/groups/summary")
    page.get_by_role("link", name="打印").click()
    expect(page.locator("#print-unit")).to_have_text("测试化工（北京）有限公司")
    expect(page.locator("#print-records tbody tr")).to_have_count(30)
    _shot(screenshot, page, "print-page-screen")
    page.emulate_media(media="print")
    for hidden in (".navbar", ".site-footer", ".site-header", "button[data-print]"):
        assert page.locator(hidden).first.evaluate("e => getComputedStyle(e).display") == "none", hidden
    expect(page.locator(".seal-line")).to_contain_text("申报单位（盖章）")
    _shot(screenshot, page, "print-page-printed")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    assert page.watcher.errors == []
