"""The filing service: create/update/delete, duplicates, one-time keys, 注册编号, the deadline."""
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.core.settings import filing_period, set_open_filing_year
from app.filings import services as service
from app.filings.regno import reserve
from app.filings.xlsx.guard import UnsafeFile, check_xlsx
from app.models import Invitation, QcGroupFiling, Unit
from tests.filings.conftest import group_rows, xlsx_bytes

GROUP = {"enterprise_name": "中国石化测试分公司", "group_name": "攻关QC小组", "topic": "降低能耗",
         "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
         "contact": "王五", "mobile": "139 1234 5678"}
TEAM = {"enterprise_name": "中国石化测试分公司", "team_name": "运行一班", "department": "炼油一部",
        "leader": "赵六", "member_count": 12, "contact": "赵六", "mobile": "13912345678"}


@pytest.fixture
def session_unit(app, unit):
    """The unit loaded in a request context (services need current_filing_period)."""
    with app.test_request_context():
        yield db.session.get(Unit, unit.id)


def test_create_filing_cleans_and_numbers(session_unit, year):
    filing = service.create_filing("group", session_unit, year, GROUP)
    team = service.create_filing("team", session_unit, year, TEAM)
    db.session.commit()
    assert filing.reg_no == f"QC-{year}-000001" and team.reg_no == f"BZ-{year}-000001"
    assert filing.mobile == "13912345678" and filing.member_count == 7
    assert filing.founded_on == date(2024, 3, 1)
    assert service.create_filing("group", session_unit, year, dict(GROUP, group_name="二组")).reg_no \
        == f"QC-{year}-000002"


def test_duplicate_name_is_a_field_error(session_unit, year):
    service.create_filing("group", session_unit, year, GROUP)
    with pytest.raises(service.FilingError) as caught:
        service.create_filing("group", session_unit, year, dict(GROUP, group_name=" 攻关QC小组 "))
    assert "已存在" in caught.value.field_errors["group_name"]
    # another enterprise of the same unit may use the same group name
    service.create_filing("group", session_unit, year, dict(GROUP, enterprise_name="另一家公司"))


def test_invalid_data_raises_field_errors(session_unit, year):
    with pytest.raises(service.FilingError) as caught:
        service.create_filing("team", session_unit, year, dict(TEAM, team_name="运行队", mobile="123"))
    assert set(caught.value.field_errors) == {"team_name", "mobile"}
    assert "结尾" in caught.value.field_errors["team_name"]


def test_repeated_submission_key_returns_the_same_record(session_unit, year):
    first = service.create_filing("group", session_unit, year, GROUP, submission_key="k" * 20)
    again = service.create_filing("group", session_unit, year, GROUP, submission_key="k" * 20)
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(QcGroupFiling)) == 1


def test_numbers_are_never_reused(session_unit, year):
    first = service.create_filing("group", session_unit, year, GROUP)
    service.delete_filing(first)
    db.session.commit()
    second = service.create_filing("group", session_unit, year, GROUP)
    assert second.reg_no == f"QC-{year}-000002"


def test_invitation_forces_enterprise_and_bulk_delete(app, make, unit, year):
    invitation = make.invitation(unit, enterprise_name="被邀化工有限公司")
    with app.test_request_context():
        unit_row = db.session.get(Unit, unit.id)
        inv = db.session.get(Invitation, invitation.id)
        filing = service.create_filing("group", unit_row, year, GROUP, invitation=inv, source="link_form")
        service.create_filing("group", unit_row, year, dict(GROUP, group_name="二组"), invitation=inv)
        service.create_filing("group", unit_row, year, dict(GROUP, group_name="本单位的组"))
        db.session.commit()
        assert filing.enterprise_name == "被邀化工有限公司" and filing.invitation_id == inv.id
        assert service.count_by_invitation("group", unit_row, year) == {inv.id: 2}
        query = service.filings_query("group", unit_row, year, invitation_id=inv.id)
        listed = db.session.scalars(query).all()
        assert len(listed) == 2
        assert service.delete_filings_for_invitation("group", inv, year) == 2
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(QcGroupFiling)) == 1


def test_filings_query_search_and_enterprise(session_unit, year):
    service.create_filing("group", session_unit, year, dict(GROUP, group_name="百分%之百小组"))
    service.create_filing("group", session_unit, year, dict(GROUP, group_name="安全小组", enterprise_name="乙公司"))
    found = lambda **kw: [f.group_name for f in db.session.scalars(
        service.filings_query("group", session_unit, year, **kw))]
    assert found(search="%") == ["百分%之百小组"]
    assert found(search="乙公") == ["安全小组"]
    assert found(enterprise="乙公司") == ["安全小组"]


