"""XSS and template injection: user-controlled text is shown escaped on every page that displays it;
search terms and rejected form input are reflected escaped; exports never contain live formulas."""
import io
import zipfile

import openpyxl
import pytest

from app.core.extensions import db
from app.core.settings import set_open_filing_year
from app.models import (
    AuditLog,
    Invitation,
    Notice,
    OutboxMail,
    QcGroupFiling,
    TeamFiling,
    Unit,
    UnitChangeRequest,
    User,
)
from tests.security.conftest import (
    ANON,
    ESCAPED_SCRIPT,
    EXPERT,
    IMG,
    RAW_MARKERS,
    RULES,
    SCRIPT,
    SECRETARIAT,
    SSTI,
    UNIT,
    build_world,
    role_for,
)

P = "化工" + SCRIPT + IMG + SSTI  # 65 characters: fits every name, title and text column


def assert_escaped(text, where=""):
    for marker in RAW_MARKERS:
        assert marker not in text, f"raw {marker!r} in {where}"
    assert "onerror=alert(1)>" not in text.replace("onerror=alert(1)&gt;", ""), where


def poison(app, world):
    """Put payloads in every user-controlled text of the world."""
    with app.app_context():
        s = db.session
        for who in ("a", "b", "pending", "rejected"):
            unit = s.get(Unit, getattr(world, who).id)
            unit.name = P + who
            unit.contact = IMG
            unit.address = P
            unit.user.display_name = P + who
            if who == "rejected":
                unit.reject_reason = P
        for inv_id in (world.inv_a, world.inv_b):
            inv = s.get(Invitation, inv_id)
            inv.enterprise_name = P + str(inv_id)
            inv.contact = IMG
            inv.phone = IMG[:30]
        for group_id in (world.group_a, world.group_b):
            row = s.get(QcGroupFiling, group_id)
            row.group_name, row.topic, row.leader, row.contact = P, P, IMG, IMG
            row.enterprise_name, row.advisor, row.remark = P, IMG, P
        for team_id in (world.team_a, world.team_b):
            row = s.get(TeamFiling, team_id)
            row.team_name, row.department, row.leader, row.contact = P, P, IMG, IMG
            row.enterprise_name, row.intro, row.remark = P, P, P
        s.get(UnitChangeRequest, world.change_request_a).new_name = P
        notice = s.get(Notice, world.notice)
        notice.title, notice.body = P, P + "\n第二行" + SCRIPT
        for user_id in (world.sec2.id, world.expert.id):
            s.get(User, user_id).display_name = P
        s.add(AuditLog(action="test", actor_name=P, summary=P,
                       detail='{"x": "%s"}' % SCRIPT.replace('"', "")))
        s.get(OutboxMail, world.mail).subject = P
        s.get(OutboxMail, world.mail).last_error = P
        set_open_filing_year(world.year, theme=P)
        s.commit()


def _get_rules(role):
    skip = ("static", "auth.captcha_image", "main.favicon", "main.healthz")
    for endpoint, rule, methods, arguments in RULES:
        if "GET" in methods and role_for(endpoint) == role and endpoint not in skip:
            yield endpoint, arguments


WALK_ROLES = {ANON: None, UNIT: "a", SECRETARIAT: "sec", EXPERT: "expert"}


