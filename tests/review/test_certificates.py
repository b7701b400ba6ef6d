"""证书 (spec B12): printed names exactly as declared, one page for the longest names, who may download what,
zips read back, 证书信息更正 approved or declined, the background image, and query counts of 证书管理."""
import io
import json
import zipfile
from datetime import datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from app.core.extensions import db
from app.core.models import AuditLog
from app.declarations.models import Declaration
from app.review.certificate_numbers import allocate_numbers
from app.review.models import AwardPlan, AwardResult, CertificateCorrection

ENTERPRISE = "测试化工（北京）有限公司"
GROUP_NAME = "“启航”QC小组（一车间）"
TITLE = "降低《常减压》装置能耗，提高收率"
PEOPLE = ["王五", "李四", "欧阳·娜娜", "张三"]
PUBLISHED = datetime(2027, 5, 20, 2, 0)  # 10:00 China time


def pdf_pages(data):
    """The text of each page, as pypdf extracts it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squeeze(text):
    """Text without whitespace (a long value wraps wherever the layout breaks it)."""
    return "".join(text.split())


def printed(text, label):
    """The value printed beside a label (pypdf may give the absolutely placed label after its value)."""
    for line in text.splitlines():
        if f"{label}：" in line:
            return line.replace(f"{label}：", "").strip()
    return None


class Awards:
    """Awarded declarations written directly: award plan and result, 发布 and numbers."""

    def __init__(self, app, make, decl):
        self.app, self.make, self.decl = app, make, decl

    def declaration(self, unit, kind="group", level="一等", score=9000, **fields):
        declaration_id = self.decl.declaration(unit, kind=kind, status="accepted", complete=False, **fields)
        with self.app.app_context():
            year = db.session.get(Declaration, declaration_id).year
            db.session.add(AwardResult(declaration_id=declaration_id, year=year, kind=kind, level=level,
                                       level_score_c=score))
            if db.session.scalar(db.select(AwardPlan.id).where(AwardPlan.year == year,
                                                               AwardPlan.kind == kind)) is None:
                db.session.add(AwardPlan(year=year, kind=kind))
            db.session.commit()
        return declaration_id

    def publish(self, kind="group", year=None):
        """正式发布 of the year and kind: numbers allocated, published_at set."""
        with self.app.app_context():
            year = year or self.decl.year()
            plan = db.session.scalar(db.select(AwardPlan).where(AwardPlan.year == year,
                                                                AwardPlan.kind == kind))
            plan.published_at = PUBLISHED
            allocate_numbers(year, kind)
            db.session.commit()


@pytest.fixture
def awards(app, make):
    """Awarded declarations of the 当前申报年度."""
    from tests.secretariat.declaration_factory import DeclarationFactory

    return Awards(app, make, DeclarationFactory(app))


def login_unit(app, auth, unit):
    """A client logged in as the unit's account."""
    client = app.test_client()
    auth.login(client, unit.user)
    return client


