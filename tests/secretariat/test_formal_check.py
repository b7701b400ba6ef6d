"""形式审查: automatic items, conclusions, the deadline of 完善后参评 (spec Part F 8), the version check between
two clerks, 批量参评 with its preview, window extensions, the unit's view of the result."""
from datetime import date, timedelta

from flask import render_template

from app.core.clock import china_today
from app.core.extensions import db
from app.core.models import YearSetting
from app.declarations import formal_check, unit_documents, window
from app.declarations.models import Declaration, FormalCheck
from app.models import AuditLog, OutboxMail


def _auto(app, declaration_id):
    with app.app_context():
        declaration = formal_check.load_for_check([declaration_id])[0]
        return formal_check.evaluate([declaration], declaration.year, date(declaration.year - 1, 5, 1))[declaration_id]


def _decide(client, declaration_id, conclusion, opinion="", deadline="", version=None, **items):
    data = {"conclusion": conclusion, "opinion": opinion, "resubmit_deadline": deadline,
            "version": str(version if version is not None else 1)}
    data.update(items)
    return client.post(f"/admin/formal-checks/{declaration_id}", data=data, headers={"HX-Request": "true"})


def test_complete_declaration_passes_every_automatic_item(app, ready_unit):
    _, declaration_id = ready_unit
    results = _auto(app, declaration_id)
    assert set(results) == set(formal_check.AUTO_CODES)
    assert formal_check.failed_items(results) == []
    assert results["F5"][0] == results["F13"][0] == "不适用"  # group: team items do not apply
    assert results["F1"][1].startswith("注册编号 QC-")


def test_automatic_items_find_the_faults(app, make, decl):
    unit = make.unit()
    decl.documents(unit, docs=("statistics",))
    team = decl.declaration(unit, kind="team", group_name="常减压运行队", accidents=1,
                            main_contributors=[f"人{i}" for i in range(16)], completed_on=date(2000, 1, 1))
    decl.update(team, enterprise_name="另一家企业")  # after the scan: it is stale now, and differs from the filing
    results = _auto(app, team)
    failed = formal_check.failed_items(results)
    assert failed == ["F2", "F3", "F5", "F6", "F8", "F11", "F13"]
    assert "超过15人" in results["F6"][1] and "企业名称（备案：" in results["F3"][1]
    assert "需重新上传" in results["F8"][1] and "汇总表" in results["F11"][1]
    bare = decl.declaration(unit, complete=False)
    failed = formal_check.failed_items(_auto(app, bare))
    assert {"F8", "F9", "F10", "F11"} <= set(failed) and "F12" not in failed


def test_page_shows_the_checklist_with_system_results(app, admin_client, ready_unit):
    _, declaration_id = ready_unit
    text = admin_client.get(f"/admin/formal-checks/{declaration_id}").text
    for label in ("审查项目", "依据", "审查结论", "意见说明", "修改截止日期", "审查记录", "附件材料", "基本信息"):
        assert label in text
    assert text.count("系统核对") >= len(formal_check.AUTO_CODES)
    assert f"成果为{date.today().year - 1}年5月1日以后完成" in text or "年5月1日以后完成" in text
    assert 'name="result_F1" value="符合" checked' in text
    assert "完善后参评" in text and "缓评" in text


def test_opinion_required_except_accept_and_deadline_checked(app, admin_client, ready_unit):
    _, declaration_id = ready_unit
    response = _decide(admin_client, declaration_id, "rejected")
    assert response.status_code == 422 and "请填写意见说明" in response.text
    response = _decide(admin_client, declaration_id, "returned", opinion="请补充活动记录",
                       deadline=(china_today() - timedelta(days=1)).isoformat())
    assert response.status_code == 422 and "修改截止日期不能早于今天" in response.text
    assert "请补充活动记录" in response.text  # what was typed is kept
    response = _decide(admin_client, declaration_id, "maybe")
    assert response.status_code == 422 and "请选择审查结论" in response.text
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "submitted"
        assert db.session.scalar(db.select(db.func.count(FormalCheck.id))) == 0


