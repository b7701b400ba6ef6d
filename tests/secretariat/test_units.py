"""单位管理: list with search and filters, detail, disable/enable (sessions end), reset link."""
import pytest

from app.core.extensions import db
from app.models import AuditLog, OutboxMail, PasswordResetToken, User, UserSession


def test_search_by_name_and_credit_code(admin_client, make):
    a = make.unit(name="南京扬子石化有限公司")
    b = make.unit(name="天津渤海化工有限公司")
    page = admin_client.get("/admin/units?q=扬子").text
    assert a.name in page and b.name not in page
    page = admin_client.get(f"/admin/units?q={b.credit_code.lower()}").text
    assert b.name in page and a.name not in page


def test_filters_status_province_industry_account(admin_client, make, app):
    js = make.unit(name="江苏单位", province_code="32", industry_code="26")
    sd = make.unit(name="山东单位", province_code="37", industry_code="25")
    pending = make.unit(name="待审单位", status="pending", province_code="37")
    assert "江苏单位" in admin_client.get("/admin/units?province=32").text
    assert "山东单位" not in admin_client.get("/admin/units?province=32").text
    text = admin_client.get("/admin/units?industry=25").text
    assert "山东单位" in text and "江苏单位" not in text
    text = admin_client.get("/admin/units?status=pending").text
    assert "待审单位" in text and "山东单位" not in text
    with app.app_context():
        db.session.get(User, sd.user.id).is_enabled = False
        db.session.commit()
    text = admin_client.get("/admin/units?account=disabled").text
    assert "山东单位" in text and "江苏单位" not in text and pending.name not in text


def test_htmx_search_returns_the_table_only(admin_client, make):
    make.unit(name="片段单位")
    response = admin_client.get("/admin/units?q=片段", headers={"HX-Request": "true"})
    assert "片段单位" in response.text
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_list_query_count_does_not_grow(admin_client, make, count_queries):
    make.unit()
    with count_queries() as few:
        admin_client.get("/admin/units")
    for _ in range(12):
        make.unit()
    with count_queries() as many:
        response = admin_client.get("/admin/units")
    assert response.text.count("/admin/units/") >= 13
    assert len(many) == len(few)


def test_detail_shows_registration_invitations_and_filings(admin_client, make):
    unit = make.unit(name="详情化工有限公司")
    make.invitation(unit, enterprise_name="被邀请的炼化厂")
    make.group(unit, year=2025)
    make.group(unit, year=2026)
    make.team(unit, year=2026)
    text = admin_client.get(f"/admin/units/{unit.id}").text
    assert unit.credit_code in text and "被邀请的炼化厂" in text
    assert "2026年" in text and "2025年" in text
    assert admin_client.get("/admin/units/999999").status_code == 404


def test_disable_ends_the_units_open_session_at_once(app, client, auth, make):
    unit = make.unit()
    auth.login(client, unit.user)
    assert "欢迎" in client.get("/").text
    clerk_client = app.test_client()
    auth.login(clerk_client, make.secretariat())
    response = clerk_client.post(f"/admin/units/{unit.id}/disable", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == f"/admin/units/{unit.id}"
    # The unit's browser still holds its cookie, but the session is gone.
    assert "欢迎" not in client.get("/").text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)
                                 .where(UserSession.user_id == unit.user.id)) == 0
        assert db.session.get(User, unit.user.id).is_enabled is False
        entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "unit.disable")).scalar_one()
        assert unit.name in entry.summary and entry.ip == "127.0.0.1"
    # A new login token for the disabled account does not work either.
    auth.login(client, unit.user)
    assert "欢迎" not in client.get("/").text
    # Enabled again, the account can log in.
    clerk_client.post(f"/admin/units/{unit.id}/enable")
    auth.login(client, unit.user)
    assert "欢迎" in client.get("/").text


def test_reset_link_is_queued_for_the_unit(app, admin_client, make):
    unit = make.unit(email="reset@example.com")
    response = admin_client.post(f"/admin/units/{unit.id}/reset-link", headers={"HX-Request": "true"})
    assert response.status_code == 204
    with app.app_context():
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert mail.recipient == "reset@example.com"
        assert "/reset" in mail.body or "重置" in mail.body
        assert db.session.scalar(db.select(db.func.count()).select_from(PasswordResetToken)) == 1
    assert "重置密码链接已发往" in admin_client.get(f"/admin/units/{unit.id}").text


def test_reset_link_refused_for_disabled_account(app, admin_client, make):
    unit = make.unit()
    admin_client.post(f"/admin/units/{unit.id}/disable")
    admin_client.post(f"/admin/units/{unit.id}/reset-link")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)) == 0


@pytest.mark.parametrize("action", ["disable", "enable", "reset-link"])
def test_actions_on_a_missing_unit_are_404(admin_client, action):
    assert admin_client.post(f"/admin/units/424242/{action}").status_code == 404


def test_actions_need_csrf(admin_client, make):
    unit = make.unit()
    assert admin_client.post(f"/admin/units/{unit.id}/disable", csrf=False).status_code == 400


def test_detail_lists_page_and_query_count_does_not_grow(app, admin_client, make, count_queries):
    from datetime import datetime, timedelta

    from sqlalchemy import insert

    from app.core.extensions import db
    from app.models import Invitation, UnitChangeLog
    unit = make.unit(name="集团化工有限公司")
    make.invitation(unit, enterprise_name="最早的企业", created_at=datetime(2025, 1, 1))
    with count_queries() as few:
        admin_client.get(f"/admin/units/{unit.id}")
    start = datetime(2026, 1, 1)
    with app.app_context():
        db.session.execute(insert(Invitation), [
            dict(unit_id=unit.id, enterprise_name=f"下属企业{i:03d}", contact="李四", email=f"e{i}@example.com",
                 phone="13800000000", created_at=start + timedelta(minutes=i)) for i in range(44)])
        db.session.execute(insert(UnitChangeLog), [
            dict(unit_id=unit.id, field="联系人", old_value=f"旧{i}", new_value=f"新{i}",
                 created_at=start + timedelta(minutes=i)) for i in range(25)])
        db.session.commit()
    with count_queries() as many:
        first = admin_client.get(f"/admin/units/{unit.id}").text
    assert len(many) == len(few)
    assert "邀请的企业（45）" in first and "下属企业043" in first and "最早的企业" not in first
    assert "共 45 条，第 1/3 页" in first and "共 25 条，第 1/2 页" in first
    # Each list pages on its own; htmx swaps only that section and the other lists keep their page.
    url = f"/admin/units/{unit.id}?inv_page=2"
    assert f'href="{url}#unit-invitations"' in first and 'hx-select="#unit-invitations"' in first
    third = admin_client.get(f"/admin/units/{unit.id}?inv_page=3&log_page=2").text
    assert "最早的企业" in third and "共 45 条，第 3/3 页" in third and "共 25 条，第 2/2 页" in third
    assert f"/admin/units/{unit.id}?inv_page=2&amp;log_page=2" in third
    assert "共 45 条，第 3/3 页" in admin_client.get(f"/admin/units/{unit.id}?inv_page=99").text
