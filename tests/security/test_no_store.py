"""Issue 11 item 6: every response that may carry personal data is `Cache-Control: no-store` (a shared proxy
or the browser's disk cache must not keep the secretariat's export, a notice attachment or a license scan);
only static files may be cached."""
import pytest

from tests.security.conftest import ANON, EXPERT, SECRETARIAT, UNIT, build_world
from tests.security.test_headers import _login, _pages


def assert_no_store(response, where):
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control, (where, cache_control)


def test_exports_attachments_and_files_are_no_store(app, make, login_as):
    world = build_world(app, make)
    unit = login_as(app.test_client(), world.a.user)
    admin = login_as(app.test_client(), world.sec)
    cases = [
        (admin, "/admin/filings/export"),
        (admin, f"/admin/notices/attachments/{world.attachment}"),
        (admin, f"/admin/notices/attachments/{world.draft_attachment}"),
        (app.test_client(), f"/notices/attachments/{world.attachment}"),
        (unit, f"/notices/attachments/{world.attachment}"),
        (unit, "/groups/summary.xlsx"),
        (unit, "/teams/summary.xlsx"),
        (unit, "/groups/template.xlsx"),
        (unit, f"/files/license/{world.license_a}"),
        (unit, f"/files/license/{world.license_a}?download=1"),
        (app.test_client(), f"/invite/g/{world.group_token_a}/template"),
        (unit, "/groups/"),
        (admin, "/admin/"),
    ]
    for client, url in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_store(response, url)


def test_error_answers_and_redirects_are_no_store(app, client, make, login_as):
    world = build_world(app, make)
    for url in ("/no-such-page", "/admin/filings/export", "/groups/summary.xlsx",
                f"/files/license/{world.license_a}"):
        response = client.get(url)
        assert response.status_code in (302, 303, 401, 403, 404), url
        assert_no_store(response, url)


@pytest.mark.parametrize("role", [ANON, UNIT, SECRETARIAT, EXPERT])
def test_every_page_of_every_role_is_no_store(app, client, make, login_as, role):
    world = build_world(app, make)
    _login(client, login_as, world, role)
    seen = 0
    for endpoint, url in _pages(app, world, role):
        if endpoint == "main.favicon":
            continue
        response = client.get(url)
        assert_no_store(response, f"{endpoint} {url} {response.status_code}")
        seen += 1
    assert seen >= {ANON: 10, UNIT: 10, SECRETARIAT: 20, EXPERT: 1}[role]


def test_static_files_may_still_be_cached(client):
    response = client.get("/static/favicon.ico")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
