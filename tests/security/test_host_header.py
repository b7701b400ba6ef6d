"""Host header poisoning: links in emails never point at a host taken from an attacker's request."""
import re

import pytest

from app.core.extensions import db
from app.models import OutboxMail


def _forged_host_post(app, path, data, host="evil.example"):
    """POST with a forged Host header, carrying a session cookie and CSRF token valid for that host
    (the test client only sends cookies to their own domain)."""
    from itsdangerous import URLSafeTimedSerializer

    raw = "raw-csrf-token-for-forged-host"
    client = app.test_client()
    cookie = app.session_interface.get_signing_serializer(app).dumps({"csrf_token": raw})
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie, domain=host)
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    return client.post(f"http://{host}{path}", data=data, headers={"X-CSRFToken": token}, csrf=False)


def _mail_bodies(app):
    with app.app_context():
        return [m.body for m in db.session.execute(db.select(OutboxMail)).scalars()]


def test_reset_link_ignores_a_forged_host_header(app, client, make, captcha_answer):
    unit = make.unit()
    form = {"username": unit.user.username, "email": unit.email, "captcha": captcha_answer}
    response = _forged_host_post(app, "/password/forgot", form)
    assert response.status_code in (200, 400), response.text[:300]  # 400: an untrusted host refused
    bodies = _mail_bodies(app)
    if response.status_code == 200:
        assert "安全令牌" not in response.text
        assert any(re.search(r"/password/reset/", body) for body in bodies)
    assert not [body for body in bodies if "evil.example" in body]


def test_reset_link_uses_base_url_when_configured(app, client, make, captcha_answer):
    """Control: with BASE_URL set the forged host is not used (the fix direction for the bug above)."""
    unit = make.unit()
    old = app.config.get("BASE_URL")
    app.config["BASE_URL"] = "https://qc.example.org"
    try:
        form = {"username": unit.user.username, "email": unit.email, "captcha": captcha_answer}
        response = _forged_host_post(app, "/password/forgot", form)
    finally:
        app.config["BASE_URL"] = old
    assert response.status_code == 200
    bodies = _mail_bodies(app)
    assert any("https://qc.example.org/password/reset/" in body for body in bodies)
    assert not [body for body in bodies if "evil.example" in body]
