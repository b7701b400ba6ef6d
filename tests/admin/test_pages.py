"""Every secretariat page renders for a clerk, with data and without."""
import pytest

PAGES = ["/admin/", "/admin/units", "/admin/filings", "/admin/settings", "/admin/notices",
         "/admin/notices/new",
         "/admin/audit", "/admin/accounts"]


@pytest.mark.parametrize("url", PAGES)
def test_page_renders_empty(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200, response.text[:2000]
    assert "<h1>" in response.text


@pytest.mark.parametrize("url", PAGES)
def test_page_renders_with_data(admin_client, make, url):
    unit = make.unit(province_code="32", industry_code="26")
    make.unit(status="pending")
    make.group(unit)
    make.team(unit)
    make.invitation(unit)
    response = admin_client.get(url)
    assert response.status_code == 200, response.text[:2000]
