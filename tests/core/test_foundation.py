"""The foundation: home page, security headers, CSRF, error pages, CLI."""
import io

import pytest

from app.accounts.passwords import verify_password
from app.commands import ensure_admin
from app.core.extensions import db
from app.models import User

PAGES = ["/", "/register", "/no-such-page"]


def test_home_page_has_chinese_title_and_login_link(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "石油和化工行业质量管理小组活动成果和质量信得过班组建设活动成果网上申报与评审系统" in html
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert ">注册</a>" in html
    assert "qccpcif@126.com" in html  # footer from configuration


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_post_without_csrf_token_is_refused(client, make, auth):
    user = make.secretariat()
    auth.login(client, user)
    response = client.post("/logout", csrf=False)
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # still logged in


def test_post_with_csrf_header_is_accepted(client, make, auth):
    user = make.secretariat()
    auth.login(client, user)
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"


def test_logout_ends_the_server_side_session(client, make, auth, app):
    user = make.secretariat()
    auth.login(client, user)
    with client.session_transaction() as session:
        old_cookie = dict(session)
    client.post("/logout")
    with client.session_transaction() as session:
        session.update(old_cookie)  # replay the old cookie
    response = client.get("/admin/")
    assert response.status_code in (302, 303) and "/?next=" in response.headers["Location"]


def test_404_page_is_chinese_full_page_and_htmx_fragment(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "<html" in html
    fragment = client.get("/nothing-here", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 404 and "<html" not in text and "error-message" in text


@pytest.fixture
def scratch_app(tmp_path):
    """A separate app instance on which a test may register extra routes."""
    from app import create_app

    return create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 's.sqlite3'}",
                      SECRET_KEY="x", UPLOAD_DIR=str(tmp_path / "up"), WTF_CSRF_ENABLED=False)


def test_413_for_oversized_upload(scratch_app):
    @scratch_app.post("/__upload")
    def upload():
        from flask import request
        return str(len(request.files))

    too_big = b"x" * (scratch_app.config["MAX_CONTENT_LENGTH"] + 1)
    response = scratch_app.test_client().post("/__upload", data={"file": (io.BytesIO(too_big), "big.pdf")},
                                              content_type="multipart/form-data")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_500_shows_no_stack_trace(scratch_app):
    @scratch_app.get("/__boom")
    def boom():
        raise RuntimeError("secret internals")

    response = scratch_app.test_client().get("/__boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统错误" in html and "secret internals" not in html and "Traceback" not in html


def test_session_cookie_flags(client, make, auth):
    user = make.secretariat()
    auth.login(client, user)
    response = client.get("/admin/")
    assert response.status_code == 200
    app = client.application
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_roles_are_enforced(client, make, auth):
    unit = make.unit()
    auth.login(client, unit.user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/groups/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    for label in ["系统首页", "邀请备案", "小组备案", "班组备案", "修改资料", "退出系统"]:
        assert label in page
    assert f"欢迎{unit.name}使用本系统。" in page


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/groups/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/?next=")


def test_ensure_admin_creates_first_secretariat_once(app, ctx):
    app.config["ADMIN_PASSWORD"] = "Adm1nPass!"
    try:
        assert ensure_admin() == ""
        assert ensure_admin() is None
        admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
        assert admin.role == "secretariat" and verify_password(admin.password_hash, "Adm1nPass!")
        assert not admin.must_change_password
    finally:
        app.config["ADMIN_PASSWORD"] = None


def test_ensure_admin_generates_password_file_with_mode_0600(app, ctx, tmp_path):
    original = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        password = ensure_admin()
        path = tmp_path / "admin_password.txt"
        assert path.read_text().strip() == password
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
        assert admin.must_change_password
    finally:
        app.instance_path = original


def test_cli_load_reference(app):
    result = app.test_cli_runner().invoke(args=["load-reference"])
    assert "34 个省份" in result.output and "19 个行业" in result.output


def test_production_requires_secret_key_and_refuses_captcha_test_answer(monkeypatch):
    from app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="sqlite://")
    with pytest.raises(RuntimeError, match="CAPTCHA_TEST_ANSWER"):
        create_app("production", SECRET_KEY="x" * 32, CAPTCHA_TEST_ANSWER="1234",
                   SQLALCHEMY_DATABASE_URI="sqlite://")
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app("production", SECRET_KEY="x" * 32, BASE_URL=None, SQLALCHEMY_DATABASE_URI="sqlite://")
    production = create_app("production", SECRET_KEY="x" * 32, BASE_URL="https://qc.example.org",
                            SQLALCHEMY_DATABASE_URI="sqlite://")
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_postgres_url_is_normalized():
    from config import normalize_database_url

    assert normalize_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize_database_url("sqlite:///x") == "sqlite:///x"
