"""Scoped access: unit B using unit A's ids gets 404 (never 200 or 403) and A's objects stay as they were.

Every unit-facing rule that takes an object id is listed; a coverage test fails when a new one appears.
"""
import pytest

from tests.security.conftest import RULES, build_world, diff, snapshot
from tests.security.test_csrf import body_for

ID_ARGS = {"filing_id", "invitation_id", "file_id", "declaration_id", "expert_id", "proof_id", "objection_id"}


def _cases():
    cases = []
    for endpoint, rule, methods, arguments in RULES:
        # the secretariat's (admin.*) and the experts' (review.*) routes refuse a unit by role first; their own
        # scoping is attacked in tests/secretariat and tests/review (another expert's declaration is a 404)
        if endpoint.startswith(("admin.", "review.")) or not ID_ARGS & set(arguments):
            continue
        for method in sorted(methods):
            cases.append((endpoint, method, arguments, f"{method} {rule}"))
    return cases


CASES = _cases()


def test_every_unit_route_with_an_object_id_is_attacked():
    attacked = {case[0] for case in CASES}
    assert attacked >= {"groups.edit", "groups.delete", "teams.edit", "teams.delete", "invite.show_link",
                        "invite.mail_link", "invite.regenerate_link", "invite.delete",
                        "invite.delete_filings",
                        "auth.license_file", "declarations.show", "declarations.edit", "declarations.submit",
                        "declarations.withdraw", "declarations.delete", "declarations.upload_file",
                        "declarations.file", "declarations.delete_file", "declarations.new",
                        "declarations.print_declaration", "declarations.report_template",
                        "declarations.recommendation_edit", "declarations.recommendation_delete",
                        "declarations.recommendation_proof", "results.objection"}
    assert len(CASES) >= 14


@pytest.mark.parametrize("htmx", [False, True])
def test_another_units_id_is_404_and_changes_nothing(app, make, login_as, htmx):
    failures = []
    world = build_world(app, make)  # refused requests change nothing: one world serves every case
    client = login_as(app.test_client(), world.b.user)
    for endpoint, method, arguments, name in CASES:
        before = snapshot(app)
        url = world.url(app, endpoint, arguments, victim="a")
        data = body_for(endpoint, world) if method == "POST" else None
        response = client.open(url, method=method, data=data, headers={"HX-Request": "true"} if htmx else {})
        changed = diff(before, snapshot(app))
        leaked = world.a.name in response.text or "被邀企业A" in response.text
        if response.status_code != 404 or changed or leaked:
            failures.append((name, response.status_code, changed, leaked))
            world = build_world(app, make)
            client = login_as(app.test_client(), world.b.user)
    assert failures == [], failures


def test_control_the_owner_reaches_it(app, make, login_as):
    """Control: unit B reaches its own objects the same way (the 404 above is the scoping's)."""
    failures = []
    for endpoint, method, arguments, name in CASES:
        world = build_world(app, make)
        client = login_as(app.test_client(), world.b.user)
        url = world.url(app, endpoint, arguments, victim="b")
        data = body_for(endpoint, world) if method == "POST" else None
        response = client.open(url, method=method, data=data, headers={"HX-Request": "true"})
        if response.status_code not in ((200, 204) if method == "POST" else (200,)):
            failures.append((name, response.status_code, response.text[:300]))
    assert failures == [], failures


@pytest.mark.parametrize("path", ["/groups/?invitation={inv}", "/teams/?invitation={inv}"])
def test_filing_list_filtered_by_another_units_invitation_is_404(app, client, make, login_as, path):
    world = build_world(app, make)
    login_as(client, world.b.user)
    response = client.get(path.format(inv=world.inv_a))
    assert response.status_code == 404
    assert "被邀企业A" not in response.text


def test_live_counts_ignore_another_units_invitation_ids(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.b.user)
    response = client.get(f"/invite/counts?ids={world.inv_a},{world.inv_b}")
    assert response.status_code == 200
    assert f"inv-{world.inv_a}" not in response.text and f"\"{world.inv_a}\"" not in response.text
    own = client.get(f"/invite/counts?ids={world.inv_b}")
    assert response.text == own.text


def test_groups_route_does_not_reach_a_team_with_the_same_number(app, client, make, login_as):
    """A team id on a group route is not a group (ids of the two tables are separate)."""
    world = build_world(app, make)
    login_as(client, world.b.user)
    response = client.get(f"/groups/{world.team_a}/edit")
    assert response.status_code == 404 or world.team_a == world.group_b


def test_edit_ignores_ownership_fields_in_the_form(app, client, make, login_as):
    """Extra form fields (unit_id, invitation_id, year, reg_no) cannot move a record to another unit."""
    from app.core.extensions import db
    from app.models import QcGroupFiling
    from tests.security.test_csrf import GROUP_FORM

    world = build_world(app, make)
    login_as(client, world.b.user)
    with app.app_context():
        before = db.session.get(QcGroupFiling, world.group_b)
        reg_no, invitation_id = before.reg_no, before.invitation_id
    data = dict(GROUP_FORM, enterprise_name="被邀企业B", unit_id=str(world.a.id), invitation_id=str(world.inv_a),
                year="2001", reg_no="QC-2001-000001", source="import")
    response = client.post(f"/groups/{world.group_b}/edit", data=data, headers={"HX-Request": "true"})
    assert response.status_code in (200, 204, 303)
    with app.app_context():
        row = db.session.get(QcGroupFiling, world.group_b)
        assert (row.unit_id, row.invitation_id, row.year, row.reg_no) == (world.b.id, invitation_id,
                                                                            world.year, reg_no)
        assert row.group_name == GROUP_FORM["group_name"]


def test_link_token_reaches_only_its_own_invitations_records(app, client, make):
    world = build_world(app, make)
    page_a = client.get(f"/invite/g/{world.group_token_a}")
    page_b = client.get(f"/invite/g/{world.group_token_b}")
    assert page_a.status_code == page_b.status_code == 200
    assert "被邀企业A" in page_a.text and "被邀企业B" not in page_a.text
    assert "被邀企业B" in page_b.text and "被邀企业A" not in page_b.text


def test_group_token_does_not_open_the_team_link(app, client, make):
    world = build_world(app, make)
    assert client.get(f"/invite/t/{world.group_token_a}").status_code == 404
    assert client.get(f"/invite/g/{world.team_token_a}").status_code == 404
    before = snapshot(app)
    response = client.post(f"/invite/t/{world.group_token_a}/add", data={"team_name": "x"})
    assert response.status_code == 404
    changed = diff(before, snapshot(app))
    assert set(changed) <= {"rate_limit_bucket"}


def test_unpublished_notice_attachment_is_404_for_the_public(app, client, make, login_as):
    world = build_world(app, make)
    assert client.get(f"/notices/attachments/{world.attachment}").status_code == 200
    assert client.get(f"/notices/attachments/{world.draft_attachment}").status_code == 404
    login_as(client, world.a.user)
    assert client.get(f"/notices/attachments/{world.draft_attachment}").status_code == 404
