"""CSRF: every state-changing route refuses a request without a valid token (400) and changes nothing.

The cases come from the url map, so a new POST route is covered automatically; each is sent by the
role that may use it, with a body that would otherwise be accepted (the control test proves it).
"""
import io

import pytest

from tests.security.conftest import RULES, UNSAFE, World, build_world, diff, png_bytes, role_for, snapshot

# Routes that legitimately take no CSRF token. Keep it empty: every unsafe route needs one.
ALLOW_WITHOUT_TOKEN = set()

GROUP_FORM = {"enterprise_name": "被邀企业A", "group_name": "降本增效QC小组甲", "topic": "降低常减压装置能耗",
              "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王五", "member_count": "7",
              "contact": "王五", "mobile": "13912345678"}
STAT_FORM = {"group_total": "3", "team_total": "2", "staff_total": "100", "qc_participants": "20"}
DECLARATION_FORM = {"title": "降低装置能耗", "group_name": "攻关QC小组", "enterprise_name": "被邀企业A",
                    "mobile": "13912345678", "main_contributors": "王五，李四", "economic_benefit": "12.5"}
TEAM_FORM = {"enterprise_name": "被邀企业A", "team_name": "常减压运行甲班", "department": "炼油一部",
             "leader": "赵六", "member_count": "12", "contact": "赵六", "mobile": "13912345678"}


EXPERT_FORM = {"name": "李四", "company_dept": "质量部", "address": "北京市", "postcode": "100723",
               "mobile": "13912345678", "email": "lisi@example.com", "experience": "评审经历", "kinds": "team"}


def body_for(endpoint, world):
    """Form data that the endpoint would accept from its role (so only the token is missing)."""
    bodies = {
        "admin.create_account": {"username": "clerk9", "display_name": "新秘书", "email": "c9@example.com",
                                 "password": "Passw0rd!x", "password_confirm": "Passw0rd!x"},
        "admin.disable_account": {}, "admin.enable_account": {},
        "admin.change_request_decide": {"decision": "approve"},
        "admin.update_notice": {"title": "改过的标题", "body": "新正文", "is_published": "1"},
        "admin.create_notice": {"title": "新通知", "body": "正文", "is_published": "1"},
        "admin.registration_reject": {"reason": "材料不全"},
        "admin.save_year_settings": {"year": str(world.year), "theme": "新主题",
                                     "filing_deadline": f"{world.year - 1}-12-31",
                                     "declaration_start": f"{world.year}-03-25",
                                     "declaration_end": f"{world.year}-04-30",
                                     "earliest_completion": f"{world.year - 1}-05-01"},
        "groups.new": GROUP_FORM, "teams.new": TEAM_FORM,
        "groups.edit": GROUP_FORM, "teams.edit": TEAM_FORM,
        "groups.settings": STAT_FORM, "teams.settings": STAT_FORM,
        "invite.create": {"enterprise_name": "新被邀企业", "contact": "李四", "email": "new@example.com",
                          "phone": "13800000000"},
        "invite.delete": {"filings": "delete"},
        "invite.delete_filings": {"expected": "1"},
        "invite.link_add": GROUP_FORM,
        "auth.login": {"role": "unit", "username": world.a.user.username, "password": "secret123",
                       "captcha": "QC2024", "captcha_id": ""},
        "auth.change_password": {"old_password": "secret123", "new_password": "newpass123",
                                 "new_password2": "newpass123"},
        "auth.reset_password": {"new_password": "newpass123", "new_password2": "newpass123"},
        "auth.forgot_password": {"username": world.a.user.username, "email": world.a.email,
                                 "captcha": "QC2024", "captcha_id": ""},
        "declarations.recommendation_new": EXPERT_FORM, "declarations.recommendation_edit": EXPERT_FORM,
        "auth.profile": {"name": world.a.name, "credit_code": world.a.credit_code, "contact": "新联系人",
                         "mobile": "13912345678", "address": "新地址", "postcode": "100723",
                         "province_code": "11", "industry_code": "26", "email": "new@example.com"},
    }
    data = dict(bodies.get(endpoint, {}))
    if endpoint in ("declarations.new", "declarations.edit"):
        data.update(DECLARATION_FORM)
    if endpoint == "declarations.upload_file":
        from tests.declarations.conftest import docx_bytes

        data["file"] = (io.BytesIO(docx_bytes()), "成果报告书.docx")
    if endpoint in ("auth.upload_license",):
        data["license"] = (io.BytesIO(png_bytes()), "license.png")
    if endpoint == "declarations.recommendation_new":
        data["files"] = (io.BytesIO(png_bytes()), "proof.png")
    if endpoint.endswith("import_file") or endpoint == "invite.link_import":
        from tests.filings.conftest import GROUP_ROW, TEAM_ROW, xlsx_bytes

        kind = "team" if endpoint.startswith("teams.") else "group"
        row = dict(TEAM_ROW if kind == "team" else GROUP_ROW, 企业名称="被邀企业A")
        data["file"] = (io.BytesIO(xlsx_bytes(kind, [row])), "备案.xlsx")
    return data


