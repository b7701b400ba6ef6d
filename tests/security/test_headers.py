"""Headers and responses: CSP and friends on every page of every role, no-referrer on invitation links,
safe file downloads, no traceback on hostile input, and sane answers to out-of-range ids and NUL bytes."""
import pytest

from tests.security.conftest import (
    ANON,
    EXPERT,
    RULES,
    SECRETARIAT,
    UNIT,
    build_world,
    diff,
    role_for,
    snapshot,
)
from tests.security.test_csrf import body_for

WALK = {ANON: None, UNIT: "a", SECRETARIAT: "sec", EXPERT: "expert"}
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "File \"/", "sqlalchemy.exc", "psycopg",
                     "werkzeug.exceptions", "jinja2.exceptions")
DOWNLOADS = {"groups.template", "teams.template", "groups.export", "teams.export", "admin.export_filings",
             "auth.license_file", "main.notice_attachment", "admin.notice_attachment", "invite.link_template"}


def assert_page_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert "script-src 'self'" in csp or "default-src 'none'" in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where


def assert_no_traceback(response, where):
    data = response.get_data()
    for marker in TRACEBACK_MARKERS:
        assert marker.encode() not in data, f"{marker!r} in {where}"


def _login(client, login_as, world, role):
    who = WALK[role]
    if who:
        user = getattr(world, who)
        login_as(client, getattr(user, "user", user))


def _pages(app, world, role):
    for endpoint, rule, methods, arguments in RULES:
        if "GET" in methods and role_for(endpoint) == role and endpoint not in ("static",):
            yield endpoint, world.url(app, endpoint, arguments)


@pytest.mark.parametrize("role", list(WALK))
def test_every_page_of_every_role_has_the_security_headers(app, client, make, login_as, role):
    world = build_world(app, make)
    _login(client, login_as, world, role)
    seen_html = 0
    for endpoint, url in _pages(app, world, role):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            assert_no_traceback(response, url)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", url
            if response.mimetype == "text/html":
                seen_html += 1
                assert_page_headers(response, f"{url} {headers}")
            if endpoint in DOWNLOADS and response.status_code == 200:
                assert response.headers.get("Content-Disposition"), url
    assert seen_html >= {ANON: 10, UNIT: 10, SECRETARIAT: 20, EXPERT: 2}[role]


@pytest.mark.parametrize("status_path", ["/no-such-page", "/groups/999999/edit", "/admin/"])
def test_error_pages_carry_the_headers_too(app, client, make, login_as, status_path):
    world = build_world(app, make)
    login_as(client, world.a.user)
    response = client.get(status_path)
    assert response.status_code in (403, 404)
    assert_page_headers(response, status_path)
    assert_no_traceback(response, status_path)


def test_invitation_link_pages_send_no_referrer_in_every_state(app, client, make, close_filing_year):
    world = build_world(app, make)
    token = world.group_token_a
    responses = [client.get(f"/invite/g/{token}"), client.get(f"/invite/g/{token}/list"),
                 client.get(f"/invite/g/{token}/template"),
                 client.get(f"/invite/g/{token}?page=2", headers={"HX-Request": "true"}),
                 client.post(f"/invite/g/{token}/add", data={"group_name": ""},
                             headers={"HX-Request": "true"}),
                 client.post(f"/invite/g/{token}/import", data={}, headers={"HX-Request": "true"}),
                 client.get("/invite/g/unknown-token-0000000000000000000000000"),
                 client.post("/invite/g/unknown-token-0000000000000000000000000/add", data={}),
                 client.post(f"/invite/g/{token}/add", data={}, csrf=False)]
    close_filing_year()
    responses += [client.get(f"/invite/g/{token}"), client.post(f"/invite/g/{token}/add", data={})]
    statuses = {r.status_code for r in responses}
    assert {200, 404, 422, 400, 403} <= statuses
    for response in responses:
        assert response.headers.get("Referrer-Policy") == "no-referrer", response.status_code
        assert_page_headers(response, f"link {response.status_code}")


@pytest.fixture
def close_filing_year(app):
    from datetime import date

    from app.core.extensions import db
    from app.core.settings import filing_period, set_open_filing_year

    def close():
        with app.app_context():
            set_open_filing_year(filing_period().year, deadline=date(2000, 1, 1))
            db.session.commit()

    return close


