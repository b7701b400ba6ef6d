"""工作台: the numbers match the data; grouped queries only, fast with 50,000 filings."""
import re
import time
from datetime import datetime, timedelta

from sqlalchemy import insert

from app.core.extensions import db
from app.core.settings import open_filing_year
from app.models import QcGroupFiling, TeamFiling, UnitChangeRequest
from tests.secretariat.conftest import group_rows, team_rows


def _number(text, element_id):
    block = re.search(rf'id="{element_id}".*?class="stat-value">(\d+)<', text, re.S)
    return int(block.group(1))


def test_numbers_match_the_data(app, admin_client, make):
    with app.app_context():
        year = open_filing_year()
    js = make.unit(province_code="32", industry_code="26")
    sd = make.unit(province_code="37", industry_code="25")
    make.unit()  # approved, nothing filed
    make.unit(status="pending")
    make.unit(status="pending")
    make.unit(status="rejected")
    make.group(js, year=year)
    make.group(js, year=year)
    make.team(sd, year=year)
    make.group(sd, year=year - 1)  # another year: not counted
    with app.app_context():
        db.session.add(UnitChangeRequest(unit_id=js.id, new_name="新名称"))
        db.session.commit()
    text = admin_client.get("/admin/").text
    assert _number(text, "stat-pending") == 2
    assert _number(text, "stat-pending-changes") == 1
    assert _number(text, "stat-groups") == 2
    assert _number(text, "stat-teams") == 1
    assert _number(text, "stat-units-filed") == 2
    assert _number(text, "stat-units-without") == 1
    assert _number(text, "stat-units") == 6
    assert 'data-status="已通过">已通过 3<' in text
    # Charts carry their numbers as text.
    assert 'data-name="江苏省" data-total="2"' in text and 'data-name="山东省" data-total="1"' in text
    cells = '<td class="num">2</td><td class="num">0</td><td class="num">2</td>'
    assert f"<tr><td>江苏省</td>{cells}</tr>" in text
    assert 'id="chart-daily"' in text


def test_per_day_uses_china_days(app, admin_client, make):
    with app.app_context():
        year = open_filing_year()
    unit = make.unit()
    # 23:30 UTC on the 1st is 07:30 on the 2nd in China.
    from app.core.settings import china_today
    with app.app_context():
        today = china_today()
    utc = datetime.combine(today - timedelta(days=1), datetime.min.time()) - timedelta(minutes=30)
    make.group(unit, year=year, created_at=utc)
    text = admin_client.get("/admin/").text
    assert f'data-date="{(today - timedelta(days=1)).isoformat()}" data-total="1"' in text


def test_fifty_thousand_filings_grouped_queries_fast(app, admin_client, make, count_queries):
    with app.app_context():
        year = open_filing_year()
    units = [make.unit(province_code=p, industry_code=i)
             for p, i in (("11", "25"), ("32", "26"), ("37", "26"))]
    with count_queries() as empty:
        admin_client.get("/admin/")
    now = datetime.utcnow()
    ids = [u.id for u in units]
    groups = group_rows(ids, year, 40000, created_at=lambda i: now - timedelta(hours=i % 500))
    teams = team_rows(ids, year, 10000, created_at=lambda i: now - timedelta(hours=i % 300))
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), groups)
        db.session.execute(insert(TeamFiling), teams)
        db.session.commit()
    admin_client.get("/admin/")  # warm caches
    with count_queries() as full:
        text = admin_client.get("/admin/").text
    # The best of three timings: the page's own cost, not a moment when other processes hold the CPU.
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        admin_client.get("/admin/")
        timings.append(time.perf_counter() - started)
    elapsed = min(timings)
    assert len(full) == len(empty) and len(full) <= 25
    assert _number(text, "stat-groups") == 40000 and _number(text, "stat-teams") == 10000
    beijing = len(range(0, 40000, 3)) + len(range(0, 10000, 3))
    assert f'data-name="北京市" data-total="{beijing}"' in text
    assert elapsed < 0.8, elapsed