def _cases():
    cases = []
    for endpoint, rule, methods, arguments in RULES:
        for method in sorted(methods & UNSAFE):
            if endpoint in ALLOW_WITHOUT_TOKEN:
                continue
            cases.append((endpoint, method, arguments, f"{method} {rule}"))
    return cases


CASES = _cases()
AREAS = sorted({case[0].split(".")[0] for case in CASES})


def area_cases(area):
    return [case for case in CASES if case[0].split(".")[0] == area]


def test_the_cases_cover_every_area():
    endpoints = {case[0] for case in CASES}
    assert len(CASES) >= 40
    assert set(AREAS) >= {"admin", "auth", "groups", "teams", "invite"}
    for expected in ("auth.login", "auth.logout", "auth.register_form", "auth.upload_license",
                     "admin.create_notice",
                     "groups.new", "teams.delete", "invite.create", "invite.link_add", "invite.link_import",
                     "invite.delete", "auth.reset_password"):
        assert expected in endpoints


def _send(app, client, world: World, endpoint, method, arguments, csrf, headers=None):
    url = world.url(app, endpoint, arguments)
    data = body_for(endpoint, world)
    multipart = any(isinstance(v, tuple) for v in data.values())
    return client.open(url, method=method, data=data, csrf=csrf, headers=headers or {},
                       content_type="multipart/form-data" if multipart else None)


# Each case gets a fresh world (new units, ids and tokens) in the same database: cheaper than emptying
# the tables for every case, and a case cannot see what another one did.

@pytest.mark.parametrize("area", AREAS)
def test_without_token_is_refused_and_changes_nothing(app, make, login_as, captcha_answer, area):
    failures = []
    world = build_world(app, make)  # refused requests change nothing: one world serves every case
    for endpoint, method, arguments, name in area_cases(area):
        for headers in ({}, {"HX-Request": "true"}):
            client = login_as(app.test_client(), world.user(role_for(endpoint)))
            before = snapshot(app)
            response = _send(app, client, world, endpoint, method, arguments, csrf=False, headers=headers)
            changed = diff(before, snapshot(app))
            html_page = "<html" in response.text.lower()
            if (response.status_code != 400 or "安全令牌" not in response.text or changed
                    or html_page == bool(headers)):
                failures.append((name, headers, response.status_code, changed))
                world = build_world(app, make)
    assert failures == [], failures


@pytest.mark.parametrize("area", AREAS)
def test_control_with_token_is_not_refused(app, make, login_as, captcha_answer, area):
    """Control: the same requests with the token pass the CSRF check (so the 400 above is the token's)."""
    failures = []
    for endpoint, method, arguments, name in area_cases(area):
        world = build_world(app, make)
        client = login_as(app.test_client(), world.user(role_for(endpoint)))
        response = _send(app, client, world, endpoint, method, arguments, csrf=True)
        if response.status_code == 400 or "安全令牌" in response.text:
            failures.append((name, response.status_code, response.text[:300]))
    assert failures == [], failures


def test_token_of_another_session_is_refused(app, make, login_as):
    """A token minted for the attacker's own session does not work in the victim's session."""
    world = build_world(app, make)
    attacker, victim = app.test_client(), app.test_client()
    login_as(attacker, world.b.user)
    login_as(victim, world.a.user)
    token = attacker.csrf_token()
    before = snapshot(app)
    response = victim.post(f"/groups/{world.group_a}/delete", headers={"X-CSRFToken": token}, csrf=False)
    assert response.status_code == 400
    assert diff(before, snapshot(app)) == {}


@pytest.mark.parametrize("token", ["", "x", "null", "undefined"])
def test_junk_tokens_are_refused(app, client, make, login_as, token):
    world = build_world(app, make)
    login_as(client, world.a.user)
    before = snapshot(app)
    response = client.post("/invite/", data={"enterprise_name": "甲", "contact": "李四",
                                             "email": "a@example.com",
                                             "phone": "13800000000", "csrf_token": token},
                           headers={"X-CSRFToken": token}, csrf=False)
    assert response.status_code == 400
    assert diff(before, snapshot(app)) == {}


@pytest.mark.parametrize("endpoint", ["invite.delete", "invite.delete_filings"])
def test_get_on_a_delete_route_deletes_nothing(app, client, make, login_as, endpoint):
    """The delete routes answer GET with a confirmation: a GET (an <img src> elsewhere) deletes nothing."""
    world = build_world(app, make)
    login_as(client, world.a.user)
    arguments = next(r[3] for r in RULES if r[0] == endpoint)
    before = snapshot(app)
    url = world.url(app, endpoint, arguments, filings="delete", expected="1")
    response = client.get(url)
    assert response.status_code == 200
    assert diff(before, snapshot(app)) == {}