def test_downloads_are_attachments_with_nosniff(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.a.user)
    cases = ["/groups/template.xlsx", "/teams/template.xlsx", "/groups/summary.xlsx", "/teams/summary.xlsx",
             f"/files/license/{world.license_a}?download=1", f"/notices/attachments/{world.attachment}"]
    for url in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
    inline = client.get(f"/files/license/{world.license_a}")
    assert inline.mimetype == "image/png"
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" in inline.headers
    assert "sandbox" in inline.headers["Content-Security-Policy"]
    admin = app.test_client()
    login_as(admin, world.sec)
    for url in ("/admin/filings/export", f"/admin/notices/attachments/{world.attachment}",
                f"/admin/notices/attachments/{world.draft_attachment}"):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url


def test_a_notice_attachment_named_like_html_is_not_rendered_by_the_browser(app, client, make, login_as):
    """An .html or .svg attachment must download, never render inline on our origin."""
    import io

    world = build_world(app, make)
    login_as(client, world.sec)
    response = client.post("/admin/notices/new", data={
        "title": "附件测试", "body": "", "is_published": "1",
        "attachments": [(io.BytesIO(b"<script>alert(1)</script>"), "x.html"),
                        (io.BytesIO(b"<svg onload=alert(1)>"), "y.svg")]},
        content_type="multipart/form-data", headers={"HX-Request": "true"})
    if response.status_code == 422:
        return  # refused outright: fine
    from app.core.extensions import db
    from app.models import NoticeAttachment

    with app.app_context():
        ids = [a.id for a in db.session.execute(db.select(NoticeAttachment)).scalars()]
    for attachment_id in ids:
        download = app.test_client().get(f"/notices/attachments/{attachment_id}")
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.mimetype not in ("text/html", "image/svg+xml")


# ---- hostile input never produces a 500 or a traceback ------------------------------------------

HUGE = 2 ** 63  # beyond a PostgreSQL bigint


def _id_cases():
    cases = []
    for endpoint, rule, methods, arguments in RULES:
        if any(a.endswith("_id") for a in arguments):
            cases += [(endpoint, method, arguments, f"{method} {rule}") for method in sorted(methods)]
    return cases


ID_CASES = _id_cases()


@pytest.mark.parametrize("value", [HUGE, 2 ** 31])
def test_out_of_range_ids_are_404_not_500(app, make, login_as, value):
    assert len(ID_CASES) >= 30
    failures = []
    world = build_world(app, make)
    for endpoint, method, arguments, name in ID_CASES:
        client = login_as(app.test_client(), world.user(role_for(endpoint)))
        real = world.args_for(endpoint, arguments)
        values = {arg: (value if arg.endswith("_id") else real[arg]) for arg in arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **values)
        response = client.open(url, method=method,
                               data=body_for(endpoint, world) if method == "POST" else None)
        if response.status_code != 404 or b"Traceback" in response.get_data():
            failures.append((url, method, response.status_code))
    assert failures == [], failures


PAGE_VALUES = ["0", "-1", "abc", str(HUGE), "99999999"]


@pytest.mark.parametrize("role", [UNIT, SECRETARIAT])
def test_hostile_page_numbers_do_not_crash_lists(app, client, make, login_as, role):
    world = build_world(app, make)
    _login(client, login_as, world, role)
    failures = []
    for endpoint, url in _pages(app, world, role):
        if endpoint in DOWNLOADS:
            continue
        for value in PAGE_VALUES:
            sep = "&" if "?" in url else "?"
            response = client.get(f"{url}{sep}page={value}")
            if response.status_code >= 500:
                failures.append((url, value, response.status_code))
    assert failures == [], failures


NUL_FIELDS = ["q", "enterprise", "status", "province", "industry", "year", "name", "username", "credit_code"]


