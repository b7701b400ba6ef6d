"""Issue 10 on the secretariat's pages: change requests (原值 → 新值, counts), Chinese for every code,
工作台 cards that count what they open, the outbox, expert accounts and visible filter labels."""
import ast
import re
from pathlib import Path

from app.accounts.passwords import verify_password
from app.core.extensions import db
from app.core.settings import open_filing_year
from app.models import AuditLog, Invitation, OutboxMail, UnitChangeRequest, User

APP = Path(__file__).resolve().parents[2] / "app"
HX = {"HX-Request": "true"}


def _request_name_change(app, auth, unit, new_name):
    client = app.test_client()
    auth.login(client, unit.user)
    form = {"name": new_name, "credit_code": unit.credit_code, "contact": unit.contact, "mobile": unit.mobile,
            "address": unit.address, "postcode": unit.postcode, "province_code": unit.province_code,
            "industry_code": unit.industry_code, "email": unit.email}
    assert client.post("/profile", data=form, headers=HX).status_code == 200
    with app.app_context():
        return db.session.execute(db.select(UnitChangeRequest).where(
            UnitChangeRequest.unit_id == unit.id)).scalar_one().id


def test_approved_change_request_shows_the_real_old_value_and_the_counts_follow(app, auth, make,
                                                                               admin_client):
    unit = make.unit(name="旧名称化工有限公司")
    other = make.unit(name="另一家化工有限公司")
    first = _request_name_change(app, auth, unit, "新名称化工（集团）有限公司")
    _request_name_change(app, auth, other, "另一家化工（集团）有限公司")
    page = admin_client.get("/admin/registrations").text
    assert 'id="change-requests-total">2<' in page
    response = admin_client.post(f"/admin/change-requests/{first}/decide",
                                 data={"decision": "approve", "from": "list"}, headers=HX)
    assert response.status_code == 200 and "change-request-decided" in response.headers["HX-Trigger"]
    assert 'id="change-requests-total">1<' in response.text  # only what is still pending
    assert "已通过“新名称化工（集团）有限公司”的变更申请" in response.text
    # the registration list reloads on that event and shows the new name
    listing = admin_client.get("/admin/registrations", headers=HX).text
    assert "新名称化工（集团）有限公司" in listing and "旧名称化工有限公司" not in listing
    detail = admin_client.get(f"/admin/registrations/{unit.id}").text
    assert "单位名称：旧名称化工有限公司 → <strong>新名称化工（集团）有限公司</strong>" in detail
    units = admin_client.get(f"/admin/units/{unit.id}").text
    assert "旧名称化工有限公司 → 新名称化工（集团）有限公司" in units


def test_change_logs_show_fields_and_values_in_chinese(app, auth, make, admin_client):
    unit = make.unit(status="pending", province_code="11")
    admin_client.post(f"/admin/registrations/{unit.id}/approve", headers=HX)
    client = app.test_client()
    auth.login(client, unit.user)
    form = {"name": unit.name, "credit_code": unit.credit_code, "contact": unit.contact,
            "mobile": unit.mobile, "address": unit.address, "postcode": unit.postcode, "province_code": "33",
            "industry_code": "26", "email": unit.email}
    client.post("/profile", data=form, headers=HX)
    for url in (f"/admin/units/{unit.id}", f"/admin/registrations/{unit.id}"):
        html = admin_client.get(url).text
        logs = html[html.index("变更记录"):]
        assert "审核状态" in logs and "待审核" in logs and "已通过" in logs
        assert "所属省份" in logs and "北京市" in logs and "浙江省" in logs
        for code in ("province_code", ">status<", ">pending<", ">approved<", ">33<"):
            assert code not in logs, (url, code)


