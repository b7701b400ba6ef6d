"""Issue 11 item 5: two in-flight submits of one form (same submission key) make one record, and the second
gets that record as a successful save, never "…已存在"; the key counts only for the same unit and the same
invitation link, so a replayed key never reveals another way in's record."""
import re
import threading

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.filings import services
from app.filings.models import RegNoCounter
from app.models import QcGroupFiling
from tests.filings.test_pages import FORM, HX
from tests.invitations.conftest import GROUP_DATA, invite  # noqa: F401  (fixture)

ROUNDS = 3


def _race(app, posts):
    """Send (client, url, data) posts at once from threads; returns the responses in order."""
    barrier = threading.Barrier(len(posts))
    responses, errors = [None] * len(posts), []

    def send(index, client, url, data):
        try:
            barrier.wait()
            responses[index] = client.post(url, data=data, headers=HX)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return responses


def _rows(app):
    with app.app_context():
        return db.session.execute(select(QcGroupFiling.reg_no, QcGroupFiling.group_name)
                                  .order_by(QcGroupFiling.id)).all()


def _logged_in(app, auth, unit, n):
    clients = []
    for _ in range(n):
        client = app.test_client()
        auth.login(client, unit.user)
        clients.append(client)
    return clients


def test_concurrent_submits_of_one_form_all_get_the_saved_record(app, auth, unit, year):
    for round_ in range(ROUNDS):
        clients = _logged_in(app, auth, unit, 4)
        data = dict(FORM, group_name=f"并发QC小组{round_}", submission_key=f"same-form-key-{round_}")
        responses = _race(app, [(client, "/groups/new", data) for client in clients])
        assert [r.status_code for r in responses] == [204] * 4, [r.get_data(as_text=True)[:300]
                                                                 for r in responses]
        assert {r.headers["HX-Redirect"] for r in responses} == {"/groups/"}
        for client in clients:  # each was told 已保存 with the one number
            page = client.get("/groups/").get_data(as_text=True)
            assert f"已保存小组“并发QC小组{round_}”，注册编号 QC-{year}-{round_ + 1:06d}" in page
    # one row per form, and the numbers stay consecutive: the losers gave theirs back
    assert _rows(app) == [(f"QC-{year}-{i + 1:06d}", f"并发QC小组{i}") for i in range(ROUNDS)]


def test_concurrent_submits_through_an_invitation_link(app, client, make, invite, year):  # noqa: F811
    unit = make.unit()
    inv = invite(unit, name="燕山石化")
    page = client.get(inv.path("group")).get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    clients = [app.test_client() for _ in range(4)]
    for other in clients:
        other.get(inv.path("group"))
    url, data = inv.path("group") + "/add", dict(GROUP_DATA, submission_key=key)
    responses = _race(app, [(other, url, data) for other in clients])
    assert [r.status_code for r in responses] == [200] * 4, [r.get_data(as_text=True)[:300]
                                                             for r in responses]
    for response in responses:
        assert f"已添加“{GROUP_DATA['group_name']}”（注册编号 QC-{year}-000001）" in response.get_data(as_text=True)
    assert len(_rows(app)) == 1


def _late_commit(monkeypatch, calls_before_visible):
    """Simulate the other submit committing only after this one's first `calls_before_visible` looks."""
    real = services._earlier_submit
    seen = {"calls": 0}

    def earlier_submit(model, key, unit, invitation):
        seen["calls"] += 1
        found, kept = real(model, key, unit, invitation)
        if seen["calls"] <= calls_before_visible and found is not None:
            return None, kept
        return found, kept

    monkeypatch.setattr(services, "_earlier_submit", earlier_submit)


@pytest.mark.parametrize("when", ["before the name check", "before the number"])
def test_the_racing_submit_gets_the_record_whenever_the_other_commits(app, unit_client, year, monkeypatch,
                                                                      when):
    first = unit_client.post("/groups/new", data=dict(FORM, submission_key="k" * 32), headers=HX)
    assert first.status_code == 204
    _late_commit(monkeypatch, 1)
    if when == "before the number":  # the other commit also came after the name check
        monkeypatch.setattr(services, "_check_duplicate", lambda *args, **kwargs: None)
    second = unit_client.post("/groups/new", data=dict(FORM, submission_key="k" * 32), headers=HX)
    assert second.status_code == 204 and second.headers["HX-Redirect"] == "/groups/"
    assert f"注册编号 QC-{year}-000001" in unit_client.get("/groups/").get_data(as_text=True)
    assert _rows(app) == [(f"QC-{year}-000001", FORM["group_name"])]
    with app.app_context():  # no number lost
        assert db.session.scalar(select(RegNoCounter.last_value).where(RegNoCounter.kind == "QC")) == 1


def test_a_different_key_still_gets_the_duplicate_message(app, unit_client):
    first = unit_client.post("/groups/new", data=dict(FORM, submission_key="a" * 32), headers=HX)
    assert first.status_code == 204
    again = unit_client.post("/groups/new", data=dict(FORM, submission_key="b" * 32), headers=HX)
    assert again.status_code == 422 and "已存在" in again.get_data(as_text=True)


def test_a_key_replayed_through_another_way_in_never_returns_that_record(app, client, auth, unit, make,
                                                                         invite, year):  # noqa: F811
    """The unit's own form key replayed on its invitation link, and one link's key on another link of the same
    unit, make a new record (or the duplicate message), never hand out the first one."""
    auth.login(client, unit.user)
    own = client.post("/groups/new", data=dict(FORM, enterprise_name="燕山石化", submission_key="u" * 32),
                      headers=HX)
    assert own.status_code == 204
    first, second = invite(unit, name="燕山石化"), invite(unit, name="镇海炼化")
    anonymous = app.test_client()
    replay = anonymous.post(first.path("group") + "/add",
                            data=dict(GROUP_DATA, group_name=FORM["group_name"], submission_key="u" * 32),
                            headers=HX)
    assert replay.status_code == 422 and "已存在" in replay.get_data(as_text=True)  # not the unit's record
    linked = anonymous.post(first.path("group") + "/add", data=dict(GROUP_DATA, submission_key="l" * 32),
                            headers=HX)
    assert linked.status_code == 200
    other_link = anonymous.post(second.path("group") + "/add", data=dict(GROUP_DATA, submission_key="l" * 32),
                                headers=HX)
    assert other_link.status_code == 200
    assert f"已添加“{GROUP_DATA['group_name']}”（注册编号 QC-{year}-000003）" in other_link.get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(select(QcGroupFiling.enterprise_name, QcGroupFiling.invitation_id,
                                         QcGroupFiling.submission_key).order_by(QcGroupFiling.id)).all()
        assert [(r.enterprise_name, r.invitation_id) for r in rows] == [
            ("燕山石化", None), ("燕山石化", first.id), ("镇海炼化", second.id)]
        assert rows[2].submission_key is None  # the other link's key was not stored
        assert db.session.scalar(select(func.count()).select_from(QcGroupFiling)) == 3
