"""账号管理: create secretariat accounts, disable them (sessions end), never the last active one."""
from app.accounts.passwords import verify_password
from app.core.extensions import db
from app.models import AuditLog, User

GOOD = {"role": "secretariat", "username": "pan2024", "display_name": "潘蕊", "email": "pan@example.com",
        "password": "abc12345", "password_confirm": "abc12345"}


def test_create_account(app, admin_client):
    response = admin_client.post("/admin/accounts", data=GOOD, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/accounts"
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "pan2024")).scalar_one()
        assert user.role == "secretariat" and user.must_change_password
        assert verify_password(user.password_hash, "abc12345")
        entry = db.session.execute(
            db.select(AuditLog).where(AuditLog.action == "account.create")).scalar_one()
        assert "abc12345" not in (entry.detail or "") and "pan2024" in entry.summary
    assert "pan2024" in admin_client.get("/admin/accounts").text


def test_create_errors_are_shown_beside_the_fields_and_keep_input(admin_client, make):
    make.secretariat(username="taken1")
    data = dict(GOOD, username="taken1", password="abc12345", password_confirm="different")
    response = admin_client.post("/admin/accounts", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "该登录账号已被使用" in response.text and 'value="taken1"' in response.text
    assert "两次输入的密码不一致" in response.text and "abc12345" not in response.text
    response = admin_client.post("/admin/accounts", data=dict(GOOD, username="a!", display_name=""))
    assert "登录账号应为4至16位字母或数字" in response.text and "请填写姓名" in response.text


def test_disable_ends_sessions_of_that_clerk(app, admin_client, auth, make):
    other = make.secretariat(username="other01")
    other_client = app.test_client()
    auth.login(other_client, other)
    assert other_client.get("/admin/").status_code == 200
    admin_client.post(f"/admin/accounts/{other.id}/disable")
    response = other_client.get("/admin/")
    assert response.status_code in (302, 303) and "next=" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(User, other.id).is_enabled is False


def test_last_active_secretariat_cannot_be_disabled(app, admin_client, make):
    other = make.secretariat(username="other02")
    assert admin_client.post(f"/admin/accounts/{other.id}/disable").status_code == 303
    # Now the clerk is the last one; disabling oneself is refused anyway, so use a third account as actor.
    with app.app_context():
        db.session.get(User, other.id).is_enabled = True
        db.session.get(User, admin_client.user.id).is_enabled = False
        db.session.commit()
    # other02 is the only active clerk: nobody can disable it.
    from app.secretariat import accounts as secretariat_accounts
    with app.test_request_context():
        user = db.session.get(User, other.id)
        try:
            secretariat_accounts.set_enabled(user, False, actor=None)
            raise AssertionError("the last active secretariat account was disabled")
        except secretariat_accounts.AccountError as exc:
            assert "最后一个" in str(exc)
        db.session.rollback()


def test_last_active_refused_through_the_page(app, client, auth, make):
    clerk = make.secretariat(username="only01")
    disabled = make.secretariat(username="old001", is_enabled=False)
    auth.login(client, clerk)
    client.post(f"/admin/accounts/{clerk.id}/disable")
    text = client.get("/admin/accounts").text
    assert "不能停用自己" in text
    with app.app_context():
        assert db.session.get(User, clerk.id).is_enabled is True
        assert db.session.get(User, disabled.id).is_enabled is False


def test_accounts_of_other_roles_are_not_managed_here(admin_client, make):
    unit = make.unit()
    assert admin_client.post(f"/admin/accounts/{unit.user.id}/disable").status_code == 404


def test_account_list_query_count_does_not_grow(admin_client, make, count_queries):
    with count_queries() as few:
        admin_client.get("/admin/accounts")
    for i in range(8):
        make.secretariat(username=f"clerk{i:02d}", is_enabled=bool(i % 2))
    with count_queries() as many:
        text = admin_client.get("/admin/accounts").text
    assert "clerk07" in text and text.count("已停用") >= 4
    assert len(many) == len(few)


def test_account_list_pages(admin_client, make, monkeypatch, count_queries):
    from app.secretariat import accounts as secretariat_accounts
    monkeypatch.setattr(secretariat_accounts, "PER_PAGE", 3)
    with count_queries() as few:
        admin_client.get("/admin/accounts")
    for i in range(6):
        make.secretariat(username=f"clerk{i:02d}")
    with count_queries() as many:
        first = admin_client.get("/admin/accounts").text
    assert len(many) == len(few)
    assert "共 7 条，第 1/3 页" in first and "clerk00" in first and "clerk05" not in first
    assert 'href="/admin/accounts?page=2#account-list"' in first
    second = admin_client.get("/admin/accounts?page=2").text
    assert "clerk05" in second and "clerk00" not in second
    assert "第 3/3 页" in admin_client.get("/admin/accounts?page=50").text
