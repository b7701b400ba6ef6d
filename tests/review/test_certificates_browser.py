"""Real browser: a unit downloads its certificate after 发布 and the PDF's text holds the four names exactly;
the secretariat's 证书管理 page at desktop and phone width, with a 证书信息更正 approved."""
import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.declarations.models import Declaration
from app.review.models import CertificateCorrection
from tests.review.test_certificates import (  # noqa: F401  (awards: the fixture)
    ENTERPRISE, GROUP_NAME, PEOPLE, TITLE, awards, pdf_pages, printed)

pytestmark = pytest.mark.e2e


def test_unit_downloads_its_certificate(app, make, new_page, awards, login_browser, screenshot):
    unit = make.unit(name="测试化工有限公司")
    declaration_id = awards.declaration(unit, title=TITLE, group_name=GROUP_NAME, enterprise_name=ENTERPRISE,
                                        main_contributors=PEOPLE)
    awards.publish()
    pg = new_page()
    login_browser(pg, unit.user)
    pg.goto(pg.base_url + "/results/certificates")
    expect(pg.locator("#certificates tbody tr")).to_have_count(1)
    screenshot(pg, "unit")
    with pg.expect_download() as info:
        pg.get_by_role("link", name="下载证书").click()
    download = info.value
    assert download.suggested_filename.startswith("证书-CPCIF-QC-")
    [text] = pdf_pages(open(download.path(), "rb").read())
    assert printed(text, "成果名称") == TITLE
    assert printed(text, "小组名称") == GROUP_NAME
    assert printed(text, "企业名称") == ENTERPRISE
    assert printed(text, "主要完成人") == "、".join(PEOPLE)
    assert pg.watcher.errors == []
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).enterprise_name == ENTERPRISE


@pytest.mark.parametrize("width", [1280, 390])
def test_certificate_management_page(app, make, new_page, awards, clerk, login_browser, screenshot, width):
    unit = make.unit(name="测试化工有限公司")
    declaration_id = awards.declaration(unit, title=TITLE, group_name=GROUP_NAME,
                                        enterprise_name="测试化工(北京)有限公司", main_contributors=PEOPLE)
    awards.declaration(make.unit(), kind="team", level="优胜杯", group_name="常减压一班")
    with app.app_context():
        db.session.add(CertificateCorrection(declaration_id=declaration_id, unit_id=unit.id,
                                             field="enterprise_name", old_value="测试化工(北京)有限公司", new_value=ENTERPRISE,
                                             reason="括号应为全角，以公章为准"))
        db.session.commit()
    pg = new_page(width=width, height=900, mobile=width < 500)
    login_browser(pg, clerk)
    pg.goto(pg.base_url + "/admin/certificates")
    expect(pg.locator("#certificate-table tbody tr")).to_have_count(2)
    expect(pg.locator("#correction-table")).to_contain_text("待处理")
    screenshot(pg, f"page-{width}")
    pg.once("dialog", lambda dialog: dialog.accept())
    pg.locator("#correction-table").get_by_role("button", name="同意", exact=True).click()
    expect(pg.locator(".flash-success")).to_contain_text("已同意该证书信息更正")
    expect(pg.locator("#correction-table")).to_contain_text("已同意")
    expect(pg.locator("#certificate-table")).to_contain_text(ENTERPRISE)
    screenshot(pg, f"approved-{width}")
    assert pg.watcher.errors == []
