"""Secrets at rest: after registering, approving, logging in, inviting, changing and resetting a password,
the database holds no plain password, session token, invitation token, captcha answer, reset token or
license staging key — only hashes."""
import re

import pytest

from app.accounts import captcha as captcha_service
from app.core.extensions import db
from app.invitations import services as invite_service
from app.models import OutboxMail, Unit, User
from tests.security.conftest import png_bytes, text_values

PASSWORD = "Plain-Pass-4711"
NEW_PASSWORD = "Plain-Next-0815"
RESET_PASSWORD = "Plain-Reset-2024"


@pytest.fixture
def captcha_log(app, monkeypatch):
    """Every captcha answer drawn while the test runs (the images are drawn from the answer)."""
    answers = []
    original = captcha_service.ImageCaptcha.generate

    def generate(self, chars, *args, **kwargs):
        answers.append(chars)
        return original(self, chars, *args, **kwargs)

    monkeypatch.setattr(captcha_service.ImageCaptcha, "generate", generate)
    old = app.config.get("CAPTCHA_TEST_ANSWER")
    app.config["CAPTCHA_TEST_ANSWER"] = None
    yield answers
    app.config["CAPTCHA_TEST_ANSWER"] = old


def _captcha_id(text):
    return re.search(r'name="captcha_id" value="([^"]+)"', text).group(1)


def _session_token(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data["_user_id"]


def test_no_secret_is_stored_in_plain_text(app, make, login_as, captcha_log):
    from tests.accounts.conftest import registration_data, staged_key, upload_license

    secrets = {}
    # 注册 with a real captcha (answered in lower case) and a staged license
    applicant = app.test_client()
    captcha_id = _captcha_id(applicant.get("/register/form").text)
    key = staged_key(upload_license(applicant, png_bytes()))
    secrets["license staging key"] = key
    data = registration_data(password=PASSWORD, password2=PASSWORD, license_key=key, captcha_id=captcha_id,
                             captcha=captcha_log[-1].lower())
    response = applicant.post("/register/form", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 204, response.text[:500]
    with app.app_context():
        unit = db.session.execute(db.select(Unit).where(Unit.name == data["name"])).scalar_one()
        unit_id, username = unit.id, unit.user.username
    clerk = login_as(app.test_client(), make.secretariat())
    assert clerk.post(f"/admin/registrations/{unit_id}/approve").status_code == 200

    # 登录 through the form: the cookie's session token
    browser = app.test_client()
    captcha_id = _captcha_id(browser.get("/login").text)
    response = browser.post("/login", data={"role": "unit", "username": username, "password": PASSWORD,
                                            "captcha_id": captcha_id, "captcha": captcha_log[-1]})
    assert response.status_code in (204, 303), response.text[:300]
    secrets["session token"] = _session_token(app, browser)
    from app.core.tokens import hash_token

    now = text_values(app)
    assert hash_token(secrets["session token"]) in {v for _, _, v in now}  # the scan sees the hashed columns
    assert not [(t, c) for t, c, v in now if secrets["session token"] in v]

    # 邀请备案: both link tokens
    response = browser.post("/invite/", data={"enterprise_name": "被邀企业秘", "contact": "李四",
                                              "email": "ent@example.com", "phone": "13800000000"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    with app.app_context():
        invitation = db.session.execute(db.select(invite_service.Invitation)).scalars().one()
        secrets["group link token"] = invite_service.link_token(invitation, "group")
        secrets["team link token"] = invite_service.link_token(invitation, "team")
    assert secrets["group link token"] in browser.get(f"/invite/{invitation.id}/link/group").text

    # 修改密码, then 忘记密码 with its reset link
    response = browser.post("/password", data={"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD})
    assert response.status_code in (204, 303), response.text[:300]
    visitor = app.test_client()
    captcha_id = _captcha_id(visitor.get("/password/forgot").text)
    response = visitor.post("/password/forgot", data={"username": username, "email": data["email"],
                                                      "captcha_id": captcha_id, "captcha": captcha_log[-1]})
    assert response.status_code == 200
    with app.app_context():
        bodies = [m.body for m in db.session.execute(db.select(OutboxMail)).scalars()]
    links = [m for body in bodies for m in re.findall(r"/password/reset/([A-Za-z0-9_\-]+)", body)]
    assert links, "no reset mail"
    secrets["reset token"] = links[-1]
    assert visitor.get(f"/password/reset/{links[-1]}").status_code == 200
    response = visitor.post(f"/password/reset/{links[-1]}", data={"new_password": RESET_PASSWORD,
                                                                   "new_password2": RESET_PASSWORD})
    assert response.status_code in (204, 303)

    # a few unused captcha images as well
    for _ in range(3):
        visitor.get("/captcha")
    assert len(captcha_log) >= 6

    values = text_values(app)
    from app.core.tokens import hash_token

    stored = {v for _, _, v in values}
    assert hash_token(secrets["group link token"]) in stored
    for secret in (PASSWORD, NEW_PASSWORD, RESET_PASSWORD):
        hits = [(t, c) for t, c, v in values if secret in v]
        assert hits == [], f"plain password in {hits}"
    for name, secret in secrets.items():
        # The reset link must reach the user by mail, so the queued mail body carries it (see the report).
        allowed = {"outbox_mail"} if name == "reset token" else set()
        hits = [(t, c) for t, c, v in values if secret in v and t not in allowed]
        assert hits == [], f"plain {name} in {hits}"
    for answer in captcha_log:
        hits = [(t, c) for t, c, v in values
                if v.upper() == answer or f":{answer}" in v.upper() or f"{answer}:" in v.upper()]
        assert hits == [], f"plain captcha answer in {hits}"
    with app.app_context():
        hashes = [u.password_hash for u in db.session.execute(db.select(User)).scalars()]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_used_reset_link_and_captcha_cannot_be_replayed(app, make, captcha_log):
    """The stored hashes are single-use: the reset link and the captcha answer work once."""
    unit = make.unit()
    visitor = app.test_client()
    captcha_id = _captcha_id(visitor.get("/password/forgot").text)
    answer = captcha_log[-1]
    data = {"username": unit.user.username, "email": unit.email, "captcha_id": captcha_id, "captcha": answer}
    assert visitor.post("/password/forgot", data=data).status_code == 200
    replay = visitor.post("/password/forgot", data=data)
    assert replay.status_code == 422
    with app.app_context():
        body = db.session.execute(db.select(OutboxMail)).scalars().one().body
    token = re.search(r"/password/reset/([A-Za-z0-9_\-]+)", body).group(1)
    form = {"new_password": RESET_PASSWORD, "new_password2": RESET_PASSWORD}
    assert visitor.post(f"/password/reset/{token}", data=form).status_code in (204, 303)
    assert visitor.post(f"/password/reset/{token}", data=form).status_code == 404
