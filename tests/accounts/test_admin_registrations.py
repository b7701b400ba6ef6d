"""审核注册: list, filters, inline decisions with emails, change requests, change history."""
import pytest

from app.core.extensions import db
from app.models import AuditLog, OutboxMail, Unit, UnitChangeLog, UnitChangeRequest
from tests.accounts.conftest import staged_key, upload_license


@pytest.fixture
def clerk(make, auth, client):
    user = make.secretariat(display_name="秘书处丁")
    auth.login(client, user)
    return user


def test_applicant_cannot_open_the_approval_page(client, make, auth):
    unit = make.unit()
    auth.login(client, unit.user)
    assert client.get("/admin/registrations").status_code == 403
    pending = make.unit(status="pending")
    assert client.post(f"/admin/registrations/{pending.id}/approve").status_code == 403
    assert client.get("/admin/outbox").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/registrations")
    assert response.status_code in (302, 303) and "/?next=" in response.headers["Location"]


def test_list_shows_pending_first_with_filters_and_search(client, clerk, make):
    approved = make.unit(name="甲化工有限公司", province_code="11")
    pending = make.unit(name="乙石化有限公司", status="pending", province_code="37")
    rejected = make.unit(name="丙化学有限公司", status="rejected", province_code="37")
    html = client.get("/admin/registrations").get_data(as_text=True)
    assert html.index(pending.name) < html.index(approved.name)
    assert all(u.name in html for u in (approved, pending, rejected))
    only_pending = client.get("/admin/registrations?status=pending",
                              headers={"HX-Request": "true"}).get_data(as_text=True)
    assert pending.name in only_pending and approved.name not in only_pending and "<html" not in only_pending
    shandong = client.get("/admin/registrations?province=37").get_data(as_text=True)
    assert approved.name not in shandong.split("registration-list")[1]
    by_code = client.get("/admin/registrations",
                         query_string={"q": approved.credit_code.lower()}).get_data(as_text=True)
    assert approved.name in by_code and pending.name not in by_code.split("registration-list")[1]
    by_name = client.get("/admin/registrations", query_string={"q": "乙石化"}).get_data(as_text=True)
    assert pending.name in by_name and rejected.name not in by_name.split("registration-list")[1]


def test_list_query_count_does_not_grow_with_rows(client, clerk, make, count_queries):
    make.unit(status="pending")
    with count_queries() as few:
        client.get("/admin/registrations")
    for _ in range(12):
        make.unit(status="pending")
    with count_queries() as many:
        client.get("/admin/registrations")
    assert len(many) == len(few)