def test_default_deadline_follows_the_year_setting(app, admin_client, decl, ready_unit):
    _, declaration_id = ready_unit
    with app.app_context():
        db.session.add(YearSetting(year=decl.year(), resubmit_days=10))
        db.session.commit()
    text = admin_client.get(f"/admin/formal-checks/{declaration_id}").text
    assert f'value="{(china_today() + timedelta(days=10)).isoformat()}"' in text


def test_returned_reopens_editing_until_the_deadline_and_rejected_is_final(
        app, admin_client, decl, ready_unit, smtp_server):
    """Spec Part F 8: 完善后参评 reopens editing until the deadline; 不评 is final; the unit receives both mails."""
    from tests.accounts.test_outbox import mail_config
    from app.core import outbox

    unit, declaration_id = ready_unit
    deadline = china_today() + timedelta(days=7)
    response = _decide(admin_client, declaration_id, "returned", opinion="请补充活动记录并重新盖章",
                       deadline=deadline.isoformat(), result_F10="不符合")
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/{declaration_id}")
    row = decl.get(declaration_id)
    assert row.status == "returned" and row.resubmit_deadline == deadline and row.version == 2
    # The unit may edit until the deadline, the whole last day included, even after the window closed.
    with app.app_context():
        db.session.add(YearSetting(year=row.year, declaration_start=date(2000, 3, 25),
                                   declaration_end=date(2000, 4, 30)))
        db.session.commit()
        assert window.unit_may_edit(row, deadline) is True
        assert window.unit_may_edit(row, deadline + timedelta(days=1)) is False
    # The unit resubmits (the unit side sets the status back, which bumps the version); the clerk, on the page
    # loaded after that, then decides 不评.
    decl.update(declaration_id, status="submitted")
    version = decl.get(declaration_id).version
    response = _decide(admin_client, declaration_id, "rejected", opinion="活动记录仍不完整", version=version)
    assert response.status_code == 204
    row = decl.get(declaration_id)
    assert row.status == "rejected" and row.resubmit_deadline is None
    with app.app_context():
        assert window.unit_may_edit(row, china_today()) is False
    # 不评 is final: the page offers no conclusion and a forged post is refused.
    page = admin_client.get(f"/admin/formal-checks/{declaration_id}").text
    assert "为本年度最终结论" in page and 'name="conclusion"' not in page
    response = _decide(admin_client, declaration_id, "accepted", version=decl.get(declaration_id).version)
    assert response.status_code == 422 and "最终结论" in response.text
    assert decl.get(declaration_id).status == "rejected"
    with app.app_context():
        checks = db.session.execute(db.select(FormalCheck).order_by(FormalCheck.id)).scalars().all()
        assert [c.conclusion for c in checks] == ["returned", "rejected"]
        assert checks[0].items["F10"] == {"result": "不符合", "note": "", "auto": True}
        assert db.session.scalar(db.select(db.func.count(AuditLog.id))
                                 .where(AuditLog.action == "declaration.formal_check")) == 2
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert outbox.deliver_due()["sent"] == 2
    messages = smtp_server.messages
    assert [m["To"] for m in messages] == ["yangzi@example.com"] * 2
    assert "完善后参评" in messages[0]["Subject"] and "不评" in messages[1]["Subject"]
    body = messages[0].get_content()
    assert "请补充活动记录并重新盖章" in body and f"{deadline.year}年{deadline.month}月{deadline.day}日" in body
    assert "不予受理" in messages[1].get_content()
    # History: both checks, newest first.
    history = admin_client.get(f"/admin/declarations/{declaration_id}").text
    assert history.index("活动记录仍不完整") < history.index("请补充活动记录并重新盖章")