def test_update_keeps_number_and_checks_duplicates(session_unit, year):
    one = service.create_filing("group", session_unit, year, GROUP)
    two = service.create_filing("group", session_unit, year, dict(GROUP, group_name="二组"))
    service.update_filing(one, dict(GROUP, topic="新课题"))
    assert one.topic == "新课题" and one.reg_no.endswith("000001")
    with pytest.raises(service.FilingError):
        service.update_filing(two, dict(GROUP))


def test_filing_year_closes_at_the_deadline_whole_day_china_time(app, session_unit, monkeypatch):
    """Year Y closes on 31 Dec of Y−1 (China time, that whole day still open)."""
    import app.core.settings as settings

    assert filing_period(today=date(2026, 12, 31)).year == 2027
    assert filing_period(today=date(2026, 12, 31)).deadline == date(2026, 12, 31)
    assert filing_period(today=date(2026, 12, 31)).is_open is True
    # 2026-12-31 23:59 in Beijing is 15:59 UTC; 2027-01-01 00:00 Beijing is 2026-12-31 16:00 UTC
    set_open_filing_year(2027)
    db.session.commit()
    late_evening = datetime(2026, 12, 31, 23, 59, tzinfo=settings.CHINA).date()
    monkeypatch.setattr(settings, "china_today", lambda: late_evening)
    assert settings.filing_period().is_open
    service.create_filing("group", session_unit, 2027, GROUP)
    monkeypatch.setattr(settings, "china_today", lambda: late_evening + timedelta(days=1))
    closed = settings.filing_period()
    assert closed.is_open is False
    with pytest.raises(service.FilingClosed) as caught:
        service.assert_filing_open(closed)
    assert "备案已截止" in caught.value.message
    from flask import g
    g.pop("filing_period", None)
    with pytest.raises(service.FilingClosed):
        service.create_filing("group", session_unit, 2027, dict(GROUP, group_name="晚了的小组"))


def test_china_today_uses_beijing_time(monkeypatch):
    """16:00 UTC on 31 December is already 1 January in China."""
    import app.core.settings as settings
    from app.core.clock import CHINA

    utc = datetime(2026, 12, 31, 16, 0, tzinfo=__import__("datetime").timezone.utc)
    assert utc.astimezone(CHINA).date() == date(2027, 1, 1)
    assert settings.default_deadline(2028) == date(2027, 12, 31)


def test_reserve_numbers_concurrently(app, year):
    """Threads with their own sessions never receive the same number (row lock / write lock)."""
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                for _ in range(5):
                    results.extend(reserve("group", year, 3))
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 90 and len(set(results)) == 90
    assert max(results) == f"QC-{year}-000090"


def test_guard_counts_rows_before_parsing():
    data = xlsx_bytes("group", group_rows(300))
    with pytest.raises(UnsafeFile, match="最多5行数据"):
        check_xlsx(data, max_rows=5)
    check_xlsx(data, max_rows=300)


def test_names_keep_chinese_punctuation_but_not_fullwidth_letters(session_unit, year):
    filing = service.create_filing("group", session_unit, year, dict(
        GROUP, enterprise_name="中国石化（北京）燕山分公司", group_name="ＱＣ１号　攻关小组"))
    assert filing.enterprise_name == "中国石化（北京）燕山分公司"
    assert filing.group_name == "QC1号 攻关小组"


def test_template_has_labels_dropdowns_and_explanations():
    import io

    import openpyxl

    from app.filings.xlsx.template import build_template

    book = openpyxl.load_workbook(io.BytesIO(build_template("group")))
    sheet, notes = book.worksheets
    assert [c.value for c in sheet[1]][:4] == ["企业名称", "小组名称", "课题名称", "课题类型"]
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and "创新型" in lists[0].formula1 and "D2" in str(lists[0].sqref)
    assert notes.title == "填写说明"
    rows = {r[0].value: [c.value for c in r] for r in notes.iter_rows(min_row=2) if r[0].value}
    assert rows["手机"][1:] == ["必填", "11位手机号码", "13912345678"]
    team = openpyxl.load_workbook(io.BytesIO(build_template("team"))).worksheets[0]
    assert [c.value for c in team[1]] == ["企业名称", "班组名称", "主管部门", "班组长", "班组人数", "联系人", "手机",
                                         "座机", "开始建设时间", "班组简介", "备注"]