def test_approve_inline_updates_the_row_and_queues_the_success_mail(client, clerk, make, app):
    unit = make.unit(status="pending", email="apply@example.com")
    response = client.post(f"/admin/registrations/{unit.id}/approve", data={"from": "list"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="registration-list"') and "已通过" in html
    with app.app_context():
        row = db.session.get(Unit, unit.id)
        assert row.status == "approved" and row.reviewed_by_id == clerk.id
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert mail.recipient == "apply@example.com" and "注册成功" in mail.subject
        assert unit.user.username in mail.body and "http://localhost/" in mail.body
        assert db.session.execute(db.select(AuditLog).filter_by(action="unit.approve")).scalar_one()
        log = db.session.execute(db.select(UnitChangeLog).filter_by(field="status")).scalar_one()
        assert (log.old_value, log.new_value, log.actor_id) == ("pending", "approved", clerk.id)
    again = client.post(f"/admin/registrations/{unit.id}/approve", headers={"HX-Request": "true"})
    assert again.status_code == 422 and "不能重复审核" in again.get_data(as_text=True)


def test_base_url_is_used_in_mails_when_configured(client, clerk, make, app):
    unit = make.unit(status="pending")
    app.config["BASE_URL"] = "https://qc.example.org"
    try:
        client.post(f"/admin/registrations/{unit.id}/approve")
    finally:
        app.config["BASE_URL"] = None
    with app.app_context():
        assert "https://qc.example.org/" in db.session.execute(db.select(OutboxMail)).scalar_one().body


def test_reject_requires_a_reason_and_mails_it(client, clerk, make, app):
    unit = make.unit(status="pending")
    missing = client.post(f"/admin/registrations/{unit.id}/reject", data={"reason": " ", "from": "list"},
                          headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "请填写不通过的原因" in missing.get_data(as_text=True)
    response = client.post(f"/admin/registrations/{unit.id}/reject", data={"reason": "营业执照图片不清晰"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "未通过" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Unit, unit.id).reject_reason == "营业执照图片不清晰"
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert "注册失败" in mail.subject and "营业执照图片不清晰" in mail.body
        assert db.session.execute(db.select(AuditLog).filter_by(action="unit.reject")).scalar_one()


def test_detail_shows_every_field_and_the_license(client, clerk, make, captcha_answer, files, app):
    from tests.accounts.conftest import register
    anon = app.test_client()
    response, data = register(anon, files.png)
    assert response.status_code == 204
    with app.app_context():
        unit = db.session.execute(db.select(Unit)).scalar_one()
    html = client.get(f"/admin/registrations/{unit.id}").get_data(as_text=True)
    for value in [data["name"], data["credit_code"].upper(), data["username"], "王小明", "13912345678",
                  data["address"], "250000", "山东省", data["email"]]:
        assert value in html, value
    assert f'src="/files/license/{unit.license_file_id}"' in html and "通过" in html and "不通过" in html
    assert client.get("/admin/registrations/999999").status_code == 404


def _unit_client(app, auth, unit):
    c = app.test_client()
    auth.login(c, unit.user)
    return c


def test_profile_contact_changes_apply_now_and_are_logged(app, make, auth):
    unit = make.unit(contact="张三", mobile="13912345678")
    c = _unit_client(app, auth, unit)
    page = c.get("/profile").get_data(as_text=True)
    assert "修改资料" in page and 'value="张三"' in page
    form = {"name": unit.name, "credit_code": unit.credit_code, "contact": "李四", "mobile": "13800001111",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": "new@example.com", "status": "approved", "role": "secretariat"}
    response = c.post("/profile", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "资料已保存" in response.text and "资料未保存" not in response.text
    with app.app_context():
        row = db.session.get(Unit, unit.id)
        assert (row.contact, row.mobile, row.email) == ("李四", "13800001111", "new@example.com")
        assert row.user.role == "unit"
        logs = {log.field: (log.old_value, log.new_value, log.actor_id)
                for log in db.session.execute(db.select(UnitChangeLog)).scalars()}
        assert logs["contact"] == ("张三", "李四", unit.user.id)
        assert "mobile" in logs and "email" in logs
        assert db.session.execute(db.select(UnitChangeRequest)).first() is None


def test_profile_password_change_needs_old_password(app, make, auth):
    unit = make.unit()
    c = _unit_client(app, auth, unit)
    form = {"name": unit.name, "credit_code": unit.credit_code, "contact": "张三", "mobile": "13912345678",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email, "old_password": "wrong", "new_password": "another1",
            "new_password2": "another1"}
    response = c.post("/profile", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "原密码不正确" in response.get_data(as_text=True)


def test_change_request_applies_only_on_approval_and_mails_either_way(app, make, auth, client, clerk, files):
    unit = make.unit(name="旧名称化工有限公司")
    c = _unit_client(app, auth, unit)
    key = staged_key(upload_license(c, files.jpeg, "新执照.jpg"))
    form = {"name": "新名称化工有限公司", "credit_code": unit.credit_code, "contact": "张三", "mobile": "13912345678",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email, "license_key": key}
    assert c.post("/profile", data=form, headers={"HX-Request": "true"}).status_code == 200
    with app.app_context():
        assert db.session.get(Unit, unit.id).name == "旧名称化工有限公司"
        cr = db.session.execute(db.select(UnitChangeRequest)).scalar_one()
        assert cr.new_name == "新名称化工有限公司" and cr.new_license_file_id
    assert "变更申请待秘书处审核" in c.get("/profile").get_data(as_text=True)
    listing = client.get("/admin/registrations").get_data(as_text=True)
    assert "待审核的变更申请" in listing and "新名称化工有限公司" in listing
    # the new license can be seen by the secretariat before deciding
    assert client.get(f"/files/license/{cr.new_license_file_id}").status_code == 200
    response = client.post(f"/admin/change-requests/{cr.id}/decide",
                           data={"decision": "approve", "from": "list"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "已通过" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Unit, unit.id)
        assert row.name == "新名称化工有限公司" and row.license_file_id == cr.new_license_file_id
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert "变更成功" in mail.subject
        log = db.session.execute(db.select(UnitChangeLog).filter_by(field="name")).scalar_one()
        assert (log.old_value, log.new_value, log.actor_id) == ("旧名称化工有限公司", "新名称化工有限公司", clerk.id)
    detail = client.get(f"/admin/registrations/{unit.id}").get_data(as_text=True)
    assert "变更记录" in detail and "旧名称化工有限公司" in detail and "秘书处丁" in detail


def test_change_request_rejection_needs_a_reason_and_mails(app, make, auth, client, clerk):
    unit = make.unit()
    c = _unit_client(app, auth, unit)
    from tests.factories import valid_credit_code
    form = {"name": unit.name, "credit_code": valid_credit_code(987654), "contact": "张三",
            "mobile": "13912345678",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email}
    assert c.post("/profile", data=form, headers={"HX-Request": "true"}).status_code == 200
    with app.app_context():
        cr = db.session.execute(db.select(UnitChangeRequest)).scalar_one()
    url = f"/admin/change-requests/{cr.id}/decide"
    assert client.post(url, data={"decision": "reject"}).status_code == 422
    ok = client.post(url, data={"decision": "reject", "reason": "代码与执照不符"})
    assert ok.status_code == 200
    with app.app_context():
        assert db.session.get(Unit, unit.id).credit_code == unit.credit_code
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert "未通过" in mail.subject and "代码与执照不符" in mail.body


def test_unit_cannot_decide_or_see_other_units_files(app, make, auth, files):
    unit = make.unit()
    c = _unit_client(app, auth, unit)
    assert c.post("/admin/change-requests/1/decide", data={"decision": "approve"}).status_code == 403
    other = make.unit()
    oc = _unit_client(app, auth, other)
    key = staged_key(upload_license(oc, files.png))
    form = {"name": other.name, "credit_code": other.credit_code, "contact": "张三", "mobile": "13912345678",
            "address": other.address, "postcode": other.postcode, "province_code": "11",
            "industry_code": "26", "email": other.email, "license_key": key}
    assert oc.post("/profile", data=form, headers={"HX-Request": "true"}).status_code == 200
    with app.app_context():
        file_id = db.session.execute(db.select(UnitChangeRequest)).scalar_one().new_license_file_id
    assert oc.get(f"/files/license/{file_id}").status_code == 200
    assert c.get(f"/files/license/{file_id}").status_code == 404


def test_only_one_pending_change_request_at_a_time(app, make, auth):
    unit = make.unit()
    c = _unit_client(app, auth, unit)
    base = {"credit_code": unit.credit_code, "contact": "张三", "mobile": "13912345678",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email}
    first = c.post("/profile", data=dict(base, name="第一次改名有限公司"), headers={"HX-Request": "true"})
    assert first.status_code == 200 and "已提交秘书处审核" in first.text
    second = c.post("/profile", data=dict(base, name="第二次改名有限公司"), headers={"HX-Request": "true"})
    assert second.status_code == 422 and "已有待秘书处审核的变更申请" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(UnitChangeRequest.id))).scalar() == 1


def test_change_request_to_a_taken_name_cannot_be_approved(app, make, auth, client, clerk):
    unit = make.unit()
    c = _unit_client(app, auth, unit)
    form = {"name": "稍后被占用化工有限公司", "credit_code": unit.credit_code, "contact": "张三", "mobile": "13912345678",
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email}
    assert c.post("/profile", data=form, headers={"HX-Request": "true"}).status_code == 200
    make.unit(name="稍后被占用化工有限公司", status="pending")
    with app.app_context():
        cr = db.session.execute(db.select(UnitChangeRequest)).scalar_one()
    response = client.post(f"/admin/change-requests/{cr.id}/decide", data={"decision": "approve"})
    assert response.status_code == 422 and "该单位已注册" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(UnitChangeRequest, cr.id).status == "pending"


def test_inline_decision_on_the_pending_filter_takes_the_row_out_and_updates_the_counts(client, clerk, make):
    first = make.unit(status="pending", name="甲待审化工有限公司")
    second = make.unit(status="pending", name="乙待审化工有限公司")
    make.unit(status="approved", name="丙已通过化工有限公司")
    page = client.get("/admin/registrations?status=pending").get_data(as_text=True)
    assert 'name="list_status" value="pending"' in page and 'hx-include="#registration-list-state"' in page
    assert "全部待审核：<strong>2</strong>" in page
    list_state = {"from": "list", "list_status": "pending", "list_page": "1"}
    response = client.post(f"/admin/registrations/{first.id}/approve", data=list_state,
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="registration-list"')
    rows = html.split("<tbody>")[1]
    assert f'id="reg-{first.id}"' not in rows and f'id="reg-{second.id}"' in rows
    assert "已通过“甲待审化工有限公司”的注册" in html and "共 1 条（待审核）" in html
    assert "全部待审核：<strong>1</strong>" in html and "丙已通过化工有限公司" not in html
    rejected = client.post(f"/admin/registrations/{second.id}/reject",
                           data={**list_state, "reason": "执照模糊"}, headers={"HX-Request": "true"})
    html = rejected.get_data(as_text=True)
    assert "已不通过“乙待审化工有限公司”的注册（原因：执照模糊）" in html
    assert "没有符合条件的注册" in html and "全部待审核：<strong>0</strong>" in html


def test_inline_error_redraws_only_its_row(client, clerk, make):
    unit = make.unit(status="pending")
    response = client.post(f"/admin/registrations/{unit.id}/reject",
                           data={"from": "list", "list_status": "pending", "reason": ""},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#reg-{unit.id}" and response.headers["HX-Reswap"] == "outerHTML"
    assert response.get_data(as_text=True).startswith(f'<tr id="reg-{unit.id}"')


def test_deciding_the_last_row_of_the_last_page_shows_the_page_before(client, clerk, make, app):
    from app.secretariat.views.registrations import PER_PAGE
    units = [make.unit(status="pending") for _ in range(PER_PAGE + 1)]
    with app.app_context():
        last = client.get("/admin/registrations?status=pending&page=2").get_data(as_text=True)
        assert "第 2 / 2 页" in last
        only = [u for u in units if f'id="reg-{u.id}"' in last.split("<tbody>")[1]]
    assert len(only) == 1
    html = client.post(f"/admin/registrations/{only[0].id}/approve",
                       data={"from": "list", "list_status": "pending", "list_page": "2"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count('class="reg-row') == PER_PAGE and "没有符合条件的注册" not in html


def test_list_query_count_is_flat_across_pages_and_change_requests(client, clerk, make, count_queries, app):
    from app.secretariat.views.registrations import PER_PAGE
    _add_change_request(app, make.unit())
    make.unit(status="pending")
    with count_queries() as few:
        assert client.get("/admin/registrations").status_code == 200
    for _ in range(PER_PAGE + 5):
        make.unit(status="pending")
    for _ in range(3):
        _add_change_request(app, make.unit())
    with count_queries() as many:
        html = client.get("/admin/registrations").get_data(as_text=True)
    assert "第 1 / 2 页" in html and html.count('class="reg-row') == PER_PAGE
    assert len(many) == len(few)
    with count_queries() as second_page:
        client.get("/admin/registrations?page=2", headers={"HX-Request": "true"})
    assert len(second_page) <= len(few)


def _add_change_request(app, unit):
    with app.app_context():
        db.session.add(UnitChangeRequest(unit_id=unit.id, new_name=unit.name + "（新）", status="pending"))
        db.session.commit()


def _add_history(app, unit, count):
    with app.app_context():
        db.session.add_all([UnitChangeLog(unit_id=unit.id, field="contact", old_value=f"旧{i}", new_value=f"新{i}")
                            for i in range(count)])
        db.session.commit()


def test_detail_history_paginates_and_its_query_count_is_flat(client, clerk, make, count_queries, app):
    from app.secretariat.views.registrations import HISTORY_PER_PAGE
    unit = make.unit()
    _add_history(app, unit, 2)
    _add_change_request(app, unit)
    with count_queries() as few:
        html = client.get(f"/admin/registrations/{unit.id}").get_data(as_text=True)
    assert "共 2 条" in html and "第 1 /" not in html
    _add_history(app, unit, HISTORY_PER_PAGE + 10)
    with count_queries() as many:
        html = client.get(f"/admin/registrations/{unit.id}").get_data(as_text=True)
    assert len(many) == len(few)
    assert f"共 {HISTORY_PER_PAGE + 12} 条" in html and "第 1 / 2 页" in html
    assert html.count('<td class="nowrap">联系人</td>') == HISTORY_PER_PAGE
    part = client.get(f"/admin/registrations/{unit.id}?hpage=2", headers={"HX-Request": "true"})
    text = part.get_data(as_text=True)
    assert text.startswith('<section class="card" id="change-history"') and "第 2 / 2 页" in text
    assert text.count("<td class=\"nowrap\">联系人</td>") == 12 and "<html" not in text


def test_decisions_on_the_detail_page_tell_the_history_to_reload(client, clerk, make):
    unit = make.unit(status="pending")
    page = client.get(f"/admin/registrations/{unit.id}").get_data(as_text=True)
    assert 'hx-trigger="registration-changed from:body"' in page
    missing = client.post(f"/admin/registrations/{unit.id}/reject", data={"reason": ""},
                          headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "HX-Trigger" not in missing.headers
    done = client.post(f"/admin/registrations/{unit.id}/approve", headers={"HX-Request": "true"})
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "registration-changed"
    history = client.get(f"/admin/registrations/{unit.id}?hpage=1", headers={"HX-Request": "true"})
    assert "审核状态" in history.get_data(as_text=True) and "已通过" in history.get_data(as_text=True)


def test_a_decision_on_the_detail_page_offers_the_next_pending_registration(client, clerk, make):
    current = make.unit(status="pending", name="当前待审化工有限公司")
    following = make.unit(status="pending", name="下一家待审化工有限公司")
    html = client.post(f"/admin/registrations/{current.id}/approve",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'href="/admin/registrations/{following.id}"' in html and "下一条待审核：下一家待审化工有限公司" in html
    last = client.post(f"/admin/registrations/{following.id}/reject", data={"reason": "资料不全"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "下一条待审核" not in last
