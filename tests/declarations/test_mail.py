"""Mails (A14, issue part 6): the 申报已提交 receipt in the submitting transaction, and the reminder 3 days before
the window closes listing drafts and missing documents, once per unit and year (`flask declaration-reminders`)."""
import pytest

from app.core.extensions import db
from app.declarations import mail
from app.models import DeclarationReminder, OutboxMail
from tests.declarations.conftest import GROUP_FORM, HX, complete, create, docx_bytes, upload


def _mails(app):
    with app.app_context():
        mails = db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id))
        return [(m.recipient, m.subject, m.body) for m in mails]


def test_receipt_names_the_declaration_and_is_written_with_the_submission(unit_client, app, unit, group_filing):
    declaration_id = create(unit_client, group_filing)
    refused = unit_client.post(f"/declarations/{declaration_id}/submit")  # files missing: no receipt
    assert refused.status_code == 422 and _mails(app) == []
    complete(unit_client, declaration_id)
    assert unit_client.post(f"/declarations/{declaration_id}/submit").status_code == 303
    [(recipient, subject, body)] = _mails(app)
    assert recipient == unit.email and subject == "申报已提交：QCSB-2024-0001 降低常减压装置能耗"
    for text in ("中国石化测试分公司：", "申报编号：QCSB-2024-0001", "质量管理小组名称：炼油一部攻关QC小组", "提交时间：2024/4/1 10:00:00",
                 f"/declarations/{declaration_id}", "撤回"):
        assert text in body, text


def test_a_failing_commit_leaves_neither_status_nor_mail(unit_client, app, group_filing, monkeypatch):
    declaration_id = create(unit_client, group_filing)
    complete(unit_client, declaration_id)
    from app.declarations import services

    def broken(declaration):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services.mail, "queue_receipt", broken)
    response = unit_client.post(f"/declarations/{declaration_id}/submit")
    assert response.status_code == 500
    assert _mails(app) == []
    with app.app_context():
        from app.models import Declaration
        assert db.session.get(Declaration, declaration_id).status == "draft"


@pytest.fixture
def two_units(unit_client, unit, make, app, group_filing, auth):
    """The unit with a draft missing its files; another unit whose declaration is submitted and complete."""
    create(unit_client, group_filing)
    other = make.unit(name="另一家石化公司")
    client = app.test_client()
    auth.login(client, other.user)
    filing = make.group(other, year=2024)
    declaration_id = create(client, filing, dict(GROUP_FORM, enterprise_name=other.name))
    complete(client, declaration_id)
    assert client.post(f"/declarations/{declaration_id}/submit").status_code == 303
    with app.app_context():
        db.session.execute(db.delete(OutboxMail))
        db.session.commit()
    return unit, other


def test_reminders_go_out_on_the_last_three_days_once(app, two_units, clock):
    unit, other = two_units
    runner = app.test_cli_runner()
    clock(2024, 4, 26, 9, 0)
    assert "已生成 0 封" in runner.invoke(args=["declaration-reminders"]).output
    clock(2024, 4, 27, 9, 0)
    result = runner.invoke(args=["declaration-reminders"])
    assert result.exit_code == 0 and "已生成 2 封" in result.output  # the other unit still owes its 统计表
    mails = {recipient: body for recipient, _subject, body in _mails(app)}
    body = mails[unit.email]
    for text in ("2024年度成果申报将于2024年4月30日", "尚未提交的申报（草稿）：", "QCSB-2024-0001 降低常减压装置能耗",
                 "缺成果报告书（Word文档）", "缺申报表盖章扫描件", "活动统计表：未填写", "/declarations/"):
        assert text in body, text
    assert "尚未提交的申报" not in mails[other.email] and "活动统计表：未填写" in mails[other.email]
    assert "已生成 0 封" in runner.invoke(args=["declaration-reminders", "--date", "2024-04-30"]).output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(DeclarationReminder)) == 2
    assert len(_mails(app)) == 2


def test_no_reminder_after_the_window_or_for_units_with_nothing_left(app, two_units, clock, unit_client):
    clock(2024, 5, 1, 9, 0)
    with app.app_context():
        assert mail.send_reminders() == 0
    assert _mails(app) == []


def test_reminder_body_lists_stale_scans(app, unit_client, group_filing, clock):
    declaration_id = create(unit_client, group_filing)
    complete(unit_client, declaration_id)
    unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX, data=dict(GROUP_FORM, title="改过的成果名称"))
    upload(unit_client, declaration_id, "report", docx_bytes(), "报告.docx")
    clock(2024, 4, 28, 9, 0)
    with app.app_context():
        assert mail.send_reminders() == 1
        db.session.commit()
    [(_recipient, _subject, body)] = _mails(app)
    assert "申报表盖章扫描件需重新上传" in body and "QCSB-2024-0001" in body
