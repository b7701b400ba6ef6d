"""Issue 10: a unit's 系统首页 shows the notices, the year's dates and how far its filing has got."""
import re

from app.core.extensions import db
from app.core.settings import open_filing_year
from app.models import Notice, UnitYearStat


def _home(app, auth, unit):
    client = app.test_client()
    auth.login(client, unit.user)
    return client.get("/").text


def test_progress_against_the_settings_and_the_silent_invitations(app, auth, make):
    with app.app_context():
        year = open_filing_year()
    unit = make.unit()
    other = make.unit()
    busy = make.invitation(unit, enterprise_name="已备案企业（一厂）")
    make.invitation(unit, enterprise_name="未备案企业（二厂）")
    make.invitation(other, enterprise_name="别家的被邀企业")
    make.group(unit, year=year)
    make.group(unit, year=year, invitation_id=busy.id, enterprise_name=busy.enterprise_name)
    make.team(unit, year=year)
    make.group(unit, year=year - 1)  # another year
    with app.app_context():
        db.session.add(UnitYearStat(unit_id=unit.id, year=year, group_total=5, team_total=3, staff_total=100,
                                    qc_participants=30))
        db.session.add(Notice(title="关于开展年度成果申报的通知（第一号）", body="正文"))
        db.session.commit()
    html = _home(app, auth, unit)
    start, middle = html.index('id="progress-groups"'), html.index('id="progress-teams"')
    groups = re.sub(r"<[^>]+>|\s+", "", html[start:middle])
    teams = re.sub(r"<[^>]+>|\s+", "", html[html.index('id="progress-teams"'):html.index("</dl>")])
    assert "已备案小组/设置的小组总数2/5" in groups and "已备案班组/设置的班组总数1/3" in teams
    idle = html[html.index("尚未登记备案的被邀企业"):]
    assert "未备案企业（二厂）" in idle and "已备案企业（一厂）" not in idle and "别家的被邀企业" not in idle
    assert "关于开展年度成果申报的通知（第一号）" in html and "重要日期" in html and "成果申报时间" in html


def test_before_the_settings_the_totals_say_so(app, auth, make):
    html = _home(app, auth, make.unit())
    assert "尚未设置" in html and "点击“设置”" in html


def test_the_home_page_query_count_does_not_grow(app, auth, make, count_queries):
    with app.app_context():
        year = open_filing_year()
    unit = make.unit()
    client = app.test_client()
    auth.login(client, unit.user)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    for i in range(25):
        inv = make.invitation(unit)
        if i % 2:
            make.group(unit, year=year, invitation_id=inv.id)
    with count_queries() as many:
        html = client.get("/").text
    assert len(many) == len(few)
    assert "另有" in html or html.count("<li>被邀企业") >= 12
