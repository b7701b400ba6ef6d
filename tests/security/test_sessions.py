"""Sessions and limits: login replaces a planted session, and spoofed X-Forwarded-For headers do not
reset the per-address limits."""
from app.core.extensions import db
from app.models import UserSession


def test_login_replaces_a_planted_session(app, client, make, captcha_answer):
    """Session fixation: whatever the attacker planted in the cookie before login is gone after it."""
    user = make.unit()
    with client.session_transaction() as session:
        session["_user_id"] = "attacker-chosen-token"
        session["csrf_token"] = "attacker-chosen-csrf"
        session["planted"] = "yes"
    response = client.post("/login", data={"role": "unit", "username": user.user.username,
                                           "password": "secret123", "captcha": captcha_answer})
    assert response.status_code in (204, 303)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "attacker-chosen-csrf"
        assert session["_user_id"] != "attacker-chosen-token"
        token = session["_user_id"]
    from app.core.tokens import hash_token

    with app.app_context():
        assert db.session.execute(db.select(UserSession).where(
            UserSession.token_hash == hash_token(token))).scalar_one().user_id == user.user.id


def test_link_guessing_limit_ignores_x_forwarded_for(app, client):
    """Unknown invitation tokens are limited per address; a forged X-Forwarded-For does not reset it."""
    statuses = [client.get(f"/invite/g/guess{i:040d}", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(40)]
    assert statuses[0] == 404
    assert 429 in statuses
    assert statuses[-1] == 429


def test_logout_post_without_session_does_not_crash(app, client, make, login_as):
    user = make.unit()
    login_as(client, user.user)
    assert client.post("/logout").status_code in (204, 303)
    assert client.post("/logout").status_code in (302, 303, 403)
    assert client.get("/groups/").status_code in (302, 303)
