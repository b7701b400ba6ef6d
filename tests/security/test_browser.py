"""Real browser: stored payloads stay text on the pages that show them; no script runs, no dialog opens,
the CSP reports nothing, and a link page cannot be framed."""
import pytest

from tests.security.conftest import SCRIPT, build_world
from tests.security.test_xss import P, poison

pytestmark = pytest.mark.e2e


def test_stored_payloads_do_not_execute_in_chromium(app, page, new_page, login_as_browser_world):
    world = build_world(app)
    poison(app, world)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login_as_browser_world(page, world.a.user)
    for path in ("/", "/groups/", "/teams/", "/invite/", "/groups/summary", f"/groups/{world.group_a}/edit"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src='x']").count() == 0, path
        assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, path
    assert SCRIPT in page.locator("body").inner_text()  # shown as text
    visitor = new_page(width=375, height=740, mobile=True)
    visitor.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    visitor.goto(f"{visitor.base_url}/invite/g/{world.group_token_a}")
    visitor.wait_for_load_state("networkidle")
    assert P[:10] in visitor.locator("body").inner_text()
    assert visitor.locator("img[src='x']").count() == 0
    assert dialogs == []
    assert page.watcher.errors == [] and visitor.watcher.errors == []


def test_pages_refuse_to_be_framed(app, page):
    """frame-ancestors 'none': not even a page of the same origin can frame the login page (without the
    header the same-origin frame's form would be readable, so this check can fail)."""
    page.goto(page.base_url + "/")
    blocked = page.evaluate("""async (url) => {
        const frame = document.createElement('iframe');
        const done = new Promise(resolve => { frame.onload = resolve; setTimeout(resolve, 3000); });
        frame.src = url; document.body.appendChild(frame); await done;
        try { return !frame.contentDocument || !frame.contentDocument.querySelector('form'); }
        catch (e) { return true; }
    }""", page.base_url + "/login")
    assert blocked
    assert any("frame-ancestors" in error for error in page.watcher.errors), page.watcher.errors


@pytest.fixture
def login_as_browser_world(login_browser):
    return lambda pg, user: login_browser(pg, user)
