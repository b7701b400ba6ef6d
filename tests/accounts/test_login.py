"""登录, lockout, captcha, logout, 修改密码, must_change_password, 忘记密码."""
import re
from datetime import timedelta

import pytest

from app.accounts import services as accounts
from app.accounts.passwords import verify_password
from app.core.clock import utcnow
from app.core.extensions import db
from app.models import AuditLog, OutboxMail, PasswordResetToken, User, UserSession
from tests.factories import PASSWORD


def login(client, username, password=PASSWORD, role="unit", captcha="QC2024", captcha_id="", **extra):
    data = {"role": role, "username": username, "password": password, "captcha": captcha,
            "captcha_id": captcha_id, **extra}
    return client.post("/login", data=data, headers={"HX-Request": "true"})


def test_home_page_login_box_has_the_manuals_fields(client):
    html = client.get("/").get_data(as_text=True)
    for text in ["类型", "申报用户", "评审专家", "秘书处", "账号", "密码", "验证码", "登录", "忘记密码"]:
        assert text in html
    assert 'hx-get="/captcha"' in html  # the captcha image loads into the box


def test_captcha_fragment_gives_a_new_image_and_id_each_time(client):
    first = client.get("/captcha", headers={"HX-Request": "true"}).get_data(as_text=True)
    second = client.get("/captcha", headers={"HX-Request": "true"}).get_data(as_text=True)
    ids = [re.search(r'name="captcha_id" value="([^"]+)"', h).group(1) for h in (first, second)]
    assert ids[0] != ids[1] and "换图" in first and "data:image/png;base64," in first


def test_unit_logs_in_and_sees_the_welcome(client, make, captcha_answer):
    unit = make.unit()
    response = login(client, unit.user.username)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"
    assert f"欢迎{unit.name}使用本系统。" in client.get("/").get_data(as_text=True)


def test_login_follows_a_local_next_only(client, make, captcha_answer):
    unit = make.unit()
    assert login(client, unit.user.username, next="/groups/").headers["HX-Redirect"] == "/groups/"
    client.post("/logout")
    assert login(client, unit.user.username, next="//evil.example/").headers["HX-Redirect"] == "/"


@pytest.mark.parametrize("case", ["wrong password", "no such account", "wrong type"])
def test_wrong_credentials_give_one_generic_message(client, make, captcha_answer, case):
    unit = make.unit(username="generic01")
    kwargs = {"wrong password": dict(username="generic01", password="nope12345"),
              "no such account": dict(username="nobody999"),
              "wrong type": dict(username="generic01", role="secretariat")}[case]
    response = login(client, **kwargs)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert accounts.GENERIC_ERROR in html
    assert "不存在" not in html and "审核" not in html
    assert unit.name not in html


def test_pending_and_rejected_units_get_their_message_only_after_a_correct_password(
        client, make, captcha_answer):
    pending = make.unit(status="pending", username="pend0001")
    rejected = make.unit(status="rejected", username="rejt0001", reject_reason="证照与单位名称不一致")
    assert accounts.GENERIC_ERROR in login(client, "pend0001", "wrongpass").get_data(as_text=True)
    assert "正在审核中" in login(client, "pend0001").get_data(as_text=True)
    html = login(client, "rejt0001").get_data(as_text=True)
    assert "未通过审核" in html and "证照与单位名称不一致" in html
    assert client.get("/groups/").status_code in (302, 303, 204)  # not logged in
    assert pending and rejected


def test_rejected_message_does_not_double_the_full_stop(client, make, captcha_answer):
    make.unit(status="rejected", username="rejt0002", reject_reason="营业执照不清晰。")
    html = login(client, "rejt0002").get_data(as_text=True)
    assert "原因：营业执照不清晰。请按要求完善资料后重新注册。" in html and "。。" not in html