def test_every_audited_action_has_a_chinese_name():
    from app.secretariat.labels import ACTION_LABELS

    actions = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    actions.add(first.value)
                elif isinstance(first, ast.IfExp):
                    actions.update(c.value for c in (first.body, first.orelse) if isinstance(c, ast.Constant))
                elif isinstance(first, ast.JoinedStr):
                    tail = "".join(v.value for v in first.values if isinstance(v, ast.Constant))
                    actions.update(f"{kind}{tail}" for kind in ("group", "team"))
    assert len(actions) > 25 and actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)


def test_the_audit_page_shows_no_codes(app, auth, make, admin_client):
    unit = make.unit(status="pending")
    admin_client.post(f"/admin/registrations/{unit.id}/approve", headers=HX)
    unit_client = app.test_client()
    auth.login(unit_client, unit.user)
    unit_client.post("/invite/", data={"enterprise_name": "甲企业", "contact": "甲", "email": "a@b.cn",
                                       "phone": "13800000000"}, headers=HX)
    with app.app_context():
        inv_id = db.session.execute(db.select(Invitation.id)).scalar_one()
    unit_client.post(f"/invite/{inv_id}/link/group/mail", headers=HX)
    admin_client.post("/admin/accounts",
                      data={"role": "expert", "username": "expert01", "display_name": "专家甲"})
    html = admin_client.get("/admin/audit").text
    table = html[html.index('id="audit-table"'):]
    text = re.sub(r"<[^>]+>", " ", table)
    assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", text.replace("example.com", "").replace("b.cn", ""))
    for key in ('"kind"', "recipient", "is_enabled", "display_name", "group_mail"):
        assert key not in text
    assert "发送邀请链接" in text and "收件人" in text and "类型" in text and "小组" in text


def test_describe_detail_reads_every_shape_in_chinese():
    from app.secretariat.labels import describe_detail

    lines = dict(describe_detail('{"is_enabled": [true, false], "kind": "team", "source": "link_import", '
                                 '"deleted_filings": {"group": 2, "team": 0}, "role": "expert"}'))
    assert lines == {"账号状态": "正常 → 已停用", "类型": "班组", "来源": "邀请链接导入",
                     "删除的备案": "小组：2；班组：0", "角色": "评审专家"}


def test_dashboard_cards_count_exactly_what_they_open(app, admin_client, make, auth):
    with app.app_context():
        year = open_filing_year()
    filed = make.unit()
    make.unit()  # approved, nothing filed
    make.unit(status="pending")
    make.unit(status="rejected")
    make.group(filed, year=year)
    make.team(filed, year=year)
    changer = make.unit()
    _request_name_change(app, auth, changer, "改名后化工有限公司")
    html = admin_client.get("/admin/").text
    card = r'<a class="stat[^"]*" href="([^"]+)" id="([^"]+)">.*?<strong class="stat-value">(\d+)</strong>'
    cards = re.findall(card, html, re.S)
    assert {card_id for _, card_id, _ in cards} >= {"stat-pending", "stat-pending-changes", "stat-groups",
                                                    "stat-teams", "stat-units-filed", "stat-units-without",
                                                    "stat-units"}
    checked = []
    for href, card_id, number in cards:
        page = admin_client.get(href.replace("&amp;", "&")).text
        if card_id == "stat-pending-changes":
            shown = re.search(r'id="change-requests-total">(\d+)<', page).group(1)
        elif card_id in ("stat-groups", "stat-teams"):
            shown = re.search(r'id="filing-total">(\d+)<', page).group(1)
        else:
            shown = re.search(r"共 (\d+) 条", page).group(1)
        assert shown == number, (card_id, href, shown, number)
        checked.append(card_id)
    assert len(checked) == 7