def test_deferred_may_only_become_accepted_or_rejected(app, admin_client, decl, ready_unit):
    _, declaration_id = ready_unit
    assert _decide(admin_client, declaration_id, "deferred", opinion="待核实").status_code == 204
    response = _decide(admin_client, declaration_id, "returned", opinion="x", version=2,
                       deadline=china_today().isoformat())
    assert response.status_code == 422 and "缓评的成果只能改为参评或不评" in response.text
    assert _decide(admin_client, declaration_id, "accepted", version=2).status_code == 204
    assert decl.get(declaration_id).status == "accepted"


def test_two_clerks_deciding_at_once_the_second_is_told_and_nothing_is_overwritten(app, client, auth, make,
                                                                                   ready_unit):
    _, declaration_id = ready_unit
    first, second = app.test_client(), app.test_client()
    auth.login(first, make.secretariat(display_name="秘书处甲"))
    auth.login(second, make.secretariat(display_name="秘书处乙"))
    # Both open the page (the form carries version 1) before either decides.
    for c in (first, second):
        assert 'name="version" value="1"' in c.get(f"/admin/formal-checks/{declaration_id}").text
    assert _decide(first, declaration_id, "accepted", version=1).status_code == 204
    response = _decide(second, declaration_id, "rejected", opinion="不符合要求", version=1)
    assert response.status_code == 409
    assert "该成果已由秘书处甲审查" in response.text and "结论：参评" in response.text
    assert "不符合要求" in response.text  # the second clerk's opinion is still on the form
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "accepted"
        assert db.session.scalar(db.select(db.func.count(FormalCheck.id))) == 1
        assert db.session.scalar(db.select(db.func.count(OutboxMail.id))) == 1


def test_a_withdrawal_in_between_also_stops_the_decision(app, admin_client, decl, ready_unit):
    _, declaration_id = ready_unit
    decl.update(declaration_id, status="draft")  # withdrawn by the unit (its version moves on)
    response = _decide(admin_client, declaration_id, "accepted", version=decl.get(declaration_id).version)
    assert response.status_code == 422 and "尚未提交" in response.text
    decl.update(declaration_id, status="submitted", version=5)  # changed by the unit since the form was shown
    response = _decide(admin_client, declaration_id, "accepted", version=1)
    assert response.status_code == 409 and "已提交（待形式审查）" in response.text


def test_bulk_accept_preview_changes_nothing_and_apply_accepts_only_passing(app, admin_client, make, decl,
                                                                            ready_unit):
    unit, good = ready_unit
    other = decl.declaration(unit)
    stale = decl.declaration(unit)
    decl.documents(unit)  # the summary now lists all three: fresh again
    decl.update(stale, title="改过的成果名称")  # its stamped scan is stale now, and it differs from the filing
    with app.app_context():
        decl.refresh_documents(unit.id, decl.year(), ("summary_group",))  # a new 汇总表 scan was uploaded
    listing = admin_client.get("/admin/formal-checks").text
    assert listing.count("data-bulk-ok") == 2 and "不符合：F3、F8" in listing
    selected = [f"{i}:1" for i in (good, other, stale)]
    preview = admin_client.post("/admin/formal-checks/bulk/preview", data={"selected": selected})
    assert preview.status_code == 200
    assert 'id="bulk-ready">2<' in preview.text and "系统核对不符合：F3、F8" in preview.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FormalCheck.id))) == 0
    # Meanwhile `other` was decided by someone else: the apply skips it (version check), accepts `good`.
    decl.update(other, version=2)
    response = admin_client.post("/admin/formal-checks/bulk", data={"selected": selected})
    assert response.status_code in (302, 303)
    assert [decl.get(i).status for i in (good, other, stale)] == ["accepted", "submitted", "submitted"]
    with app.app_context():
        check = db.session.execute(db.select(FormalCheck)).scalar_one()
        assert check.declaration_id == good and check.items["F8"]["result"] == "符合"
        assert check.items["F4"] == {"result": "", "note": "", "auto": False}
        assert db.session.scalar(db.select(db.func.count(OutboxMail.id))) == 1
        assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "declaration.bulk_accept")).scalar_one()
    follow = admin_client.get("/admin/formal-checks").text
    assert "已批量参评 1 项" in follow and "未参评" in follow