@pytest.mark.parametrize("role", list(WALK_ROLES))
def test_stored_payloads_are_escaped_on_every_page(app, client, make, login_as, role):
    world = build_world(app, make)
    poison(app, world)
    who = WALK_ROLES[role]
    if who:
        user = getattr(world, who)
        login_as(client, getattr(user, "user", user))
    urls = ["/"]
    for endpoint, arguments in _get_rules(role):
        urls.append(world.url(app, endpoint, arguments))
    if role == SECRETARIAT:  # the secretariat also opens each registration and unit
        urls += [f"/admin/registrations/{getattr(world, w).id}" for w in ("a", "pending", "rejected")]
        urls += [f"/admin/registrations?status={s}" for s in ("pending", "approved", "rejected")]
        urls += [f"/admin/units/{world.a.id}", f"/admin/notices/{world.notice}"]
    if role == UNIT:
        urls += [f"/invite/{world.inv_a}/link/team", f"/invite/{world.inv_a}/filings/team/delete",
                 f"/groups/?invitation={world.inv_a}", f"/teams/{world.team_a}/edit", "/teams/summary",
                 "/groups/summary", f"/invite/counts?ids={world.inv_a}"]
    if role == ANON:
        urls += [f"/invite/t/{world.team_token_a}", f"/invite/t/{world.team_token_a}/list"]
    shown = 0
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            if response.mimetype == "text/html":
                assert_escaped(response.text, f"{url} {headers}")
                shown += ESCAPED_SCRIPT in response.text
    assert shown >= {ANON: 3, UNIT: 10, SECRETARIAT: 10, EXPERT: 0}[role]


def test_the_payload_is_shown_literally_not_evaluated(app, client, make, login_as):
    """{{7*7}} is displayed as typed (no server-side template evaluation of user data)."""
    world = build_world(app, make)
    poison(app, world)
    login_as(client, world.a.user)
    text = client.get("/groups/").text
    assert SSTI in text and ESCAPED_SCRIPT in text
    assert client.get("/").text.count(SSTI) >= 1  # the year's theme on the welcome page


QUERY_PARAMS = ["q", "enterprise", "status", "province", "industry", "page", "year", "next", "ids", "unit",
                "kind", "action"]


@pytest.mark.parametrize("role", [ANON, UNIT, SECRETARIAT])
def test_query_parameters_are_reflected_escaped(app, client, make, login_as, role):
    world = build_world(app, make)
    who = WALK_ROLES[role]
    if who:
        user = getattr(world, who)
        login_as(client, getattr(user, "user", user))
    for endpoint, arguments in _get_rules(role):
        url = world.url(app, endpoint, arguments, **{param: P for param in QUERY_PARAMS})
        response = client.get(url, headers={"HX-Request": "true"} if "counts" in endpoint else {})
        assert response.status_code < 500, url
        if response.mimetype == "text/html":
            assert_escaped(response.text, url)
        for param in QUERY_PARAMS[:3]:  # one at a time too: a lone bad value takes other code paths
            response = client.get(world.url(app, endpoint, arguments, **{param: P}))
            assert response.status_code < 500, (url, param)
            if response.mimetype == "text/html":
                assert_escaped(response.text, f"{url} {param}")


def test_login_page_next_and_form_input_reflected_escaped(app, client, make):
    response = client.get("/login?next=/groups/" + IMG)
    assert_escaped(response.text, "login next")
    response = client.get("/?next=" + IMG)
    assert_escaped(response.text, "home next")
    response = client.post("/login", data={"role": "unit", "username": P, "password": "x", "captcha": "x",
                                           "next": "/x" + IMG})
    assert response.status_code == 422
    assert_escaped(response.text, "login post")


def test_registration_form_reflects_payloads_escaped_and_the_secretariat_sees_them_escaped(
        app, client, make, login_as, captcha_answer):
    from tests.accounts.conftest import registration_data, staged_key, upload_license
    from tests.security.conftest import png_bytes

    key = staged_key(upload_license(client, png_bytes(), filename=IMG + ".png"))
    data = registration_data(name=P, contact=IMG, address=P, license_key=key, captcha=captcha_answer)
    bad = dict(data, email="not-an-email" + SCRIPT, postcode=SCRIPT[:6], username=SCRIPT[:16])
    response = client.post("/register/form", data=bad, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "registration 422")
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    registered = response.status_code in (204, 303)
    assert_escaped(response.text, "registration")
    sec = make.secretariat()
    admin = app.test_client()
    login_as(admin, sec)
    with app.app_context():
        unit = db.session.execute(db.select(Unit).order_by(Unit.id.desc())).scalars().first()
    for url in ("/admin/registrations", f"/admin/registrations/{unit.id}" if unit else "/admin/registrations",
                "/admin/units", "/admin/audit", "/admin/"):
        response = admin.get(url)
        assert response.status_code == 200
        assert_escaped(response.text, url)
    if registered:
        assert ESCAPED_SCRIPT in admin.get(f"/admin/registrations/{unit.id}").text


