"""Fixtures and bulk-row helpers of the secretariat's workspace tests."""
from datetime import date

import pytest


@pytest.fixture
def clerk(make):
    """A secretariat clerk."""
    return make.secretariat(display_name="秘书处丁")


@pytest.fixture
def admin_client(client, auth, clerk):
    """A test client logged in as a secretariat clerk."""
    auth.login(client, clerk)
    client.user = clerk
    return client


def group_rows(unit_ids, year, count, start=0, **extra):
    """Rows for a bulk insert of QC group filings, spread over unit_ids in turn."""
    # Registration numbers from 500000 up never meet the factories' running sequence.
    return [dict(unit_id=unit_ids[i % len(unit_ids)], year=year,
                 reg_no=f"QC-{year}-{500000 + start + i:06d}",
                 enterprise_name=f"企业{i}", group_name=f"小组{start + i}", topic="课题", topic_type="创新型",
                 founded_on=date(2024, 1, 1), leader="甲", member_count=5, contact="甲", mobile="13900000000",
                 **{k: (v(i) if callable(v) else v) for k, v in extra.items()})
            for i in range(count)]


def team_rows(unit_ids, year, count, start=0, **extra):
    """Rows for a bulk insert of team filings, spread over unit_ids in turn."""
    return [dict(unit_id=unit_ids[i % len(unit_ids)], year=year,
                 reg_no=f"BZ-{year}-{500000 + start + i:06d}",
                 enterprise_name=f"企业{i}", team_name=f"{start + i}班", department="部", leader="乙",
                 member_count=9, contact="乙", mobile="13900000000",
                 **{k: (v(i) if callable(v) else v) for k, v in extra.items()})
            for i in range(count)]


@pytest.fixture
def decl(app):
    """Declarations, files and unit documents written directly (see declaration_factory.py)."""
    from tests.secretariat.declaration_factory import DeclarationFactory

    return DeclarationFactory(app)


@pytest.fixture
def ready_unit(make, decl):
    """A unit with a complete, submitted group declaration and fresh stamped documents: (unit, declaration id)."""
    unit = make.unit(name="江苏扬子石化有限公司", province_code="32", email="yangzi@example.com")
    declaration_id = decl.declaration(unit)
    decl.documents(unit)
    return unit, declaration_id
