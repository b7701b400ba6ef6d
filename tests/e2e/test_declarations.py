"""Real browser: a unit declares a filed group through the picker, fills the 申报表, prints it (the PDF's text
is read back), uploads a .docx made with python-docx, a PDF of activity records and the stamped scan, submits,
and the receipt reaches the SMTP server; every 成果申报 page at desktop and phone width."""
import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.core.clock import china_today
from app.core.extensions import db
from app.core.settings import set_open_declaration_year
from app.models import YearSetting
from tests.conftest import deliver_to
from tests.declarations.conftest import docx_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.e2e


def errors_of(pg):
    """Console errors, except Chromium's note on a form's 422 (errors shown by design)."""
    return [e for e in pg.watcher.errors if "status of 422" not in e]


@pytest.fixture
def declaring_now(app):
    """The current China year is the 当前申报年度 and its window is open today."""
    today = china_today()
    with app.app_context():
        set_open_declaration_year(today.year)
        db.session.add(YearSetting(year=today.year, declaration_start=today - timedelta(days=5),
                                   declaration_end=today + timedelta(days=20),
                                   earliest_completion=today - timedelta(days=300)))
        db.session.commit()
    return today


def test_declare_a_group_upload_submit_and_receive_the_receipt(app, page, new_page, make, login_browser, screenshot,
                                                               smtp_server, tmp_path, declaring_now):
    year = declaring_now.year
    unit = make.unit(name="浏览器测试石化有限公司", email="receipt@example.com")
    filing = make.group(unit, year=year, group_name="催化裂化攻关QC小组", topic="降低催化裂化装置能耗",
                        topic_type="问题解决型（自定目标）", leader="周工")
    make.group(unit, year=year, group_name="另一个QC小组", topic="提高合格率")
    login_browser(page, unit.user)
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="成果申报").click()
    expect(page.locator("h1")).to_have_text("成果申报")
    assert "申报进行中" in page.locator(".declaration-banner").inner_text()
    screenshot(page, "overview-empty")

    page.get_by_role("link", name="小组成果申报").click()
    page.get_by_role("link", name="新增申报").click()
    page.wait_for_load_state()
    page.locator("input[name=q]").fill("催化")
    expect(page.locator(".picker-table tbody tr")).to_have_count(1)
    assert "未申报" in page.locator(".picker-table").inner_text()
    screenshot(page, "picker")
    page.get_by_role("link", name="选择").click()

    # prefilled from the filing and the unit
    expect(page.locator("#f-title")).to_have_value("降低催化裂化装置能耗")
    assert page.input_value("#f-group_name") == "催化裂化攻关QC小组"
    assert page.input_value("#f-topic_type") == "问题解决型" and page.input_value("#f-topic_subtype") == "自定目标"
    page.fill("#f-contact_department", "炼油二部")
    page.fill("#f-economic_benefit", "86.5")
    page.fill("#f-completed_on", (declaring_now - timedelta(days=30)).isoformat())
    page.fill("#f-main_contributors", "周工，吴工、郑工 王工")
    expect(page.locator("#p-main_contributors li")).to_have_count(4)
    page.fill("#f-summary", "本小组针对催化裂化装置能耗偏高的问题，运用PDCA循环开展活动。" * 2)
    assert "已输入" in page.locator("#c-summary").inner_text()
    page.select_option("#f-topic_type", "创新型")
    expect(page.locator("#f-topic_subtype")).to_be_hidden()
    page.select_option("#f-topic_type", "问题解决型")
    screenshot(page, "form-new")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".flash-success")).to_contain_text(f"申报编号 QCSB-{year}-0001")
    assert "课题类型与备案" not in page.content()
    assert page.locator("#files-stamped_form .file-state").inner_text() == "未上传"

    # 打印申报表: the PDF the browser gets carries the names as real text, 主要完成人 in order, and the 校验码
    href = page.get_by_role("link", name="打印申报表").first.get_attribute("href")
    printed = page.request.get(page.base_url + href)
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    text = "".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(printed.body())).pages)
    flat = "".join(text.split())
    assert "降低催化裂化装置能耗" in flat and "催化裂化攻关QC小组" in flat and "浏览器测试石化有限公司" in flat
    assert "周工，吴工，郑工，王工" in flat
    assert f"QCSB-{year}-0001" in flat and "校验码" in flat

    report = tmp_path / "成果报告书.docx"
    report.write_bytes(docx_bytes("催化裂化装置节能降耗成果报告"))
    records = tmp_path / "小组活动记录.pdf"
    records.write_bytes(pdf_bytes(3))
    scan = tmp_path / "申报表盖章扫描件.png"
    scan.write_bytes(png_bytes())
    for code, path in (("report", report), ("records", records), ("stamped_form", scan)):
        slot = page.locator(f"#files-{code}")
        slot.locator("input[type=file]").set_input_files(str(path))
        assert slot.locator(".file-name").inner_text() == path.name
        slot.get_by_role("button", name="上传").click()
        expect(page.locator(f"#files-{code} .file-list")).to_contain_text(path.name)
    assert page.locator("#files-stamped_form .file-state").inner_text() == "已上传"
    screenshot(page, "form-files")

    # a hostile file is refused beside its slot, and the page carries on
    fake = tmp_path / "伪装.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.locator("#files-report_pdf input[type=file]").set_input_files(str(fake))
    page.locator("#files-report_pdf").get_by_role("button", name="上传").click()
    expect(page.locator("#files-report_pdf .field-error")).to_contain_text("只接受PDF文件")

    page.get_by_role("button", name="提交申报").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已提交申报 QCSB-{year}-0001")
    assert "已提交（待形式审查）" in page.locator(".status-card").inner_text()
    assert "周工" in page.locator("ol.people").inner_text()
    screenshot(page, "show")
    with page.expect_download() as info:
        page.locator(".file-summary a", has_text="成果报告书.docx").click(modifiers=["Alt"])
    assert info.value.suggested_filename == "成果报告书.docx"

    page.get_by_role("link", name="返回列表").click()
    row = page.locator(".declaration-table tbody tr").first
    assert f"QCSB-{year}-0001" in row.inner_text() and "撤回" in row.inner_text()
    screenshot(page, "list")
    page.get_by_role("link", name="附件下载").click()
    screenshot(page, "downloads")
    page.get_by_role("link", name="成果申报", exact=True).first.click()
    assert "活动统计表" in page.locator("#unit-documents").inner_text()
    screenshot(page, "overview")
    assert errors_of(page) == []

    assert deliver_to(app, smtp_server) == 1
    [message] = smtp_server.messages
    assert message["To"] == "receipt@example.com" and f"QCSB-{year}-0001" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "申报编号：QCSB-" in body and "降低催化裂化装置能耗" in body

    phone = new_page(width=375, height=740, mobile=True)
    login_browser(phone, unit.user)
    for path, name in (("/declarations/", "overview"), ("/declarations/group/", "list"),
                       ("/declarations/group/new", "picker")):
        phone.goto(phone.base_url + path)
        screenshot(phone, f"phone-{name}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
    other = make.group(unit, year=year, group_name="手机申报QC小组")
    phone.goto(phone.base_url + f"/declarations/group/new/{other.id}")
    screenshot(phone, "phone-form")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="保存").click()  # an incomplete draft is kept
    expect(phone.locator(".flash-success")).to_contain_text(f"QCSB-{year}-0002")
    screenshot(phone, "phone-edit")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto(phone.base_url + "/declarations/downloads")
    screenshot(phone, "phone-downloads")
    phone.goto(phone.base_url + "/declarations/group/")
    phone.locator(".declaration-table a", has_text="查看").first.click()
    screenshot(phone, "phone-show")
    assert errors_of(phone) == []
