"""Real browser: the home page renders, htmx loads, no console error or CSP violation."""
import pytest

pytestmark = pytest.mark.e2e


def test_home_page_in_chromium(page, screenshot):
    page.goto(page.base_url + "/")
    assert "石油和化工行业质量管理小组活动成果" in page.title()
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.locator("a", has_text="注册").count() >= 1
    screenshot(page, "desktop")
    assert page.watcher.errors == []


def test_home_page_on_phone_width(new_page, screenshot):
    phone = new_page(width=375, height=740, mobile=True)
    phone.goto(phone.base_url + "/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(phone, "phone")
    assert phone.watcher.errors == []


def test_csp_violation_would_be_reported(page):
    """Guard that the watcher sees CSP violations: an inline script must be blocked and reported."""
    page.goto(page.base_url + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__x = 1';
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__x") is None
    assert any("Content Security Policy" in e for e in page.watcher.errors)