def test_bulk_preview_without_selection_and_with_junk(admin_client, ready_unit):
    response = admin_client.post("/admin/formal-checks/bulk/preview", data={"selected": ["x", "1:", "-3:1"],
                                                                            "back": "javascript:alert(1)"})
    assert response.status_code == 200 and "没有选择成果" in response.text
    assert "javascript:" not in response.text


def test_extension_reopens_the_window_for_one_unit(app, admin_client, make, decl):
    unit, other = make.unit(), make.unit()
    year = decl.year()
    today = china_today()
    with app.app_context():
        db.session.add(YearSetting(year=year, declaration_start=today - timedelta(days=40),
                                   declaration_end=today - timedelta(days=1)))
        db.session.commit()
        assert not window.window_open(unit.id, year, "group", today)
    response = admin_client.post(f"/admin/declarations/units/{unit.id}/extension?year={year}",
                                 data={"kind": "group", "until": "", "reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "请填写延长至的日期" in response.text and "请填写延长原因" in response.text
    response = admin_client.post(f"/admin/declarations/units/{unit.id}/extension?year={year}",
                                 data={"kind": "group", "until": (today + timedelta(days=3)).isoformat(),
                                       "reason": "系统故障补报"})
    assert response.status_code in (302, 303)
    draft = decl.declaration(unit, status="draft")
    with app.app_context():
        assert window.window_open(unit.id, year, "group", today)
        assert window.window_open(unit.id, year, "group", today + timedelta(days=3))
        assert not window.window_open(unit.id, year, "group", today + timedelta(days=4))
        assert not window.window_open(unit.id, year, "team", today)
        assert not window.window_open(other.id, year, "group", today)
        assert window.unit_may_edit(db.session.get(Declaration, draft), today)
        entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "declaration.extension")).scalar_one()
        assert "系统故障补报" in entry.detail
    page = admin_client.get(f"/admin/declarations/units/{unit.id}?year={year}").text
    assert "延长至" in page and "系统故障补报" in page
    admin_client.post(f"/admin/declarations/units/{unit.id}/extension/group/remove?year={year}")
    with app.app_context():
        assert not window.window_open(unit.id, year, "group", today)
    assert admin_client.post(f"/admin/declarations/units/{unit.id}/extension/bogus/remove").status_code == 404


def test_unit_sees_the_latest_conclusion_and_opinion(app, admin_client, decl, ready_unit):
    _, declaration_id = ready_unit
    deadline = china_today() + timedelta(days=5)
    _decide(admin_client, declaration_id, "returned", opinion="请补充现场记录<script>", deadline=deadline.isoformat(),
            result_F10="不符合")
    with app.test_request_context():
        declaration = db.session.get(Declaration, declaration_id)
        check = formal_check.latest_check(declaration)
        html = render_template("declarations/_formal_check.html", declaration=declaration, check=check)
        assert render_template("declarations/_formal_check.html", declaration=declaration, check=None).strip() == ""
    assert "完善后参评" in html and "请补充现场记录&lt;script&gt;" in html
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in html and "F10" in html


def test_unit_document_states(app, make, decl):
    unit = make.unit()
    group = decl.declaration(unit)
    with app.app_context():
        states = unit_documents.document_states(decl.year(), [unit.id])[unit.id]
    assert states.state("summary_group") == "未上传" and states.state("summary_team") == "无需上传"
    assert states.state("statistics") == "未上传" and not states.complete
    decl.documents(unit, docs=("summary_group", "statistics"))
    with app.app_context():
        states = unit_documents.document_states(decl.year(), [unit.id])[unit.id]
    assert states.complete and states.summary_counts == {"group": 1, "team": 0}
    decl.update(group, title="新名称")  # a row of the 汇总表 changed: its scan is stale
    with app.app_context():
        states = unit_documents.document_states(decl.year(), [unit.id])[unit.id]
    assert states.state("summary_group") == "需重新上传" and states.state("statistics") == "已上传"
    assert not states.complete
