"""年度设置 (spec 1.1, C-S2): a year's settings are saved without switching the open filing year unless ticked;
当前申报年度; quotas and periods; an unusual window is saved with a warning, not refused."""
from datetime import date

import pytest

from app.core.extensions import db
from app.core.settings import declaration_period, open_declaration_year, open_filing_year
from app.models import AuditLog, YearSetting

FORM = {"year": "2024", "theme": "主题", "filing_deadline": "2023-12-31", "declaration_start": "2024-03-25",
        "declaration_end": "2024-04-30", "earliest_completion": "2023-05-01", "declaration_year": "2024",
        "declaration_quota_group": "5", "declaration_quota_team": "0", "resubmit_days": "10", "publicity_days": "7"}


def test_saving_a_year_keeps_the_open_filing_year_unless_ticked(app, admin_client):
    with app.app_context():
        filing_year = open_filing_year()
    page = admin_client.get("/admin/settings?year=2024").text
    for label in ("当前申报年度", "同时设为开放备案年度", "每单位小组成果申报限额", "每单位班组成果申报限额（0为不限）",
                  "退回修改期限（天）", "公示期（天）"):
        assert label in page, label
    response = admin_client.post("/admin/settings", data=FORM, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/settings?year=2024"
    with app.app_context():
        assert open_filing_year() == filing_year and open_declaration_year() == 2024
        period = declaration_period(today=date(2024, 4, 1))
        assert (period.quota("group"), period.quota("team"), period.resubmit_days) == (5, 0, 10)
        detail = db.session.scalar(db.select(AuditLog.detail).where(AuditLog.action == "settings.year"))
        assert "open_declaration_year" in detail and "open_filing_year" not in detail
    admin_client.post("/admin/settings", data=dict(FORM, set_filing_year="1"))
    with app.app_context():
        assert open_filing_year() == 2024


def test_declaration_year_left_as_it_was_is_not_pinned(app, admin_client):
    """While nobody chose a 当前申报年度 it follows the calendar; saving the page without changing it keeps that."""
    with app.app_context():
        current = open_declaration_year()
    admin_client.post("/admin/settings", data=dict(FORM, declaration_year=str(current)))
    with app.app_context():
        from app.models import SiteSetting
        assert db.session.get(SiteSetting, "open_declaration_year") is None


@pytest.mark.parametrize("changes, warning", [
    ({"declaration_start": "2023-12-01", "declaration_end": "2024-04-30"}, "申报时间与2024年度备案时间重叠"),
    ({"year": "2020", "filing_deadline": "2019-12-31", "declaration_start": "2020-03-25",
      "declaration_end": "2020-04-30", "earliest_completion": "2019-05-01"}, "申报截止日期2020-04-30已过"),
])
def test_an_unusual_window_is_saved_with_a_warning(app, admin_client, changes, warning):
    response = admin_client.post("/admin/settings", data=dict(FORM, **changes), follow_redirects=True)
    assert response.status_code == 200
    assert "年度设置已保存。请注意：" in response.text and warning in response.text
    with app.app_context():
        row = db.session.get(YearSetting, int(changes.get("year", "2024")))
        assert row.declaration_start.isoformat() == changes["declaration_start"]


def test_wrong_numbers_are_refused_beside_the_field(admin_client):
    response = admin_client.post("/admin/settings", data=dict(FORM, resubmit_days="0", declaration_year="99"),
                                 headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "退回修改期限（天）应为1至365之间的整数。" in response.text
    assert "当前申报年度应为2000至2100之间的四位年份。" in response.text
