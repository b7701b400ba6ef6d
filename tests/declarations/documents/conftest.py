"""Fixtures of the declaration-document tests: an open declaration window, a logged-in unit, declarations made
directly (the declaration form is another piece of work), PDF text extraction."""
import io
import itertools
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader

from app.core.clock import china_today
from app.core.extensions import db
from app.core.models import YearSetting
from app.core.settings import set_open_declaration_year
from app.declarations.models import Declaration

_numbers = itertools.count(1)
PUNCTUATED = "中国石化（北京）燕山分公司【炼油厂】"


def open_window(app, year, start=None, end=None):
    """Make `year` the 当前申报年度 with a window around today (China time)."""
    today = china_today()
    with app.app_context():
        setting = db.session.get(YearSetting, year) or YearSetting(year=year)
        setting.declaration_start = start or today - timedelta(days=10)
        setting.declaration_end = end or today + timedelta(days=20)
        db.session.add(setting)
        set_open_declaration_year(year)
        db.session.commit()


@pytest.fixture
def year(app):
    """The 当前申报年度, its window open today."""
    year = china_today().year
    open_window(app, year)
    return year


@pytest.fixture
def unit(make):
    """An approved unit whose name has full-width brackets."""
    return make.unit(name="中国石化（测试）化工集团有限公司")


@pytest.fixture
def unit_client(client, auth, unit):
    """A client logged in as the unit."""
    auth.login(client, unit.user)
    return client


class Declare:
    """Declaration rows made directly, with their filing: declare(unit, kind, status=..., **fields)."""

    def __init__(self, app, make):
        self.app, self.make = app, make

    def __call__(self, unit, year, kind="group", status="submitted", **fields):
        n = next(_numbers)
        filing = (self.make.group(unit, year=year, topic=fields.get("title", "降低装置能耗"))
                  if kind == "group" else self.make.team(unit, year=year))
        values = dict(
            title=f"降低常减压装置能耗{n}", group_name=f"攻关QC小组{n}" if kind == "group" else f"常减压运行{n}班",
            enterprise_name=unit.name, address="北京市房山区燕山岗南路1号", postcode="102500", contact="王五",
            mobile="13912345678", leader="王五", member_count=7, main_contributors=["王五", "李四", "张三"],
            summary="小组围绕装置能耗开展活动。" * 6, completed_on=date(year, 3, 1))
        if kind == "group":
            values.update(contact_department="炼油一部", advisor="赵工", topic_type="问题解决型",
                          topic_subtype="自定目标", economic_benefit_c=123450)
        else:
            values.update(department="炼油一部", landline="010-84885418", rate_work_completion_c=9850,
                          rate_satisfaction_c=9900, rate_pass_c=10000, rate_quality_assessment_c=9975,
                          rate_improvement_participation_c=9500, quality_cost_c=1250, training_attendance=48,
                          complaints=0, accidents=0, no_accident_pledge=True)
        values.update(fields)
        prefix = "QCSB" if kind == "group" else "BZSB"
        with self.app.app_context():
            row = Declaration(year=year, kind=kind, unit_id=unit.id, status=status,
                              decl_no=f"{prefix}-{year}-{n:04d}",
                              group_filing_id=filing.id if kind == "group" else None,
                              team_filing_id=filing.id if kind == "team" else None, **values)
            db.session.add(row)
            db.session.commit()
            return row.id


@pytest.fixture
def declare(app, make):
    """declare(unit, year, kind="group", status="submitted", **fields) → declaration id."""
    return Declare(app, make)


def pdf_text(data):
    """The text of every page of a PDF (as pypdf extracts it)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text):
    """Text without any whitespace (a long line of a PDF wraps wherever the layout breaks it)."""
    return "".join(text.split())


def png_upload(name="scan.png", size=(60, 40)):
    """A small real PNG as an upload tuple."""
    out = io.BytesIO()
    Image.new("RGB", size, (240, 240, 240)).save(out, "PNG")
    return (io.BytesIO(out.getvalue()), name)


def pdf_upload(name="scan.pdf"):
    """A small real PDF as an upload tuple."""
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (255, 255, 255)).save(out, "PDF")
    return (io.BytesIO(out.getvalue()), name)
