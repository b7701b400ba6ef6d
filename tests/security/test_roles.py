"""Role checks beyond tests/secretariat/test_permissions.py (which covers admin.* for anonymous, units, experts):
admin.* for pending and rejected units, review.* for other roles, unit pages for the secretariat, experts,
pending, rejected and disabled accounts, and anonymous htmx requests to every login-protected page."""
import pytest

from app.core.extensions import db
from app.models import User
from tests.security.conftest import EXPERT, RULES, UNIT, build_world, diff, role_for, snapshot
from tests.security.test_csrf import body_for


def _cases(predicate):
    return [(endpoint, method, arguments, f"{method} {rule}")
            for endpoint, rule, methods, arguments in RULES if predicate(endpoint)
            for method in sorted(methods)]


ADMIN = _cases(lambda e: e.startswith("admin."))
REVIEW = _cases(lambda e: e.startswith("review."))
UNIT_PAGES = _cases(lambda e: role_for(e) == UNIT and e not in ("auth.logout", "auth.change_password",
                                                                 "auth.license_file", "auth.profile"))
LOGIN_REQUIRED = _cases(lambda e: role_for(e) in (UNIT, EXPERT) and e != "auth.license_file")


def test_unit_pages_list_is_complete():
    endpoints = {case[0] for case in UNIT_PAGES}
    assert {"groups.index", "groups.new", "teams.import_file", "invite.index", "invite.counts",
            "groups.export"} <= endpoints


def _refusals(app, make, login_as, cases, who, expect=403, text="没有权限"):
    """Send every case as `who` (a fresh world each); return the cases not refused as expected."""
    failures = []
    world = build_world(app, make)  # refused requests change nothing: one world serves every case
    for endpoint, method, arguments, name in cases:
        user = getattr(world, who)
        client = login_as(app.test_client(), getattr(user, "user", user))
        before = snapshot(app)
        response = client.open(world.url(app, endpoint, arguments), method=method,
                               data=body_for(endpoint, world) if method == "POST" else None)
        changed = diff(before, snapshot(app))
        if response.status_code != expect or text not in response.text or changed:
            failures.append((name, response.status_code, changed))
            world = build_world(app, make)
    return failures


@pytest.mark.parametrize("who", ["pending", "rejected"])
def test_pending_or_rejected_unit_cannot_reach_admin(app, make, login_as, who):
    assert _refusals(app, make, login_as, ADMIN, who) == []


@pytest.mark.parametrize("who", ["a", "sec", "pending"])
def test_review_refuses_everyone_but_experts(app, make, login_as, who):
    assert REVIEW
    assert _refusals(app, make, login_as, REVIEW, who) == []


@pytest.mark.parametrize("who", ["sec", "expert", "pending", "rejected"])
def test_unit_pages_refuse_other_roles_and_unapproved_units(app, make, login_as, who):
    assert _refusals(app, make, login_as, UNIT_PAGES, who) == []


@pytest.mark.parametrize("who", ["sec", "expert"])
def test_profile_of_other_roles_leads_to_password_change(app, client, make, login_as, who):
    world = build_world(app, make)
    login_as(client, getattr(world, who))
    response = client.get("/profile")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/password")
    before = snapshot(app)
    response = client.post("/profile", data={"contact": "x"})
    assert response.status_code in (302, 303, 403)
    assert diff(before, snapshot(app)) == {}


@pytest.mark.parametrize("who", ["pending", "rejected"])
def test_unapproved_unit_cannot_change_its_profile(app, client, make, login_as, who):
    world = build_world(app, make)
    unit = getattr(world, who)
    login_as(client, unit.user)
    before = snapshot(app)
    response = client.post("/profile", data=body_for("auth.profile", world))
    assert response.status_code == 403
    assert diff(before, snapshot(app)) == {}


def test_expert_and_unit_cannot_see_licenses_of_others(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.expert)
    assert client.get(f"/files/license/{world.license_a}").status_code == 404
    client2 = app.test_client()
    login_as(client2, world.sec)
    assert client2.get(f"/files/license/{world.license_a}").status_code == 200


def test_disabled_account_session_stops_working(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.a.user)
    assert client.get("/groups/").status_code == 200
    with app.app_context():
        db.session.get(User, world.a.user.id).is_enabled = False
        db.session.commit()
    response = client.get("/groups/")
    assert response.status_code in (302, 303)
    assert "next=" in response.headers["Location"]


def test_disabled_secretariat_session_stops_working(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.sec2)
    assert client.get("/admin/").status_code == 200
    other = app.test_client()
    login_as(other, world.sec)
    assert other.post(f"/admin/accounts/{world.sec2.id}/disable").status_code in (200, 204, 303)
    assert client.get("/admin/").status_code in (302, 303)


def test_anonymous_htmx_request_gets_hx_redirect(app, make):
    """Not a login page pasted into a fragment: 204 with HX-Redirect to the login box."""
    failures = []
    world = build_world(app, make)
    for endpoint, method, arguments, name in LOGIN_REQUIRED:
        response = app.test_client().open(world.url(app, endpoint, arguments), method=method,
                                          headers={"HX-Request": "true"},
                                          data=body_for(endpoint, world) if method == "POST" else None)
        if (response.status_code != 204 or "next=" not in response.headers.get("HX-Redirect", "")
                or response.get_data() != b""):
            failures.append((name, response.status_code, response.text[:200]))
    assert failures == []


def test_anonymous_plain_request_is_sent_to_login_or_refused(app, make):
    failures = []
    world = build_world(app, make)
    for endpoint, method, arguments, name in LOGIN_REQUIRED:
        before = snapshot(app)
        response = app.test_client().open(world.url(app, endpoint, arguments), method=method,
                                          data=body_for(endpoint, world) if method == "POST" else None)
        if method == "GET":
            ok = response.status_code in (302, 303) and "next=" in response.headers.get("Location", "")
        else:
            ok = response.status_code in (302, 303, 403)
        if not ok or diff(before, snapshot(app)):
            failures.append((name, response.status_code))
    assert failures == []


def test_secretariat_opening_the_home_page_goes_to_its_workspace(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.sec)
    response = client.get("/")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/admin/")
