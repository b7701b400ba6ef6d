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


HUGE_PAGE = str(2 ** 63)


@pytest.mark.parametrize("path", ["/admin/units", "/admin/filings", "/admin/audit", "/admin/notices",
                                  "/admin/accounts", "/admin/units/{unit}", "/admin/units/{unit}?inv_page={huge}"
                                  "&req_page={huge}&log_page={huge}"])
def test_hostile_page_numbers_show_a_page(admin_client, make, path):
    unit = make.unit()
    url = path.format(unit=unit.id, huge=HUGE_PAGE)
    sep = "&" if "?" in url else "?"
    for value in (HUGE_PAGE, "-5", "0", "abc"):
        response = admin_client.get(f"{url}{sep}page={value}")
        assert response.status_code == 200, (url, value)
