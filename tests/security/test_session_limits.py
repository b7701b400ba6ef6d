"""Sessions end on the server: 2 hours without a request, 12 hours after login, whatever the cookie says."""
from datetime import timedelta

import pytest

from app.accounts import sessions
from app.core.extensions import db
from app.core.tokens import hash_token
from app.models import UserSession
from tests.factories import PASSWORD
from tests.conftest import freeze_clock

EXPIRED = "登录已超时，请重新登录"


@pytest.fixture
def clock(monkeypatch):
    """A frozen utcnow that a test moves forward: clock.advance(hours=1)."""
    return freeze_clock(monkeypatch)


def log_in(client, user, captcha):
    """Log in through the login form (the session row gets the frozen clock's time)."""
    data = {"role": "unit", "username": user.username, "password": PASSWORD, "captcha": captcha,
            "captcha_id": ""}
    response = client.post("/login", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 204, response.get_data(as_text=True)
    with client.session_transaction() as session:
        return session["_user_id"]


def session_row(app, token):
    """The (created_at, last_seen_at) of a session token's row, or None."""
    with app.app_context():
        row = db.session.execute(db.select(UserSession.created_at, UserSession.last_seen_at).where(
            UserSession.token_hash == hash_token(token))).one_or_none()
        db.session.rollback()
        return row


def logged_in(client):
    return client.get("/groups/").status_code == 200


def test_two_hours_without_a_request_end_the_session(app, client, make, captcha_answer, clock):
    unit = make.unit()
    token = log_in(client, unit.user, captcha_answer)
    clock.advance(hours=1, minutes=59)
    assert logged_in(client)
    clock.advance(hours=1, minutes=59)  # idle is counted from the last request, not from login
    assert logged_in(client)
    clock.advance(hours=2, seconds=1)
    response = client.get("/groups/")
    assert response.status_code in (302, 303) and response.headers["Location"].startswith("/?next=")
    assert EXPIRED in client.get("/").get_data(as_text=True)
    assert session_row(app, token) is None  # ended on the server, not only in this browser
    assert not logged_in(client)


def test_twelve_hours_after_login_the_session_ends_however_busy(app, client, make, captcha_answer, clock):
    unit = make.unit()
    token = log_in(client, unit.user, captcha_answer)
    for _ in range(11):
        clock.advance(hours=1)
        assert logged_in(client)
    clock.advance(minutes=59, seconds=59)
    assert logged_in(client)
    clock.advance(seconds=2)
    response = client.get("/groups/", headers={"HX-Request": "true"})
    # an htmx request is sent to the login box with HX-Redirect, not a login page pasted into the fragment
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/?next=/groups/"
    assert EXPIRED in client.get("/").get_data(as_text=True)
    assert session_row(app, token) is None


def test_a_re_signed_or_replayed_cookie_does_not_extend_the_session(app, client, make, captcha_answer, clock):
    unit = make.unit()
    token = log_in(client, unit.user, captcha_answer)
    for _ in range(11):
        clock.advance(hours=1)
        with client.session_transaction() as session:  # the cookie is re-signed (and re-issued) now
            session["_fresh"] = True
            session["_user_id"] = token
        assert logged_in(client)
    clock.advance(hours=1, seconds=1)
    with client.session_transaction() as session:
        session["_user_id"] = token
    assert not logged_in(client)
    # the same token planted again in a freshly signed cookie: still refused
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    assert not logged_in(other)


def test_activity_is_written_at_most_once_a_minute(app, client, make, captcha_answer, clock, count_queries):
    unit = make.unit()
    token = log_in(client, unit.user, captcha_answer)
    first_seen = session_row(app, token).last_seen_at
    with count_queries() as statements:
        for _ in range(5):
            clock.advance(seconds=10)
            assert logged_in(client)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSION")]
    assert session_row(app, token).last_seen_at == first_seen
    clock.advance(seconds=15)
    with count_queries() as statements:
        assert logged_in(client)
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSION")]) == 1
    assert session_row(app, token).last_seen_at == clock.now


def test_a_session_that_expired_can_log_in_again(app, client, make, captcha_answer, clock):
    unit = make.unit()
    log_in(client, unit.user, captcha_answer)
    clock.advance(hours=3)
    assert not logged_in(client)
    log_in(client, unit.user, captcha_answer)
    assert logged_in(client)


def test_purge_deletes_idle_and_old_rows_only(app, make, clock):
    user = make.unit().user
    now = clock.now
    rows = {"fresh": (now - timedelta(hours=11), now - timedelta(minutes=5)),
            "idle": (now - timedelta(hours=3), now - timedelta(hours=2, seconds=1)),
            "old": (now - timedelta(hours=12, seconds=1), now - timedelta(minutes=1))}
    with app.app_context():
        for name, (created, seen) in rows.items():
            db.session.add(UserSession(token_hash=hash_token(name), user_id=user.id, created_at=created,
                                       last_seen_at=seen))
        db.session.commit()
        sessions.purge_expired()
        db.session.commit()
        left = db.session.execute(db.select(UserSession.token_hash)).scalars().all()
    assert left == [hash_token("fresh")]
