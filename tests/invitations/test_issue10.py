"""Issue 10 on 邀请备案 and the link pages: names as typed, 保存, the inviter's contact, kept 联系人/手机,
导入 without a file, the invitation mail and its state, and who the audit log names."""
import re

from sqlalchemy import select

from app.core.extensions import db
from app.core.outbox import deliver_due
from app.models import AuditLog, Invitation, OutboxMail, QcGroupFiling
from tests.accounts.test_outbox import mail_config
from tests.invitations.conftest import GROUP_DATA

HX = {"HX-Request": "true"}
FULL = "燕山石化（北京）分公司"


def _key(html):
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


def _unit_client(app, auth, unit):
    client = app.test_client()
    auth.login(client, unit.user)
    return client


def test_invitation_names_are_kept_and_compared_by_key(app, auth, make):
    client = _unit_client(app, auth, make.unit())
    data = {"enterprise_name": f" {FULL} ", "contact": "王晓明（质量部）", "email": "w@ent.cn",
            "phone": "13800000000"}
    assert client.post("/invite/", data=data, headers=HX).status_code == 200
    with app.app_context():
        inv = db.session.execute(select(Invitation)).scalar_one()
        assert (inv.enterprise_name, inv.contact) == (FULL, "王晓明（质量部）")
    again = client.post("/invite/", data=dict(data, enterprise_name="燕山石化(北京)分公司"), headers=HX)
    assert again.status_code == 422 and "该企业已在邀请列表中" in again.text
    found = client.get("/invite/", query_string={"q": "石化(北京"}, headers=HX).text
    assert FULL in found


def test_link_form_saves_with_baocun_and_shows_the_inviters_contact(client, make, invite):
    unit = make.unit(name="中国石化测试单位", contact="丁士育", mobile="13911112222", email="ding@qc.cn")
    html = client.get(invite(unit).path("group")).text
    form = html[html.index('id="filing-form"'):html.index("</form>", html.index('id="filing-form"'))]
    assert '<button type="submit" class="btn">保存</button>' in form and ">添加</button>" not in form
    facts = html[html.index("link-facts"):html.index("</dl>", html.index("link-facts"))]
    assert "丁士育" in facts and 'href="tel:13911112222"' in facts and "ding@qc.cn" in facts


def test_after_each_add_contact_and_mobile_stay_filled(client, make, invite):
    inv = invite(make.unit())
    key = _key(client.get(inv.path("group")).text)
    data = dict(GROUP_DATA, contact="陈晓红（设备处）", mobile="13812345678", submission_key=key)
    response = client.post(inv.path("group") + "/add", headers=HX, data=data)
    assert response.status_code == 200 and "已添加" in response.text
    assert 'value="陈晓红（设备处）"' in response.text and 'value="13812345678"' in response.text
    assert 'value="降本增效QC小组"' not in response.text  # the record's own fields start empty


def test_import_without_a_file_says_so(client, make, invite):
    inv = invite(make.unit())
    html = client.get(inv.path("group")).text
    assert not re.search(r'<input type="file"[^>]*required', html)  # no silent browser bubble
    response = client.post(inv.path("group") + "/import", headers=HX, data={})
    assert response.status_code == 422 and "请先点击“浏览”选择要导入的文件" in response.text
    assert 'role="alert"' in response.text


def test_link_filings_are_logged_with_the_enterprise_as_actor(app, client, make, invite):
    inv = invite(make.unit(), name=FULL)
    key = _key(client.get(inv.path("group")).text)
    client.post(inv.path("group") + "/add", headers=HX, data=dict(GROUP_DATA, submission_key=key))
    with app.app_context():
        entry = db.session.execute(
            select(AuditLog).where(AuditLog.action == "group_filing.create")).scalar_one()
        assert entry.actor_name == f"邀请链接：{FULL}" and entry.actor_id is None


def test_invitation_mail_and_its_state_on_the_row(app, auth, make, invite, smtp_server):
    unit = make.unit(name="中国石化测试单位")
    inv = invite(unit, name=FULL)
    client = _unit_client(app, auth, unit)
    response = client.post(f"/invite/{inv.id}/link/group/mail", headers=HX)
    assert "已放入发件箱，将发往" in response.text
    with app.app_context():
        mail = db.session.execute(select(OutboxMail)).scalar_one()
        assert "（小组）" not in mail.subject + mail.body and "（班组）" not in mail.subject + mail.body
        assert mail.body.startswith(FULL)
    row = client.get("/invite/").text
    assert "邮件待发送" in row
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert deliver_due()["sent"] == 1
    assert "邮件已发送" in client.get("/invite/").text
    with app.app_context():
        db.session.execute(db.update(OutboxMail).values(status="failed"))
        db.session.commit()
    assert "邮件失败" in client.get("/invite/").text


def test_invitation_list_query_count_stays_flat_with_mail_states(app, auth, make, invite, count_queries):
    unit = make.unit()
    client = _unit_client(app, auth, unit)
    invite(unit)
    client.get("/invite/")
    with count_queries() as few:
        client.get("/invite/")
    for _ in range(6):
        made = invite(unit)
        client.post(f"/invite/{made.id}/link/team/mail", headers=HX)
    with count_queries() as many:
        client.get("/invite/")
    assert len(many) == len(few)
    with app.app_context():
        assert db.session.execute(select(QcGroupFiling)).first() is None