def test_outbox_opens_a_mail_and_resends_only_failed_ones(app, admin_client):
    with app.app_context():
        for status in ("pending", "sent", "failed"):
            error = "SMTPRecipientsRefused: 550" if status == "failed" else None
            db.session.add(OutboxMail(recipient=f"{status}@x.cn", subject=f"主题{status}",
                                      body=f"正文（{status}）\n第二行", status=status, last_error=error))
        db.session.commit()
        ids = {m.status: m.id for m in db.session.execute(db.select(OutboxMail)).scalars()}
    listing = admin_client.get("/admin/outbox").text
    assert f'href="/admin/outbox/{ids["sent"]}"' in listing and listing.count(">重发</button>") == 1
    assert "系统尚未配置发信的邮件服务器" in listing and "MAIL_SERVER" not in listing
    page = admin_client.get(f"/admin/outbox/{ids['failed']}").text
    assert "正文（failed）\n第二行" in page and "收件人地址被邮件服务器拒收" in page and ">重发</button>" in page
    assert ">重发</button>" not in admin_client.get(f"/admin/outbox/{ids['pending']}").text
    assert admin_client.post(f"/admin/outbox/{ids['sent']}/resend", headers=HX).status_code == 409
    assert admin_client.get("/admin/outbox/999999").status_code == 404
    resent = admin_client.post(f"/admin/outbox/{ids['failed']}/resend", data={"from": "mail"})
    assert resent.status_code == 200 and "已重新放入发件箱" in resent.text
    with app.app_context():
        assert db.session.get(OutboxMail, ids["sent"]).status == "sent"
        assert db.session.get(OutboxMail, ids["failed"]).status == "pending"


def test_experts_are_created_with_a_password_shown_once(app, admin_client, client):
    response = admin_client.post("/admin/accounts", data={"role": "expert", "username": "zhuanjia1",
                                                          "display_name": "李专家", "email": "li@x.cn"},
                                 headers=HX)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r'class="mono generated-password">([^<]+)<', response.text).group(1)
    assert len(password) == 10 and "只显示这一次" in response.text
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "zhuanjia1")).scalar_one()
        assert user.role == "expert" and user.must_change_password
        assert verify_password(user.password_hash, password)
        entries = db.session.execute(db.select(AuditLog.detail, AuditLog.summary)).all()
        assert all(password not in (detail or "") + summary for detail, summary in entries)
    assert password not in admin_client.get("/admin/accounts").text  # shown once only
    listing = admin_client.get("/admin/accounts").text
    assert "评审专家" in listing and "zhuanjia1" in listing and "未修改初始密码" in listing
    with app.app_context():
        user_id = user.id
    assert admin_client.post(f"/admin/accounts/{user_id}/disable").status_code == 303
    with app.app_context():
        assert db.session.get(User, user_id).is_enabled is False


def test_a_role_must_be_chosen(admin_client):
    data = {"username": "nobody1", "display_name": "某人", "password": "abc12345",
            "password_confirm": "abc12345"}
    response = admin_client.post("/admin/accounts", data=data)
    assert response.status_code == 422 and "请选择角色" in response.text


def test_unit_accounts_are_not_managed_on_the_accounts_page(admin_client, make):
    unit = make.unit()
    assert admin_client.post(f"/admin/accounts/{unit.user.id}/disable").status_code == 404


def test_every_filter_has_a_visible_label(admin_client):
    for url in ("/admin/units", "/admin/filings", "/admin/audit", "/admin/registrations", "/admin/outbox"):
        html = admin_client.get(url).text
        form = re.search(r'<form class="toolbar[^"]*"[^>]*>(.*?)</form>', html, re.S).group(1)
        fields = re.findall(r'<(input|select)\b([^>]*)>', form)
        for tag, attrs in fields:
            if 'type="hidden"' in attrs:
                continue
            name = re.search(r'name="([^"]+)"', attrs).group(1)
            field_id = re.search(r'id="([^"]+)"', attrs)
            wrapped = re.search(rf'<label>[^<]+<{tag}\b[^>]*name="{name}"', form)
            labelled = field_id and re.search(rf'<label for="{field_id.group(1)}">[^<]+</label>', form)
            assert wrapped or labelled, (url, name)
