"""Login failures are counted over a sliding 15 minutes: no clock boundary resets them."""
from datetime import datetime, timezone

import pytest

from app.accounts import services as accounts
from app.core import ratelimit
from app.core.extensions import db
from tests.factories import PASSWORD
from tests.conftest import freeze_clock

BOUNDARY = 1_800_000_000 - 1_800_000_000 % accounts.FAILURE_WINDOW  # a multiple of 15 minutes


def fail(app, username, at):
    """One failed login of username at epoch second `at`; True when it locked the name."""
    with app.app_context():
        locked = accounts.record_failure(username, "10.1.1.1", now=at)
        db.session.commit()
        return locked


def is_locked(app, username, at):
    with app.app_context():
        return accounts.locked_until(username, now=at) is not None


def test_eight_failures_across_a_window_boundary_lock_at_the_fifth(app):
    times = [BOUNDARY - 60 + 15 * i for i in range(8)]  # four before the boundary, four after
    locked = [fail(app, "straddle01", at) for at in times]
    assert locked.index(True) == 4
    assert is_locked(app, "straddle01", times[-1])


def test_four_failures_every_fifteen_minutes_lock_at_the_fifth(app):
    times = [BOUNDARY + 225 * i for i in range(12)]  # 4 in each fixed window, forever
    locked = [fail(app, "steady01", at) for at in times]
    assert locked[:4] == [False] * 4 and locked[4] is True


def test_mistakes_spread_out_never_lock(app):
    # one failure every 5 minutes all day: never 5 within 15 minutes
    assert not any(fail(app, "careful01", BOUNDARY + 300 * i) for i in range(100))


def test_a_successful_login_starts_the_count_again(app, make):
    make.unit(username="success01")
    for i in range(4):
        fail(app, "success01", BOUNDARY + i)
    with app.app_context():
        assert accounts.authenticate("unit", "success01", PASSWORD, "10.1.1.1", now=BOUNDARY + 10).user
        db.session.commit()
    assert not any(fail(app, "success01", BOUNDARY + 20 + i) for i in range(4))


def test_the_address_limit_is_sliding_too(app):
    with app.app_context():
        half = accounts.MAX_ADDRESS_FAILURES // 2
        for i in range(accounts.MAX_ADDRESS_FAILURES):
            at = BOUNDARY - half + i  # half just before the boundary, half just after
            accounts.record_failure(f"name{i}", "10.2.2.2", now=at)
        db.session.commit()
        assert accounts.address_blocked("10.2.2.2", now=BOUNDARY + half)
        assert not accounts.address_blocked("10.2.2.2", now=BOUNDARY + half + accounts.FAILURE_WINDOW + 15)


def test_rate_limit_counts_the_last_window_not_the_clock_window(app):
    with app.app_context():
        assert all(ratelimit.hit("k", 3, 600, now=BOUNDARY - 1 - i) for i in range(3))
        assert not ratelimit.hit("k", 3, 600, now=BOUNDARY + 1)
        assert ratelimit.count("k", 600, now=BOUNDARY + 1) == 4
        assert ratelimit.count("k", 600, now=BOUNDARY + 620) == 0
        db.session.rollback()


@pytest.fixture
def clock(monkeypatch):
    """Freeze app.core.clock.utcnow 30 s before a 15-minute boundary; clock.advance(seconds=...)."""
    return freeze_clock(monkeypatch, datetime.fromtimestamp(BOUNDARY - 30, timezone.utc).replace(tzinfo=None))


def test_the_login_form_locks_across_the_boundary(client, make, captcha_answer, clock):
    make.unit(username="formlock01")
    data = {"role": "unit", "username": "formlock01", "password": "wrong-pass", "captcha": captcha_answer}
    messages = []
    for _ in range(5):
        response = client.post("/login", data=data, headers={"HX-Request": "true"})
        messages.append(response.get_data(as_text=True))
        clock.advance(seconds=10)  # the 4th and 5th come after the boundary
    assert accounts.LOCKED_ERROR in messages[-1]
    right = client.post("/login", data={**data, "password": PASSWORD}, headers={"HX-Request": "true"})
    assert right.status_code == 422 and accounts.LOCKED_ERROR in right.get_data(as_text=True)
