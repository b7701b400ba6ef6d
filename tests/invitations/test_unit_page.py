"""The unit's 邀请备案 page: adding, searching, paging, live counts, links and deletions."""
import re

from sqlalchemy import func, insert, select

from app.core.clock import utcnow
from app.core.extensions import db
from app.invitations.models import InvitationRetiredToken
from app.models import AuditLog, Invitation, OutboxMail, QcGroupFiling, TeamFiling

HX = {"HX-Request": "true"}


def _count(app, model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    with app.app_context():
        return db.session.execute(query).scalar_one()


def test_empty_page_follows_the_manual(client, auth, make):
    unit = make.unit()
    auth.login(client, unit.user)
    html = client.get("/invite/").get_data(as_text=True)
    assert "成果备案邀请" in html
    assert "没有邀请记录!" in html
    for label in ("被邀企业名称：", "联系人：", "邮箱：", "联系电话："):
        assert label in html
    assert ">添加邀请</button>" in html
    assert "1、在下面录入拟邀请企业信息（企业名称、联系人、邮箱、联系电话）后，点击“添加邀请后”" in html
    assert "4、被邀请企业无法管理登记备案的信息。" in html
    headers = re.findall(r"<th>(.*?)</th>", html)
    assert headers == ["序号", "企业名称", "联系人", "电子邮箱", "联系电话", "备案数量 (小组/班组)", "添加时间", "操作"]


def test_roles_and_pending_units_are_refused(client, auth, make):
    auth.login(client, make.unit(status="pending").user)
    assert client.get("/invite/").status_code == 403
    client2 = client.application.test_client()
    auth.login(client2, make.expert())
    assert client2.get("/invite/").status_code == 403


def test_add_puts_the_new_row_at_the_top(client, auth, make, app):
    unit = make.unit()
    auth.login(client, unit.user)
    for name in ("企业1", "企业2"):
        response = client.post("/invite/", headers=HX, data={
            "enterprise_name": name, "contact": "联系人", "email": "a@b.cn", "phone": "010-84885418"})
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="invite-panel"' in html
    names = re.findall(r'<td class="invite-name" data-label="企业名称">(\S+)', html)
    assert names == ["企业2", "企业1"]
    assert 'class="is-new"' in html
    with app.app_context():
        inv = db.session.execute(select(Invitation).where(Invitation.enterprise_name == "企业2")).scalar_one()
    assert inv.group_token_hash and inv.team_token_hash and inv.group_token_hash != inv.team_token_hash
    assert _count(app, AuditLog, action="invitation.created") == 2


def test_invalid_entry_keeps_what_was_typed(client, auth, make, app):
    unit = make.unit()
    auth.login(client, unit.user)
    response = client.post("/invite/", headers=HX, data={
        "enterprise_name": "燕山石化", "contact": "", "email": "not-an-email", "phone": "12345"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="燕山石化"' in html and 'value="not-an-email"' in html and 'value="12345"' in html
    assert "请填写联系人。" in html and "邮箱格式不正确" in html and "联系电话应为11位手机号码" in html
    assert _count(app, Invitation) == 0


def test_duplicate_enterprise_is_refused_with_a_clear_message(client, auth, make, invite):
    unit = make.unit()
    invite(unit, name="燕山石化")
    auth.login(client, unit.user)
    response = client.post("/invite/", headers=HX, data={
        "enterprise_name": "燕山石化", "contact": "张三", "email": "a@b.cn", "phone": "13912345678"})
    assert response.status_code == 422
    assert "该企业已在邀请列表中" in response.get_data(as_text=True)


def test_add_without_javascript_redirects(client, auth, make):
    unit = make.unit()
    auth.login(client, unit.user)
    response = client.post("/invite/", data={
        "enterprise_name": "企业A", "contact": "张三", "email": "a@b.cn", "phone": "13912345678"})
    assert response.status_code == 303
    assert "企业A" in client.get("/invite/").get_data(as_text=True)


def test_csrf_is_required(client, auth, make):
    unit = make.unit()
    auth.login(client, unit.user)
    response = client.post("/invite/", csrf=False, data={
        "enterprise_name": "企业A", "contact": "张三", "email": "a@b.cn", "phone": "13912345678"})
    assert response.status_code == 400


def test_search_and_pagination(client, auth, make, invite):
    unit = make.unit()
    for n in range(23):
        invite(unit, name=f"搜索{n:02d}有限公司")
    invite(unit, name="100%_特殊")
    auth.login(client, unit.user)
    html = client.get("/invite/?q=搜索0", headers=HX).get_data(as_text=True)
    assert html.startswith('<div id="invite-table"')
    assert len(re.findall(r'<td class="invite-name" data-label="企业名称">', html)) == 10
    html = client.get("/invite/?q=%25_", headers=HX).get_data(as_text=True)
    assert re.findall(r'<td class="invite-name" data-label="企业名称">(\S+)', html) == ["100%_特殊"]
    page1 = client.get("/invite/").get_data(as_text=True)
    assert len(re.findall(r'<td class="invite-name" data-label="企业名称">', page1)) == 20
    assert "第1/2页" in page1
    page2 = client.get("/invite/?page=2").get_data(as_text=True)
    assert len(re.findall(r'<td class="invite-name" data-label="企业名称">', page2)) == 4
    assert '<td class="num" data-label="序号">21</td>' in page2
    assert "没有名称包含“无此企业”的被邀企业" in client.get("/invite/?q=无此企业").get_data(as_text=True)


def _bulk_invitations(unit, n):
    now = utcnow()
    db.session.execute(insert(Invitation), [
        {"unit_id": unit.id, "enterprise_name": f"批量企业{i}", "contact": "李四", "email": f"e{i}@x.cn",
         "phone": "13800000000", "created_at": now} for i in range(n)])
    db.session.commit()


def test_query_count_does_not_grow_with_rows(client, auth, make, count_queries, app, open_year):
    small, big = make.unit(), make.unit()
    with app.app_context():
        _bulk_invitations(small, 1)
        _bulk_invitations(big, 200)
        for unit in (small, big):
            # ordered: without ORDER BY PostgreSQL may read them through (unit_id, enterprise_key)
            ids = db.session.execute(select(Invitation.id).where(Invitation.unit_id == unit.id)
                                     .order_by(Invitation.id)).scalars().all()
            for i in ids[-20:]:
                db.session.add(QcGroupFiling(
                    unit_id=unit.id, year=open_year, reg_no=f"QC-{open_year}-{i:06d}", enterprise_name="x",
                    group_name=f"g{i}", topic="t", topic_type="创新型", founded_on=utcnow().date(),
                    leader="a", member_count=3, contact="a", mobile="13912345678", invitation_id=i))
        db.session.commit()
    counts = {}
    for unit in (small, big):
        c = app.test_client()
        auth.login(c, unit.user)
        c.get("/invite/")  # warm-up (session row, caches)
        with count_queries() as queries:
            response = c.get("/invite/")
        assert response.status_code == 200
        counts[unit.id] = len(queries)
    assert counts[small.id] == counts[big.id]
    assert "批量企业199" in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count(">1</a> / <a") == 20


def test_live_counts_endpoint(client, auth, make, invite, open_year, app):
    unit, other = make.unit(), make.unit()
    mine, theirs = invite(unit), invite(other)
    with app.app_context():
        pass
    make.group(unit, year=open_year, invitation_id=mine.id)
    make.group(unit, year=open_year, invitation_id=mine.id)
    make.group(unit, year=open_year - 1, invitation_id=mine.id)  # an earlier year: not counted
    make.team(unit, year=open_year, invitation_id=mine.id)
    make.group(other, year=open_year, invitation_id=theirs.id)
    auth.login(client, unit.user)
    html = client.get(f"/invite/counts?ids={mine.id},{theirs.id},abc,99999999999999999999",
                      headers=HX).get_data(as_text=True)
    assert f'id="count-{mine.id}"' in html and 'hx-swap-oob="true"' in html
    assert re.search(rf'/groups/\?invitation={mine.id}"[^>]*>2</a> / <a href="/teams/\?invitation={mine.id}"[^>]*>1</a>', html)
    assert f"count-{theirs.id}" not in html
    page = client.get("/invite/").get_data(as_text=True)
    assert f'hx-get="/invite/counts?ids={mine.id}"' in page
    assert 'hx-trigger="every 5s' in page


def test_foreign_invitations_are_404(client, auth, make, invite):
    unit, other = make.unit(), make.unit()
    theirs = invite(other)
    auth.login(client, unit.user)
    for url in (f"/invite/{theirs.id}/link/group", f"/invite/{theirs.id}/delete",
                f"/invite/{theirs.id}/filings/group/delete", "/invite/999999/link/team"):
        assert client.get(url, headers=HX).status_code == 404
    for url in (f"/invite/{theirs.id}/link/group/mail", f"/invite/{theirs.id}/link/group/regenerate",
                f"/invite/{theirs.id}/delete", f"/invite/{theirs.id}/filings/team/delete"):
        assert client.post(url, headers=HX, data={"filings": "delete", "expected": "0"}).status_code == 404
    assert client.get(f"/invite/{theirs.id}/link/other", headers=HX).status_code == 404


def test_link_dialog_shows_copyable_link_and_mails_it(client, auth, make, invite, app):
    unit = make.unit()
    inv = invite(unit, email="boss@ent.cn")
    auth.login(client, unit.user)
    html = client.get(f"/invite/{inv.id}/link/group", headers=HX).get_data(as_text=True)
    assert f"/invite/g/{inv.group_token}" in html
    assert 'data-copy-target="#invite-link-group-' in html and "复制链接" in html and "发送邮件" in html
    assert "小组邀请" in html
    team_html = client.get(f"/invite/{inv.id}/link/team", headers=HX).get_data(as_text=True)
    assert f"/invite/t/{inv.team_token}" in team_html
    # the same link again (derived, not stored)
    assert f"/invite/g/{inv.group_token}" in client.get(f"/invite/{inv.id}/link/group").get_data(as_text=True)
    response = client.post(f"/invite/{inv.id}/link/group/mail", headers=HX)
    assert response.status_code == 200
    assert "已放入发件箱，将发往 boss@ent.cn" in response.get_data(as_text=True)
    with app.app_context():
        mail = db.session.execute(select(OutboxMail)).scalar_one()
    assert mail.recipient == "boss@ent.cn" and f"/invite/g/{inv.group_token}" in mail.body
    assert unit.name in mail.subject
    assert _count(app, AuditLog, action="invitation.link_mailed") == 1


def test_regenerate_replaces_the_link_at_once(client, auth, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    auth.login(client, unit.user)
    html = client.post(f"/invite/{inv.id}/link/group/regenerate", headers=HX).get_data(as_text=True)
    new_token = re.search(r"/invite/g/([\w-]+)", html).group(1)
    assert new_token != inv.group_token
    assert client.get(inv.path("group")).status_code == 410
    assert client.get(f"/invite/g/{new_token}").status_code == 200
    assert client.get(inv.path("team")).status_code == 200  # the other kind is untouched
    assert _count(app, InvitationRetiredToken) == 1
    assert _count(app, AuditLog, action="invitation.link_regenerated") == 1


def test_delete_year_filings_confirms_the_number(client, auth, make, invite, open_year, app):
    unit = make.unit()
    inv = invite(unit)
    for _ in range(3):
        make.group(unit, year=open_year, invitation_id=inv.id)
    make.group(unit, year=open_year - 1, invitation_id=inv.id)
    make.team(unit, year=open_year, invitation_id=inv.id)
    own = make.group(unit, year=open_year)
    auth.login(client, unit.user)
    html = client.get(f"/invite/{inv.id}/filings/group/delete", headers=HX).get_data(as_text=True)
    assert f"{open_year}年度" in html and '<span class="invite-confirm-number">3</span>' in html
    make.group(unit, year=open_year, invitation_id=inv.id)  # one more arrives meanwhile
    html = client.post(f"/invite/{inv.id}/filings/group/delete", headers=HX,
                       data={"expected": "3"}).get_data(as_text=True)
    assert "记录数量已有变化" in html and '<span class="invite-confirm-number">4</span>' in html
    assert _count(app, QcGroupFiling, invitation_id=inv.id, year=open_year) == 4
    response = client.post(f"/invite/{inv.id}/filings/group/delete", headers=HX, data={"expected": "4"})
    assert "已删除" in response.get_data(as_text=True)
    assert "invite-counts" in response.headers["HX-Trigger"]
    assert _count(app, QcGroupFiling, invitation_id=inv.id, year=open_year) == 0
    assert _count(app, QcGroupFiling, invitation_id=inv.id, year=open_year - 1) == 1
    assert _count(app, TeamFiling, invitation_id=inv.id) == 1
    assert _count(app, QcGroupFiling, id=own.id) == 1
    assert _count(app, AuditLog, action="group_filing.delete_for_invitation") == 1


def test_delete_year_filings_refused_after_deadline(client, auth, make, invite, open_year, close_filing, app):
    unit = make.unit()
    inv = invite(unit)
    make.group(unit, year=open_year, invitation_id=inv.id)
    close_filing()
    auth.login(client, unit.user)
    html = client.post(f"/invite/{inv.id}/filings/group/delete", headers=HX,
                       data={"expected": "1"}).get_data(as_text=True)
    assert "备案已截止" in html
    assert _count(app, QcGroupFiling) == 1


def test_delete_enterprise_asks_what_to_do_with_filings(client, auth, make, invite, open_year, app):
    unit = make.unit()
    keep, drop = invite(unit, name="保留企业"), invite(unit, name="删除企业")
    for inv in (keep, drop):
        make.group(unit, year=open_year, invitation_id=inv.id)
        make.group(unit, year=open_year - 1, invitation_id=inv.id)
        make.team(unit, year=open_year, invitation_id=inv.id)
    auth.login(client, unit.user)
    html = client.get(f"/invite/{keep.id}/delete", headers=HX).get_data(as_text=True)
    assert "共 <strong>3</strong> 条" in html and 'value="keep"' in html and 'value="delete"' in html
    response = client.post(f"/invite/{keep.id}/delete", headers=HX, data={})
    assert response.status_code == 422 and "请选择" in response.get_data(as_text=True)
    assert _count(app, Invitation, id=keep.id) == 1

    response = client.post(f"/invite/{keep.id}/delete", headers=HX, data={"filings": "keep"})
    assert response.status_code == 200 and "invite-changed" in response.headers["HX-Trigger"]
    assert _count(app, Invitation, id=keep.id) == 0
    assert _count(app, QcGroupFiling, enterprise_name=unit.name) == 4  # all still there
    assert _count(app, QcGroupFiling, invitation_id=None) == 2
    assert _count(app, TeamFiling, invitation_id=None) == 1

    client.post(f"/invite/{drop.id}/delete", headers=HX, data={"filings": "delete"})
    assert _count(app, Invitation, id=drop.id) == 0
    assert _count(app, QcGroupFiling) == 2 and _count(app, TeamFiling) == 1
    assert _count(app, AuditLog, action="invitation.deleted") == 2
    # the deleted enterprise's links say 链接已失效 with the inviting unit's contact
    html = client.get(drop.path("team")).get_data(as_text=True)
    assert "链接已失效" in html and unit.name in html and "删除" in html


def test_delete_enterprise_without_filings(client, auth, make, invite, app):
    unit = make.unit()
    inv = invite(unit)
    auth.login(client, unit.user)
    assert "该企业没有备案记录" in client.get(f"/invite/{inv.id}/delete", headers=HX).get_data(as_text=True)
    assert client.post(f"/invite/{inv.id}/delete", headers=HX).status_code == 200
    assert _count(app, Invitation) == 0


def test_dialogs_work_as_pages_without_javascript(client, auth, make, invite):
    unit = make.unit()
    inv = invite(unit)
    auth.login(client, unit.user)
    html = client.get(f"/invite/{inv.id}/delete").get_data(as_text=True)
    assert "<html" in html and "返回邀请备案" in html
    response = client.post(f"/invite/{inv.id}/delete")
    assert response.status_code == 303


def test_count_links_open_the_enterprises_filings(client, auth, make, invite, open_year):
    unit = make.unit()
    inv, other = invite(unit, name="甲企业"), invite(unit, name="乙企业")
    make.group(unit, year=open_year, invitation_id=inv.id, enterprise_name="甲企业", group_name="甲的QC小组")
    make.group(unit, year=open_year, invitation_id=other.id, enterprise_name="乙企业", group_name="乙的QC小组")
    auth.login(client, unit.user)
    response = client.get(f"/groups/?invitation={inv.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "甲的QC小组" in html and "乙的QC小组" not in html