@pytest.mark.parametrize("kind", ["group", "team"])
def test_filing_form_and_invitation_input_reflected_escaped(app, client, make, login_as, kind):
    world = build_world(app, make)
    login_as(client, world.a.user)
    bp = "groups" if kind == "group" else "teams"
    name = "group_name" if kind == "group" else "team_name"
    response = client.post(f"/{bp}/new", data={name: P, "enterprise_name": P, "leader": IMG,
                                               "member_count": P,
                                               "mobile": SCRIPT, "founded_on": IMG},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "filing 422")
    assert ESCAPED_SCRIPT in response.text
    response = client.post("/invite/", data={"enterprise_name": P, "contact": IMG, "email": SCRIPT,
                                             "phone": IMG},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "invite 422")
    token = world.group_token_a if kind == "group" else world.team_token_a
    response = client.post(f"/invite/{kind[0]}/{token}/add",
                           data={name: P, "leader": IMG, "member_count": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "link add 422")


def test_valid_filings_with_payloads_are_saved_and_listed_escaped(app, client, make, login_as):
    from tests.security.test_csrf import GROUP_FORM

    world = build_world(app, make)
    login_as(client, world.a.user)
    response = client.post("/groups/new", data=dict(GROUP_FORM, group_name=P, topic=P, enterprise_name=P,
                                                    remark=P), headers={"HX-Request": "true"})
    assert response.status_code == 204, response.text[:500]
    response = client.post("/invite/", data={"enterprise_name": P, "contact": "李四", "email": "x@example.com",
                                             "phone": "13800000000"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_escaped(response.text, "invite added")
    for url in ("/groups/", "/groups/summary", "/invite/"):
        text = client.get(url).text
        assert_escaped(text, url)
        assert ESCAPED_SCRIPT in text, url


def test_imported_payloads_are_listed_escaped(app, client, make, login_as):
    from tests.filings.conftest import GROUP_ROW, upload, xlsx_bytes

    world = build_world(app, make)
    login_as(client, world.a.user)
    rows = [dict(GROUP_ROW, 小组名称=P, 课题名称=P, 企业名称=P, 备注=P),
            dict(GROUP_ROW, 小组名称="第二组", 课题名称=IMG, 企业名称=P)]
    response = upload(client, "/groups/import", xlsx_bytes("group", rows))
    assert_escaped(response.text, "import result")
    assert response.status_code == 200, response.text[:800]
    text = client.get("/groups/").text
    assert_escaped(text, "list after import")
    assert ESCAPED_SCRIPT in text
    bad = upload(client, "/groups/import", xlsx_bytes("group", [dict(GROUP_ROW, 小组名称=P, 小组人数=SCRIPT)]))
    assert bad.status_code == 422
    assert_escaped(bad.text, "import errors")
    link = upload(client, f"/invite/g/{world.group_token_a}/import",
                  xlsx_bytes("group", [dict(GROUP_ROW, 小组名称=P, 小组人数=IMG)]))
    assert link.status_code == 422
    assert_escaped(link.text, "link import errors")


def test_secretariat_forms_reflect_escaped(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.sec)
    long_title = P * 4
    response = client.post("/admin/notices/new", data={"title": long_title, "body": P},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "notice 422")
    response = client.post("/admin/settings", data={"year": P, "theme": P, "filing_deadline": IMG},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "settings 422")
    response = client.post("/admin/accounts", data={"username": P, "display_name": P, "email": IMG},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "accounts 422")
    response = client.post(f"/admin/registrations/{world.pending.id}/reject", data={"reason": P},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_escaped(response.text, "reject")
    assert_escaped(client.get(f"/admin/registrations/{world.pending.id}").text, "detail after reject")


# ---- exports: no live formulas ------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)",
            "=1+1"]


def _sheet_xml(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist()
                       if name.startswith("xl/worksheets/"))


def _assert_no_formulas(data):
    assert "<f>" not in _sheet_xml(data) and "<f " not in _sheet_xml(data)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value in FORMULAS:
                    seen.add(cell.value)
                    assert cell.quotePrefix, (cell.coordinate, cell.value)
    return seen


def _formula_filings(app, make, world):
    for i, text in enumerate(FORMULAS):
        make.group(world.a, year=world.year, group_name=text, topic=text, remark=text,
                   enterprise_name=text if i else world.a.name)
        make.team(world.a, year=world.year, team_name=f"{text}班", department=text, intro=text)


def test_unit_exports_write_formula_like_text_as_text(app, client, make, login_as):
    world = build_world(app, make)
    _formula_filings(app, make, world)
    login_as(client, world.a.user)
    for url in ("/groups/summary.xlsx", "/teams/summary.xlsx"):
        response = client.get(url)
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        seen = _assert_no_formulas(response.data)
        assert len(seen) >= 4, (url, seen)


def test_secretariat_export_writes_formula_like_text_as_text(app, client, make, login_as):
    world = build_world(app, make, a={"name": "=HYPERLINK(\"http://evil.example\")"})
    _formula_filings(app, make, world)
    login_as(client, world.sec)
    for query in ("", "?kind=group", "?kind=team"):
        response = client.get("/admin/filings/export" + query)
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        seen = _assert_no_formulas(response.data)
        assert len(seen) >= 3, (query, seen)


def test_imported_formula_text_is_stored_as_text_and_exported_safely(app, client, make, login_as):
    from tests.filings.conftest import GROUP_ROW, upload, xlsx_bytes

    world = build_world(app, make)
    login_as(client, world.a.user)
    texts = [t for t in FORMULAS if not t.startswith("=")]  # openpyxl would write "=..." as a formula
    rows = [dict(GROUP_ROW, 小组名称=f"组{i}", 课题名称=text, 备注=text) for i, text in enumerate(texts)]
    response = upload(client, "/groups/import", xlsx_bytes("group", rows))
    assert response.status_code == 200, response.text[:500]
    export = client.get("/groups/summary.xlsx")
    assert _assert_no_formulas(export.data) == set(texts)


def test_profile_form_reflects_and_shows_payloads_escaped(app, client, make, login_as):
    world = build_world(app, make)  # unit B: A already has a pending change request
    login_as(client, world.b.user)
    form = {"name": world.b.name, "credit_code": world.b.credit_code, "contact": IMG, "mobile": "13912345678",
            "address": P, "postcode": SCRIPT[:6], "province_code": "11", "industry_code": "26",
            "email": "x@example.com" + IMG}
    response = client.post("/profile", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert_escaped(response.text, "profile 422")
    assert "onerror=alert(1)&gt;" in response.text  # what was typed is kept, escaped
    response = client.post("/profile", data=dict(form, postcode="100723", email="x@example.com",
                                                 name=P + "新"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "资料已保存" in response.text, response.text[:300]
    assert_escaped(response.text, "profile saved")
    assert_escaped(client.get("/profile").text, "profile")
    admin = login_as(app.test_client(), world.sec)
    for url in ("/admin/registrations", f"/admin/registrations/{world.b.id}", f"/admin/units/{world.b.id}",
                "/admin/audit"):
        text = admin.get(url).text
        assert_escaped(text, url)
    assert ESCAPED_SCRIPT in admin.get(f"/admin/registrations/{world.b.id}").text
