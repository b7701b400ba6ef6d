"""Every secretariat URL refuses anonymous visitors, applicants and experts (all admin.* rules)."""
import re

import pytest

from app import create_app


def _secretariat_rules():
    """(method, url) of every admin.* route, built from a throwaway app's url map with dummy ids."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x")
    cases = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1").replace(f"<string:{arg}>", "x")
            url = re.sub(rf"<any\(([a-z_]+)[^>]*\):{arg}>", r"\1", url)  # <any(approve, decline):decision>
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append(pytest.param(method, url, id=f"{method} {url}"))
    return cases


CASES = _secretariat_rules()


def test_the_list_covers_every_area():
    urls = {p.values[1] for p in CASES}
    for expected in ("/admin/", "/admin/registrations", "/admin/outbox", "/admin/units", "/admin/filings",
                     "/admin/settings", "/admin/notices", "/admin/audit", "/admin/accounts",
                     "/admin/units/1/disable", "/admin/filings/export"):
        assert expected in urls


@pytest.mark.parametrize("method,url", CASES)
def test_anonymous_is_refused(client, method, url):
    response = client.open(url, method=method)
    if method == "GET":
        assert response.status_code in (302, 303)
        assert response.headers["Location"].startswith("/?next=") or "/?next=" in response.headers["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("method,url", CASES)
def test_anonymous_htmx_gets_hx_redirect(client, method, url):
    response = client.open(url, method=method, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "next=" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("role", ["unit", "expert"])
@pytest.mark.parametrize("method,url", CASES)
def test_other_roles_get_403(client, auth, make, role, method, url):
    user = make.unit().user if role == "unit" else make.expert()
    auth.login(client, user)
    response = client.open(url, method=method)
    assert response.status_code == 403
    assert "没有权限" in response.text