def test_certificate_prints_the_four_names_exactly(app, make, auth, awards):
    unit = make.unit(name="测试化工有限公司")
    declaration_id = awards.declaration(unit, title=TITLE, group_name=GROUP_NAME, enterprise_name=ENTERPRISE,
                                        main_contributors=PEOPLE)
    awards.publish()
    client = login_unit(app, auth, unit)
    response = client.get(f"/results/certificates/{declaration_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    [text] = pdf_pages(response.data)
    year = awards.decl.year()
    lines = text.splitlines()
    assert f"{year}年全国石油和化工行业优秀质量管理小组活动成果" in lines
    assert "一等" in lines
    assert printed(text, "成果名称") == TITLE
    assert printed(text, "小组名称") == GROUP_NAME
    assert printed(text, "企业名称") == ENTERPRISE
    assert printed(text, "主要完成人") == "、".join(PEOPLE)
    assert f"证书编号：CPCIF-QC-{year}-0001" in text
    assert "中国石油和化学工业联合会" in lines
    assert "2027年5月20日" in lines


def test_team_certificate_heading_and_label(app, make, auth, awards):
    unit = make.unit()
    declaration_id = awards.declaration(unit, kind="team", level="优胜杯", group_name="常减压一班")
    awards.publish("team")
    [text] = pdf_pages(login_unit(app, auth, unit).get(f"/results/certificates/{declaration_id}.pdf").data)
    assert f"{awards.decl.year()}年全国石油和化工行业优秀质量信得过班组建设活动成果" in text
    assert printed(text, "班组名称") == "常减压一班"
    assert "优胜杯" in text.splitlines()
    assert f"CPCIF-BZ-{awards.decl.year()}-0001" in text


def test_longest_names_stay_on_one_page(app, make, auth, awards):
    unit = make.unit()
    title = "".join(chr(0x4E00 + (i * 37) % 20000) for i in range(290)) + "（ABC-123）"
    people = [f"{'欧阳' if i % 2 else ''}成员{i:02d}" for i in range(15)]
    enterprise = "中国石油化工股份有限公司" * 8
    declaration_id = awards.declaration(unit, kind="team", title=title[:300], main_contributors=people,
                                        enterprise_name=enterprise, group_name="常减压联合装置第一运行部一班")
    awards.publish("team")
    pages = pdf_pages(login_unit(app, auth, unit).get(f"/results/certificates/{declaration_id}.pdf").data)
    assert len(pages) == 1
    text = squeeze(pages[0])
    assert squeeze(title[:300]) in text
    assert squeeze("、".join(people)) in text
    assert enterprise in text
    assert "中国石油和化学工业联合会" in text


def test_permissions(app, make, auth, awards, admin_client):
    unit, other = make.unit(), make.unit()
    mine = awards.declaration(unit)
    theirs = awards.declaration(other)
    unit_client = login_unit(app, auth, unit)
    # before 发布: nothing, and the pages say 评审中
    assert unit_client.get(f"/results/certificates/{mine}.pdf").status_code == 404
    page = unit_client.get("/results/certificates.zip")
    assert page.status_code == 404 and "评审中" in page.get_data(as_text=True)
    assert "评审中" in unit_client.get("/results/certificates").get_data(as_text=True)
    awards.publish()
    assert unit_client.get(f"/results/certificates/{mine}.pdf").status_code == 200
    assert unit_client.get(f"/results/certificates/{theirs}.pdf").status_code == 404
    assert unit_client.get("/results/certificates/999999.pdf").status_code == 404
    # an expert and the secretariat are not units; an anonymous visitor is sent to log in
    expert_client = app.test_client()
    auth.login(expert_client, make.expert())
    assert expert_client.get(f"/results/certificates/{mine}.pdf").status_code == 403
    assert expert_client.get("/results/certificates.zip").status_code == 403
    assert expert_client.get("/admin/certificates").status_code == 403
    assert unit_client.get("/admin/certificates").status_code == 403
    assert unit_client.get(f"/admin/certificates/{mine}/preview").status_code == 403
    assert app.test_client().get(f"/results/certificates/{mine}.pdf").status_code in (302, 303, 401)
    # a result without an award has no certificate
    none_id = awards.declaration(unit, level="未获奖")
    assert unit_client.get(f"/results/certificates/{none_id}.pdf").status_code == 404
    assert admin_client.get(f"/admin/certificates/{none_id}/preview").status_code == 404


def test_unit_zip_holds_its_own_certificates(app, make, auth, awards):
    unit, other = make.unit(), make.unit()
    mine = [awards.declaration(unit, title=f"成果{i}", score=9000 - i) for i in range(3)]
    awards.declaration(other, title="别人的成果")
    awards.publish()
    response = login_unit(app, auth, unit).get("/results/certificates.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(mine)
    texts = [squeeze(pdf_pages(archive.read(name))[0]) for name in names]
    for i in range(3):
        assert any(f"成果{i}成果名称：" in text for text in texts)
    assert not any("别人的成果" in text for text in texts)
    assert all(name.startswith("证书-CPCIF-QC-") and name.endswith(".pdf") for name in names)


def test_a_zip_left_half_read_breaks_nothing(app, make, auth, awards):
    unit = make.unit()
    for i in range(3):
        awards.declaration(unit, title=f"成果{i}")
    awards.publish()
    client = login_unit(app, auth, unit)
    response = client.get("/results/certificates.zip", buffered=False)
    assert next(iter(response.response))[:4] == b"PK\x03\x04"
    response.close()  # the client went away after the first certificate
    assert client.get("/results/certificates").status_code == 200
    assert "成果2" in client.get("/results/certificates").get_data(as_text=True)


def test_secretariat_page_preview_and_batch_download(app, make, awards, admin_client):
    unit = make.unit()
    first = awards.declaration(unit, title="第一项", main_contributors=["甲", "乙"])
    awards.declaration(unit, kind="team", title="第二项")
    page = admin_client.get("/admin/certificates").get_data(as_text=True)
    for label in ("证书编号", "成果名称", "小组名称/班组名称", "企业名称", "主要完成人", "等级", "预览", "下载",
                  "批量下载", "证书背景图", "证书信息更正", "发布时分配", "甲、乙"):
        assert label in page
    preview = admin_client.get(f"/admin/certificates/{first}/preview")
    assert preview.status_code == 200 and preview.headers["Content-Disposition"].startswith("inline")
    assert "（发布时分配）" in pdf_pages(preview.data)[0]
    assert admin_client.get("/admin/certificates.zip").status_code == 409  # nothing published yet
    awards.publish("group")
    awards.publish("team")
    response = admin_client.get("/admin/certificates.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    year = awards.decl.year()
    assert sorted(archive.namelist()) == [f"证书-CPCIF-BZ-{year}-0001.pdf", f"证书-CPCIF-QC-{year}-0001.pdf"]
    only_groups = zipfile.ZipFile(io.BytesIO(admin_client.get("/admin/certificates.zip?kind=group").data))
    assert only_groups.namelist() == [f"证书-CPCIF-QC-{year}-0001.pdf"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog).where(
            AuditLog.action == "certificate.download_all")) == 2


def _png(size=(3000, 2100), color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGBA", size, color + (255,)).save(out, "PNG")
    return out.getvalue()


def test_background_image_is_printed_behind_the_text(app, make, auth, awards, admin_client):
    unit = make.unit()
    declaration_id = awards.declaration(unit)
    awards.publish()
    year = awards.decl.year()
    response = admin_client.post(f"/admin/certificates/background?year={year}",
                                 data={"background": (io.BytesIO(_png()), "背景.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 303
    assert 'class="certificate-thumb"' in admin_client.get("/admin/certificates").get_data(as_text=True)
    data = login_unit(app, auth, unit).get(f"/results/certificates/{declaration_id}.pdf").data
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = list(page.images)
    assert len(images) == 1
    assert images[0].image.size[0] == 1754  # reduced to 150 dpi over the page
    assert "中国石油和化学工业联合会" in page.extract_text()
    # not an image: refused beside the field
    refused = admin_client.post(f"/admin/certificates/background?year={year}",
                                data={"background": (io.BytesIO(b"%PDF-1.4 x"), "背景.pdf")},
                                content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "证书背景图应为JPG或PNG图片" in refused.get_data(as_text=True)


def _request(client, declaration_id, field, new_value, reason="公章名称有误"):
    return client.post("/results/corrections", data={"declaration_id": str(declaration_id), "field": field,
                                                      "new_value": new_value, "reason": reason})


def test_correction_approved_changes_the_printed_name(app, make, auth, awards, admin_client):
    unit = make.unit()
    declaration_id = awards.declaration(unit, enterprise_name="测试化工(北京)有限公司",
                                        main_contributors=["王五", "李四"])
    unit_client = login_unit(app, auth, unit)
    page = _request(unit_client, declaration_id, "enterprise_name", ENTERPRISE, reason="")
    assert page.status_code == 422 and "请填写更正理由" in page.get_data(as_text=True)
    assert ENTERPRISE in page.get_data(as_text=True)  # typed value kept
    assert _request(unit_client, declaration_id, "enterprise_name", ENTERPRISE).status_code == 303
    twice = _request(unit_client, declaration_id, "enterprise_name", ENTERPRISE + "二")
    assert "已有待处理的更正申请" in twice.get_data(as_text=True)
    assert _request(unit_client, declaration_id, "main_contributors", "王五，李四、张三").status_code == 303
    listing = unit_client.get("/results/corrections").get_data(as_text=True)
    assert "待处理" in listing and "王五、李四、张三" in listing
    admin_page = admin_client.get("/admin/certificates").get_data(as_text=True)
    assert "测试化工(北京)有限公司" in admin_page and "公章名称有误" in admin_page
    with app.app_context():
        ids = db.session.scalars(db.select(CertificateCorrection.id).order_by(CertificateCorrection.id)).all()
    for correction_id in ids:
        url = f"/admin/certificates/corrections/{correction_id}/approve"
        assert admin_client.post(url).status_code == 303
    again = admin_client.post(f"/admin/certificates/corrections/{ids[0]}/approve")
    assert again.status_code == 422 and "该申请已处理" in again.get_data(as_text=True)
    with app.app_context():
        declaration = db.session.get(Declaration, declaration_id)
        assert declaration.enterprise_name == ENTERPRISE
        assert declaration.main_contributors == ["王五", "李四", "张三"]
        entry = db.session.scalar(db.select(AuditLog).where(
            AuditLog.action == "certificate.correction_approve").order_by(AuditLog.id))
        assert json.loads(entry.detail) == {"declaration": declaration.decl_no, "field": "enterprise_name",
                                                 "old": "测试化工(北京)有限公司", "new": ENTERPRISE}
    awards.publish()
    [text] = pdf_pages(unit_client.get(f"/results/certificates/{declaration_id}.pdf").data)
    assert printed(text, "企业名称") == ENTERPRISE
    assert "测试化工(北京)有限公司" not in text
    assert printed(text, "主要完成人") == "王五、李四、张三"
    # after 发布 no more requests
    late = _request(unit_client, declaration_id, "title", "新的成果名称")
    assert late.status_code == 422 and "已正式发布" in late.get_data(as_text=True)


def test_correction_declined_keeps_the_printed_name(app, make, auth, awards, admin_client):
    unit, other = make.unit(), make.unit()
    declaration_id = awards.declaration(unit, title="原成果名称")
    theirs = awards.declaration(other)
    unit_client = login_unit(app, auth, unit)
    refused = _request(unit_client, theirs, "title", "别人的")
    assert refused.status_code == 422 and "请选择要更正的成果" in refused.get_data(as_text=True)
    bad = _request(unit_client, declaration_id, "title", "新\x01名称")
    assert bad.status_code == 422 and "控制字符" in bad.get_data(as_text=True)
    assert _request(unit_client, declaration_id, "title", "新成果名称").status_code == 303
    with app.app_context():
        correction_id = db.session.scalar(db.select(CertificateCorrection.id))
    response = admin_client.post(f"/admin/certificates/corrections/{correction_id}/decline",
                                 data={"note": "以申报表盖章件为准"})
    assert response.status_code == 303
    assert "以申报表盖章件为准" in unit_client.get("/results/corrections").get_data(as_text=True)
    awards.publish()
    [text] = pdf_pages(unit_client.get(f"/results/certificates/{declaration_id}.pdf").data)
    assert printed(text, "成果名称") == "原成果名称"
    assert "新成果名称" not in text
    with app.app_context():
        assert db.session.scalar(db.select(AuditLog.summary).where(
            AuditLog.action == "certificate.correction_decline")).startswith("不同意证书信息更正")


@pytest.mark.parametrize("count", [3, 300])
def test_certificate_page_queries_do_not_grow(app, make, awards, admin_client, count_queries, count):
    unit = make.unit()
    with app.app_context():
        year = awards.decl.year()
    bulk(app, unit, year, count)
    with count_queries() as statements:
        response = admin_client.get("/admin/certificates")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("/preview") == min(count, 50)
    assert len(statements) <= 12, statements


def bulk(app, unit, year, count):
    """`count` awarded group declarations with a correction each, written in bulk."""
    from app.filings.models import QcGroupFiling

    with app.app_context():
        filings = [QcGroupFiling(unit_id=unit.id, year=year, reg_no=f"QC-{year}-{700000 + i:06d}",
                                 enterprise_name="企业", group_name=f"小组{i}", topic="课题", topic_type="创新型",
                                 founded_on=datetime(2024, 1, 1).date(), leader="甲", member_count=5,
                                 contact="甲", mobile="13900000000") for i in range(count)]
        db.session.add_all(filings)
        db.session.flush()
        declarations = [Declaration(year=year, kind="group", unit_id=unit.id, status="accepted",
                                    decl_no=f"QCSB-{year}-{7000 + i}", title=f"成果{i}", group_name=f"小组{i}",
                                    enterprise_name="企业", main_contributors=["甲", "乙"],
                                    group_filing_id=filing.id) for i, filing in enumerate(filings)]
        db.session.add_all(declarations)
        db.session.flush()
        db.session.add(AwardPlan(year=year, kind="group"))
        db.session.add_all(AwardResult(declaration_id=d.id, year=year, kind="group", level="二等")
                           for d in declarations)
        db.session.add_all(CertificateCorrection(declaration_id=d.id, unit_id=unit.id, field="title",
                                                 old_value=d.title, new_value=d.title + "改", reason="笔误")
                           for d in declarations)
        db.session.commit()


def test_the_results_page_links_each_certificate_once_published(app, make, auth, awards):
    unit = make.unit()
    declaration_id = awards.declaration(unit, title="降低加热炉燃料气单耗")
    client = login_unit(app, auth, unit)
    before = client.get("/results/").text
    assert f"/results/certificates/{declaration_id}.pdf" not in before and "证书信息更正" in before
    awards.publish()
    with app.app_context():  # 正式发布 stamps the results too (publicity.publish)
        db.session.execute(db.update(AwardResult).values(published_at=PUBLISHED))
        db.session.commit()
    page = client.get("/results/").text
    assert f"/results/certificates/{declaration_id}.pdf" in page and "/results/certificates.zip" in page
    assert client.get(f"/results/certificates/{declaration_id}.pdf").mimetype == "application/pdf"