def test_captcha_is_one_time_and_expires(client, make, known_captcha, app):
    unit = make.unit()
    challenge = known_captcha("XY78")
    assert login(client, unit.user.username, captcha="XY78", captcha_id=challenge).status_code == 204
    client.post("/logout")
    # replaying the same id and answer never passes again
    response = login(client, unit.user.username, captcha="XY78", captcha_id=challenge)
    assert response.status_code == 422 and "验证码错误" in response.get_data(as_text=True)
    # a wrong answer uses a challenge up too
    other = known_captcha("MN34")
    assert login(client, unit.user.username, captcha="AAAA", captcha_id=other).status_code == 422
    assert login(client, unit.user.username, captcha="MN34", captcha_id=other).status_code == 422
    # an expired challenge is refused
    old = known_captcha("PQ67", expires_in=timedelta(seconds=-1))
    assert login(client, unit.user.username, captcha="PQ67", captcha_id=old).status_code == 422
    # the answer is case-insensitive
    fresh = known_captcha("RT88")
    assert login(client, unit.user.username, captcha="rt88", captcha_id=fresh).status_code == 204


def test_lockout_after_five_failures_even_with_the_right_password(client, make, captcha_answer, app):
    unit = make.unit(username="lockme01")
    for _ in range(4):
        assert accounts.GENERIC_ERROR in login(client, "lockme01", "wrong-pass").get_data(as_text=True)
    assert accounts.LOCKED_ERROR in login(client, "lockme01", "wrong-pass").get_data(as_text=True)
    response = login(client, "lockme01")  # right password, but locked
    assert response.status_code == 422 and accounts.LOCKED_ERROR in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(AuditLog).filter_by(action="login.locked")).scalar_one()
        assert accounts.locked_until("lockme01") is not None
        # after 15 minutes the lock is gone
        import time
        assert accounts.locked_until("lockme01", now=time.time() + 15 * 60 + 1) is None
    assert unit


def test_failures_per_address_are_limited(client, make, captcha_answer, app):
    with app.app_context():
        for i in range(accounts.MAX_ADDRESS_FAILURES):
            accounts.record_failure(f"someone{i}", "127.0.0.1")
        db.session.commit()
    unit = make.unit()
    response = login(client, unit.user.username)
    assert response.status_code == 422 and accounts.ADDRESS_ERROR in response.get_data(as_text=True)


def test_login_issues_a_fresh_session_and_logout_kills_the_old_cookie(client, make, captcha_answer, app):
    unit = make.unit()
    with client.session_transaction() as session:
        session["planted"] = "attacker"  # session fixation attempt
    login(client, unit.user.username)
    with client.session_transaction() as session:
        assert "planted" not in session
        old_cookie = dict(session)
    assert client.get("/groups/").status_code == 200
    client.post("/logout")
    with client.session_transaction() as session:
        session.update(old_cookie)
    response = client.get("/groups/")
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(UserSession.id))).scalar() == 0