@pytest.mark.parametrize("role", [ANON, UNIT, SECRETARIAT])
def test_nul_bytes_in_query_strings_do_not_crash(app, client, make, login_as, role):
    """PostgreSQL refuses NUL in text: the app must answer 4xx or strip it, never 500."""
    world = build_world(app, make)
    _login(client, login_as, world, role)
    failures = []
    for endpoint, url in _pages(app, world, role):
        if endpoint in DOWNLOADS or endpoint == "auth.captcha_image":
            continue
        query = "&".join(f"{name}=a%00b" for name in NUL_FIELDS)
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}{query}")
        if response.status_code >= 500:
            failures.append((url, response.status_code))
    assert failures == [], failures


def _nul_posts(world):
    return [
        (ANON, "/login", {"role": "unit", "username": "ab\x00c", "password": "x\x00", "captcha": "QC2024",
                          "captcha_id": "a\x00"}),
        (ANON, "/password/forgot", {"username": "ab\x00c", "email": "a\x00@example.com",
                                    "captcha": "QC2024"}),
        (ANON, "/register/form", {"name": "甲\x00公司", "username": "ab\x00cd", "credit_code": "9\x00",
                                  "email": "a\x00@example.com", "captcha": "QC2024", "license_key": "k\x00"}),
        (UNIT, "/invite/", {"enterprise_name": "甲\x00公司", "contact": "李\x00四", "email": "a@example.com",
                            "phone": "13800000000"}),
        (UNIT, "/groups/new", {"group_name": "甲\x00组", "enterprise_name": "甲\x00", "topic": "课\x00题",
                               "topic_type": "创新型", "founded_on": "2024-03-01", "leader": "王\x00五",
                               "member_count": "7", "contact": "王五", "mobile": "13912345678"}),
        (UNIT, "/profile", {"contact": "王\x00五", "address": "地\x00址", "name": "新\x00名"}),
        (ANON, f"/invite/g/{world.group_token_a}/add", {"group_name": "甲\x00组", "topic": "课\x00题",
                                                        "topic_type": "创新型", "founded_on": "2024-03-01",
                                                        "leader": "王五", "member_count": "7",
                                                        "contact": "王五", "mobile": "13912345678"}),
        (SECRETARIAT, "/admin/notices/new", {"title": "标\x00题", "body": "正\x00文", "is_published": "1"}),
        (SECRETARIAT, "/admin/settings", {"year": str(world.year), "theme": "主\x00题"}),
        (SECRETARIAT, "/admin/accounts", {"username": "ab\x00cd", "display_name": "甲\x00",
                                          "email": "a@example.com", "password": "Passw0rd!x",
                                          "password_confirm": "Passw0rd!x"}),
        (SECRETARIAT, f"/admin/registrations/{world.pending.id}/reject", {"reason": "原\x00因"}),
    ]


def _nul_failures(app, make, login_as, indexes):
    failures = []
    for index in indexes:
        world = build_world(app, make)
        role, url, data = _nul_posts(world)[index]
        client = app.test_client()
        _login(client, login_as, world, role)
        response = client.post(url, data=data, headers={"HX-Request": "true"})
        if response.status_code >= 500 or b"Traceback" in response.get_data():
            failures.append((url, response.status_code))
    return failures


def test_nul_bytes_in_forms_do_not_crash(app, make, login_as, captcha_answer):
    """PostgreSQL refuses NUL in text: every form answers 4xx (or strips it), never 500."""
    assert _nul_failures(app, make, login_as, range(len(_nul_posts(build_world(app, make))))) == []


def test_unknown_method_and_oversized_body_get_chinese_pages(app, client, make, login_as):
    world = build_world(app, make)
    login_as(client, world.a.user)
    response = client.put("/groups/new", data={})
    assert response.status_code in (400, 405)
    assert_page_headers(response, "PUT")
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    import io

    before = snapshot(app)
    response = client.post("/groups/import", data={"file": (io.BytesIO(big), "big.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "文件过大" in response.text
    assert diff(before, snapshot(app)) == {}


def test_session_cookie_flags(app, client, make, captcha_answer):
    make.unit(username="cookieunit")
    response = client.post("/login", data={"role": "unit", "username": "cookieunit", "password": "secret123",
                                           "captcha": captcha_answer, "captcha_id": ""})
    assert response.status_code in (204, 303)
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie"
                  and v.startswith(app.config["SESSION_COOKIE_NAME"] + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
