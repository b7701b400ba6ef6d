"""Open redirect: the login `next` parameter never sends the browser to another site."""
import pytest

from tests.security.conftest import browser_target, is_local

EVIL = [
    "//evil.example", "https://evil.example", "http://evil.example/groups/", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "///evil.example", "/\t/evil.example", "/\r/evil.example",
    "/ /evil.example", "https:/evil.example", "https:evil.example", "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", " //evil.example", "\t//evil.example",
    "/%2F%2Fevil.example", "/%5Cevil.example", "//evil.example@localhost", "http://localhost@evil.example",
]


def test_the_resolver_agrees_with_browsers():
    """The helper itself: what browsers do with these strings."""
    assert not is_local("//evil.example")
    assert not is_local("/\\evil.example")
    assert not is_local("/\t/evil.example")
    assert not is_local("javascript:alert(1)")
    assert is_local("/groups/?q=1")
    assert is_local("/%2F%2Fevil.example")
    assert browser_target("/groups/") == "http://localhost/groups/"


def _login(client, username, nxt):
    return client.post("/login", data={"role": "unit", "username": username, "password": "secret123",
                                       "captcha": "QC2024", "captcha_id": "", "next": nxt},
                       headers={"HX-Request": "true"})


TAB_CR = ["/\t/evil.example", "/\r/evil.example"]
BACKSLASH = ["/\\evil.example"]
def _offsite_after_login(app, make, variants, htmx=True):
    user = make.unit()
    failures = []
    for nxt in variants:
        client = app.test_client()
        response = client.post("/login", data={"role": "unit", "username": user.user.username,
                                               "password": "secret123", "captcha": "QC2024", "next": nxt},
                               headers={"HX-Request": "true"} if htmx else {})
        target = response.headers.get("HX-Redirect") or response.headers.get("Location")
        if response.status_code not in (204, 302, 303) or not target or not is_local(target):
            failures.append((nxt, response.status_code, target))
    return failures


def test_login_next_never_leaves_the_site(app, make, captcha_answer):
    variants = [v for v in EVIL if v not in TAB_CR]
    assert _offsite_after_login(app, make, variants) == []
    assert _offsite_after_login(app, make, variants[:4], htmx=False) == []


def test_login_next_with_tab_or_cr_never_leaves_the_site(app, make, captcha_answer):
    """Browsers drop tabs and newlines from URLs: '/<TAB>/evil.example' would become //evil.example."""
    assert _offsite_after_login(app, make, TAB_CR) == []


def _hidden_next_values(client, variants):
    import html
    import re
    from urllib.parse import quote

    bad = []
    for nxt in variants:
        for url in ("/login?next=" + quote(nxt, safe=""), "/?next=" + quote(nxt, safe="")):
            response = client.get(url)
            match = re.search(r'name="next" value="([^"]*)"', response.text)
            value = html.unescape(match.group(1)) if match else ""
            if response.status_code != 200 or (value and not is_local(value)):
                bad.append((url, response.status_code, value))
    return bad


def test_login_page_does_not_carry_a_foreign_next(client):
    """The login box's hidden `next` (refilled from ?next=) holds only a local path."""
    assert _hidden_next_values(client, [v for v in EVIL if v not in TAB_CR + BACKSLASH]) == []


def test_login_page_does_not_carry_a_foreign_next_with_backslash_tab_or_cr(client):
    """The template once re-implemented a weaker check than safe_next; it must use the same one."""
    assert _hidden_next_values(client, TAB_CR + BACKSLASH) == []


def test_a_local_next_is_kept(app, client, make, captcha_answer):
    make.unit(username="redirok")
    response = _login(client, "redirok", "/groups/?q=1")
    assert response.headers["HX-Redirect"] == "/groups/?q=1"


def test_protected_page_sends_anonymous_visitors_to_a_local_login(app, client):
    response = client.get("/groups/")
    assert response.status_code in (302, 303)
    assert is_local(response.headers["Location"])