def test_must_change_password_is_enforced_until_changed(client, make, auth, app):
    clerk = make.secretariat(username="admin", must_change_password=True)
    auth.login(client, clerk)
    response = client.get("/admin/registrations")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/password")
    assert client.get("/password").status_code == 200
    htmx = client.get("/admin/outbox", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/password"
    response = client.post("/password", data={"old_password": PASSWORD, "new_password": "newpass99",
                                              "new_password2": "newpass99"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert client.get("/admin/registrations").status_code == 200


def test_password_change_needs_old_password_and_ends_other_sessions(client, make, auth, app):
    unit = make.unit()
    other_browser = app.test_client()
    auth.login(other_browser, unit.user)
    auth.login(client, unit.user)
    data = {"old_password": "wrong", "new_password": "abc", "new_password2": "abc"}
    bad = client.post("/password", data=data, headers={"HX-Request": "true"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "原密码不正确" in html and "密码为6-16位" in html
    ok = client.post("/password", data={"old_password": PASSWORD, "new_password": "brandnew1",
                                        "new_password2": "brandnew1"}, headers={"HX-Request": "true"})
    assert ok.status_code == 204
    assert client.get("/groups/").status_code == 200
    assert other_browser.get("/groups/").status_code in (302, 303)
    with app.app_context():
        assert verify_password(db.session.get(User, unit.user.id).password_hash, "brandnew1")


def _reset_link(app):
    with app.app_context():
        mail = db.session.execute(db.select(OutboxMail).order_by(OutboxMail.id.desc())).scalars().first()
    match = re.search(r"http://localhost/password/reset/(\S+)", mail.body)
    return mail, "/password/reset/" + match.group(1)


def test_forgot_password_sends_a_single_use_link(client, make, captcha_answer, app, auth):
    unit = make.unit(username="forgot01", email="reset@example.com")
    session_client = app.test_client()
    auth.login(session_client, unit.user)
    response = client.post("/password/forgot", data={"username": "forgot01", "email": "Reset@Example.com",
                                                      "captcha": "QC2024", "captcha_id": ""})
    assert "重置密码的链接已发送" in response.get_data(as_text=True)
    mail, link = _reset_link(app)
    assert mail.recipient == "reset@example.com" and "30分钟" in mail.body
    assert client.get(link).status_code == 200
    done = client.post(link, data={"new_password": "resetpw1", "new_password2": "resetpw1"},
                       headers={"HX-Request": "true"})
    assert done.status_code == 204
    assert client.get(link).status_code == 404  # single use
    assert session_client.get("/groups/").status_code in (302, 303)  # every session ended
    assert login(client, "forgot01", "resetpw1").status_code == 204


def test_forgot_password_answers_the_same_for_unknown_accounts(client, make, captcha_answer, app):
    make.unit(username="known001", email="known@example.com")
    a = client.post("/password/forgot", data={"username": "known001", "email": "other@example.com",
                                              "captcha": "QC2024"}).get_data(as_text=True)
    b = client.post("/password/forgot", data={"username": "ghost001", "email": "x@example.com",
                                              "captcha": "QC2024"}).get_data(as_text=True)
    assert "重置密码的链接已发送" in a and "重置密码的链接已发送" in b
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OutboxMail.id))).scalar() == 0


def test_reset_link_expires_after_30_minutes(client, make, app, ctx):
    from app.accounts import password_reset

    unit = make.unit()
    with app.test_request_context():
        user = db.session.get(User, unit.user.id)
        password_reset.send_reset_link(user)
        db.session.commit()
    mail, link = _reset_link(app)
    row = db.session.execute(db.select(PasswordResetToken)).scalar_one()
    assert row.expires_at - row.created_at == timedelta(minutes=30)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 404
    assert "无效、已使用或已过期" in client.get(link).get_data(as_text=True)


def test_each_role_lands_on_its_first_page(client, make, captcha_answer):
    expert = make.expert(username="expert01")
    assert login(client, "expert01", role="expert").headers["HX-Redirect"] == "/review/"
    client.post("/logout")
    make.secretariat(username="clerk001")
    assert login(client, "clerk001", role="secretariat").headers["HX-Redirect"] == "/admin/"
    client.post("/logout")
    make.secretariat(username="admin", must_change_password=True)
    response = login(client, "admin", role="secretariat", next="/admin/outbox")
    assert response.headers["HX-Redirect"] == "/password"
    assert expert


def test_disabled_account_cannot_log_in(client, make, captcha_answer):
    make.unit(username="disab001")
    with client.application.app_context():
        user = db.session.execute(db.select(User).filter_by(username="disab001")).scalar_one()
        user.is_enabled = False
        db.session.commit()
    assert accounts.GENERIC_ERROR in login(client, "disab001", "badpass1").get_data(as_text=True)
    assert "已被停用" in login(client, "disab001").get_data(as_text=True)


def test_login_page_without_javascript_works_too(client, make, captcha_answer):
    unit = make.unit()
    page = client.get("/login?next=/groups/")
    assert page.status_code == 200 and 'value="/groups/"' in page.get_data(as_text=True)
    data = {"role": "unit", "username": unit.user.username, "password": PASSWORD, "captcha": "QC2024",
            "next": "/groups/"}
    response = client.post("/login", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/groups/"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r/evil.example", "/\\evil.example", "/ /evil.example",
                                    "//evil.example", "https://evil.example"])
def test_next_with_tab_cr_backslash_or_space_is_dropped(client, make, captcha_answer, target):
    make.unit(username="nextuser1")
    for url in ("/login", "/"):
        page = client.get(url, query_string={"next": target}).get_data(as_text=True)
        assert re.search(r'name="next" value=""', page), url
    response = login(client, "nextuser1", next=target)
    assert response.headers["HX-Redirect"] == "/"
