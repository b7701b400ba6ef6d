"""形式审查 list: the findings it reads as plain rows in one statement (formal_check.list_findings) are
exactly what the full evaluation of loaded declarations gives (formal_check.evaluate with summaries=False), in
every case the automatic items tell apart, and the page shows them."""
from datetime import date

from app.accounts.models import Unit
from app.core.extensions import db
from app.declarations import formal_check
from app.declarations.models import DeclarationFile, FormalCheck, UnitYearReport
from app.filings.models import QcGroupFiling, TeamFiling
from tests.secretariat.declaration_factory import PDF, stored_file


def _world(app, make, decl):
    """Declarations covering each automatic item's outcomes; returns their ids."""
    year = decl.year()
    ready = make.unit(name="江苏扬子石化有限公司")
    good = decl.declaration(ready)
    good_team = decl.declaration(ready, kind="team", group_name="常减压运行一班")
    decl.documents(ready)
    faulty = make.unit(name="山东炼化")
    decl.documents(faulty, docs=("statistics",))  # no 汇总表 scans; the 统计表 then changes: stale
    team = decl.declaration(faulty, kind="team", group_name="常减压运行队", accidents=1,
                            main_contributors=[f"人{i}" for i in range(16)], completed_on=date(2000, 1, 1))
    decl.update(team, enterprise_name="另一家企业")
    bare = decl.declaration(faulty, complete=False, completed_on=None, main_contributors=[])
    twice = decl.declaration(faulty, main_contributors=["甲", "甲"], topic_type="其他")
    moved = decl.declaration(faulty)
    renamed = make.unit(name="改名前的单位")
    decl.documents(renamed, docs=("summary_group", "statistics"))
    scans = decl.declaration(renamed)
    no_report = make.unit(name="无统计表数据的单位")
    decl.documents(no_report, docs=("statistics",))
    orphan = decl.declaration(no_report, kind="team", accidents=0, no_accident_pledge=False)
    with app.app_context():
        report = db.session.get(UnitYearReport, (faulty.id, year))
        report.staff_total = 99  # the 统计表 changed after its scan
        filing = db.session.get(QcGroupFiling, decl.get(moved).group_filing_id)
        filing.unit_id = ready.id  # the filing is another unit's: F1 fails
        db.session.get(Unit, renamed.id).name = "改名后的单位"  # the 申报表 heading changed: its scan is stale
        db.session.delete(db.session.get(UnitYearReport, (no_report.id, year)))
        team_filing = db.session.get(TeamFiling, decl.get(orphan).team_filing_id)
        team_filing.team_name = "别的班组"
        # Two scans of one declaration: the newest counts (a stale one after a fresh one).
        scan = stored_file(PDF, "第二次盖章件.pdf", "application/pdf", unit_id=ready.id)
        db.session.add(DeclarationFile(declaration_id=good_team, purpose="stamped_form",
                                       stored_file_id=scan.id, data_hash="OLD00000"))
        db.session.add(FormalCheck(declaration_id=twice, conclusion="returned", opinion="请完善"))
        db.session.add(FormalCheck(declaration_id=twice, conclusion="deferred", opinion=""))
        db.session.commit()
    return [good, good_team, team, bare, twice, moved, scans, orphan]


def test_list_findings_equal_the_full_evaluation(app, make, decl):
    ids = _world(app, make, decl)
    earliest = date(decl.year() - 1, 5, 1)
    with app.app_context():
        listed = formal_check.list_findings(ids, earliest)
        loaded = formal_check.load_for_check(ids)
        full = formal_check.evaluate(loaded, decl.year(), earliest, summaries=False)
        latest = formal_check.latest_checks(ids)
    assert set(listed) == set(ids)
    for declaration_id in ids:
        assert listed[declaration_id].results == full[declaration_id], declaration_id
        check = latest.get(declaration_id)
        assert listed[declaration_id].conclusion == (check.conclusion if check else None)
    failed = {i: listed[i].failed for i in ids}
    good, good_team, team, bare, twice, moved, scans, orphan = ids
    assert failed[good] == []
    assert failed[good_team] == ["F8"]
    assert failed[team] == ["F2", "F3", "F5", "F6", "F8", "F11", "F12", "F13"]
    assert {"F2", "F6", "F8", "F9", "F10", "F11", "F12"} <= set(failed[bare])
    assert failed[twice] == ["F3", "F6", "F7", "F11", "F12"] and listed[twice].conclusion == "deferred"
    assert failed[moved][0] == "F1"
    # The unit name is printed on the 申报表 and on the 统计表: renaming the unit makes both scans stale.
    assert failed[scans] == ["F8", "F12"] and "统计表需重新上传" in listed[scans].failed_notes
    assert failed[orphan] == ["F3", "F11", "F12", "F13"] and "统计表需重新上传" in listed[orphan].failed_notes
    assert listed[team].failed_notes.startswith("F2：成果完成日期 2000-01-01 早于")
    assert formal_check.list_findings([], earliest) == {}


def test_list_shows_the_findings_and_the_latest_conclusion(app, admin_client, make, decl):
    ids = _world(app, make, decl)
    decl.update(ids[2], title='<b>"成果"&</b>', status="accepted")
    text = admin_client.get("/admin/formal-checks?status=all").text
    assert "<td>&lt;b&gt;&#34;成果&#34;&amp;&lt;/b&gt;</td>" in text and "<b>" not in text
    assert f'href="/admin/formal-checks/{ids[2]}">查看</a>' in text
    assert f'href="/admin/formal-checks/{ids[0]}">审查</a>' in text
    assert f'value="{ids[0]}:1" data-bulk-ok aria-label="选择 ' in text
    assert text.count("data-bulk-ok") == 1  # only `good` passes (the others failed)
    assert ('title="F3：与备案不一致：课题类型（备案：创新型）；F6：主要完成人有重复；F7：课题类型应为问题解决型或创新型；'
            'F11：汇总表未上传；F12：统计表需重新上传；"') in text
    assert "不符合：F3、F6、F7、F11、F12" in text and "上次结论：缓评" in text
    assert text.count("上次结论") == 1 and text.count('<span class="badge badge-ok">全部符合</span>') == 1
    assert len(ids) == 8
