"""Real browser: the secretariat's dashboard shows the numbers of the data; desktop and phone."""
import pytest

from app.core.settings import open_filing_year

pytestmark = pytest.mark.e2e


def _data(app, make):
    with app.app_context():
        year = open_filing_year()
    js = make.unit(province_code="32", industry_code="26")
    sd = make.unit(province_code="37", industry_code="25")
    make.unit()
    make.unit(status="pending")
    for _ in range(3):
        make.group(js, year=year)
    make.group(sd, year=year)
    make.team(sd, year=year)
    make.team(sd, year=year)
    return year


def _stat(pg, element_id):
    return int(pg.locator(f"#{element_id} .stat-value").inner_text())


def test_dashboard_numbers_match_the_data(app, page, make, login_browser, screenshot):
    year = _data(app, make)
    login_browser(page, make.secretariat(display_name="秘书处丁"))
    page.goto(page.base_url + "/")
    page.wait_for_url("**/admin/")
    assert page.locator("h1").inner_text() == "工作台"
    assert _stat(page, "stat-pending") == 1
    assert _stat(page, "stat-groups") == 4
    assert _stat(page, "stat-teams") == 2
    assert _stat(page, "stat-units-filed") == 2
    assert _stat(page, "stat-units-without") == 1
    assert _stat(page, "stat-units") == 4
    assert page.locator("#stat-groups .stat-label").inner_text() == f"{year}年小组备案"
    # The province chart's bars carry their totals as text; the data table agrees.
    bars = page.locator("#chart-province .chart-row")
    totals = {bars.nth(i).get_attribute("data-name"): bars.nth(i).locator(".chart-value").text_content()
              for i in range(bars.count())}
    assert totals == {"江苏省": "3", "山东省": "3"}
    page.locator("#chart-industry").scroll_into_view_if_needed()
    page.get_by_text("查看数据").nth(2).click()
    row = page.locator("#table-industry tr", has_text="石油、煤炭及其他燃料加工业")
    assert [c.inner_text() for c in row.locator("td").all()][1:] == ["1", "2", "3"]
    days = page.locator("#chart-daily .chart-day").all()
    assert sum(int(day.get_attribute("data-total")) for day in days) == 6
    screenshot(page, "desktop")
    # The stat card links to the filtered overview.
    page.locator("#stat-teams").click()
    page.wait_for_url("**/admin/filings?*kind=team*")
    assert page.locator("#filing-total").inner_text() == "2"
    assert page.watcher.errors == []


def test_dashboard_on_a_phone(app, new_page, make, login_browser, screenshot):
    _data(app, make)
    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, make.secretariat())
    phone.goto(phone.base_url + "/admin/")
    assert int(phone.locator("#stat-groups .stat-value").inner_text()) == 4
    # Mobile emulation widens the layout viewport to the content, so compare with the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "phone")
    assert phone.watcher.errors == []
