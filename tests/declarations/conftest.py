"""Fixtures of the 成果申报 tests: the 2024 calendar of the notice on a frozen clock, a unit with filings of 2024,
filled forms, and real files (a .docx made with python-docx, a PDF made with pypdf, a PNG)."""
import io
import zipfile
from datetime import date, datetime, timezone

import pytest
from PIL import Image

from app.core.clock import CHINA
from app.core.extensions import db
from app.core.settings import set_open_declaration_year

YEAR = 2024
HX = {"HX-Request": "true"}
GROUP_FORM = {
    "group_name": "炼油一部攻关QC小组", "enterprise_name": "中国石化测试分公司", "address": "北京市朝阳区安慧里四区16号楼",
    "postcode": "100723", "contact_department": "炼油一部", "contact": "王五", "mobile": "13912345678",
    "advisor": "李工", "leader": "王五", "member_count": "7", "title": "降低常减压装置能耗",
    "topic_type": "问题解决型", "topic_subtype": "自定目标", "economic_benefit": "123.45",
    "completed_on": "2023-12-20", "started_on": "2023-05-10", "presenter": "王五",
    "main_contributors": "王五，李四、张三, 赵六；钱七 孙八",
    "summary": "本小组围绕常减压装置能耗偏高的问题开展活动，" * 3,
}
TEAM_FORM = {
    "group_name": "常减压运行一班", "enterprise_name": "中国石化测试分公司", "address": "北京市朝阳区安慧里四区16号楼",
    "postcode": "100723", "department": "炼油一部", "contact": "赵六", "mobile": "13912345678",
    "landline": "010-84885418", "leader": "赵六", "member_count": "12", "title": "打造安全高效的运行班组",
    "rate_work_completion": "100", "rate_satisfaction": "98.5", "rate_pass": "99.99", "rate_quality_assessment": "100",
    "rate_improvement_participation": "95", "quality_cost": "12.3", "training_attendance": "48", "complaints": "0",
    "accidents": "0", "completed_on": "2023-12-20", "no_accident_pledge": "1", "presenter": "赵六",
    "main_contributors": "赵六、钱七、孙八",
    "summary": "本班组负责常减压装置的平稳运行，开展质量信得过班组建设活动，" * 3,
}


def china_instant(*args):
    """A naive UTC datetime for a China wall-clock time (what utcnow returns then)."""
    return datetime(*args, tzinfo=CHINA).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch):
    """clock(2024, 4, 1, 10, 0): freeze the time at that China wall-clock instant (utcnow and china_today)."""
    import app.core.clock as core_clock

    def freeze(*args):
        instant = china_instant(*args)
        monkeypatch.setattr(core_clock, "utcnow", lambda: instant)
        return instant

    freeze(2024, 4, 1, 10, 0)
    return freeze


@pytest.fixture
def declaring(app, clock):
    """当前申报年度 2024 with the notice's calendar (25 March – 30 April 2024, completed after 1 May 2023)."""
    with app.app_context():
        set_open_declaration_year(YEAR)
        db.session.commit()
    return YEAR


@pytest.fixture
def unit(make):
    """An approved unit (its own enterprise has the unit's name)."""
    return make.unit(name="中国石化测试分公司")


@pytest.fixture
def unit_client(client, auth, unit, declaring):
    """A client logged in as the unit, in the 2024 window."""
    auth.login(client, unit.user)
    return client


@pytest.fixture
def group_filing(make, unit):
    """A group filed for 2024."""
    return make.group(unit, year=YEAR, group_name="炼油一部攻关QC小组", topic="降低常减压装置能耗",
                      topic_type="问题解决型（自定目标）", topic_registered_on=date(2023, 5, 10), advisor="李工")


@pytest.fixture
def team_filing(make, unit):
    """A team filed for 2024."""
    return make.team(unit, year=YEAR, team_name="常减压运行一班", landline="010-84885418")


def docx_bytes(text="成果报告书", extra=None):
    """A real .docx made with python-docx; `extra` {name: bytes} adds parts to its zip."""
    from docx import Document

    document = Document()
    document.add_heading("降低常减压装置能耗", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        for name, data in extra.items():
            target.writestr(name, data)
    return out.getvalue()


def pdf_bytes(pages=1):
    """A real PDF made with pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes():
    """A small PNG (a scanned page stands in)."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 250)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, declaration_id, purpose, data, name):
    """POST one file like the page does (htmx, multipart)."""
    return client.post(f"/declarations/{declaration_id}/files/{purpose}", data={"file": (io.BytesIO(data), name)},
                       headers=HX, content_type="multipart/form-data")


def create(client, filing, form=None, kind="group"):
    """Save a new draft through the page; returns the declaration id."""
    page = client.get(f"/declarations/{kind}/new/{filing.id}").text
    key = page.split('name="submission_key" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/declarations/{kind}/new/{filing.id}", headers=HX,
                           data=dict(form or (GROUP_FORM if kind == "group" else TEAM_FORM), submission_key=key))
    assert response.status_code == 204, response.text[:2000]
    return int(response.headers["HX-Redirect"].split("/")[2])


def complete(client, declaration_id):
    """Upload the report, a record and the stamped scan: the declaration may be submitted."""
    for purpose, data, name in (("report", docx_bytes(), "成果报告书.docx"), ("records", pdf_bytes(), "活动记录.pdf"),
                                ("stamped_form", png_bytes(), "申报表盖章.png")):
        response = upload(client, declaration_id, purpose, data, name)
        assert response.status_code == 200, response.text[:2000]
