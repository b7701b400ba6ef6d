"""操作日志: searchable and filterable; no route of the app can change or delete it."""
from datetime import datetime

import pytest

from app.core.extensions import db
from app.models import AuditLog


def _entry(app, **kw):
    with app.app_context():
        db.session.add(AuditLog(**kw))
        db.session.commit()


def test_search_and_filters(app, admin_client):
    _entry(app, action="unit.approve", summary="审核通过：扬子石化", actor_name="丁士育", ip="10.0.0.1",
           created_at=datetime(2024, 3, 1, 2, 0))
    _entry(app, action="filing.delete", summary="删除小组备案：攻关QC小组", actor_name="潘蕊", ip="10.0.0.2",
           created_at=datetime(2024, 3, 5, 20, 0))  # 2024-03-06 04:00 China time
    text = admin_client.get("/admin/audit").text
    assert "扬子石化" in text and "攻关QC小组" in text and "2024/3/1 10:00:00" in text
    text = admin_client.get("/admin/audit?q=扬子").text
    assert "扬子石化" in text and "攻关QC小组" not in text
    text = admin_client.get("/admin/audit?action=filing.delete").text
    assert "攻关QC小组" in text and "扬子石化" not in text
    text = admin_client.get("/admin/audit?actor=潘").text
    assert "攻关QC小组" in text and "扬子石化" not in text
    text = admin_client.get("/admin/audit?q=10.0.0.1").text
    assert "扬子石化" in text and "攻关QC小组" not in text
    # Dates are China dates: the second entry happened on 6 March in China.
    text = admin_client.get("/admin/audit?date_from=2024-03-06&date_to=2024-03-06").text
    assert "攻关QC小组" in text and "扬子石化" not in text
    text = admin_client.get("/admin/audit?date_to=2024-03-05").text
    assert "扬子石化" in text and "攻关QC小组" not in text
    assert admin_client.get("/admin/audit?date_from=not-a-date").status_code == 200


def test_audit_log_has_no_route_that_changes_it(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert rule.methods - {"GET", "HEAD", "OPTIONS"} == set(), rule


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writing_to_the_audit_url_is_refused(app, admin_client, method):
    _entry(app, action="x.y", summary="不可改")
    response = admin_client.open("/admin/audit", method=method, data={"id": 1, "summary": "改了"})
    assert response.status_code == 405
    with app.app_context():
        assert db.session.execute(db.select(AuditLog.summary)).scalar_one() == "不可改"


def test_audit_list_query_count_does_not_grow(app, admin_client, count_queries):
    _entry(app, action="a.b", summary="一条")
    with count_queries() as few:
        admin_client.get("/admin/audit")
    with app.app_context():
        db.session.add_all([AuditLog(action=f"a.b{i % 3}", summary=f"条目{i}") for i in range(120)])
        db.session.commit()
    with count_queries() as many:
        text = admin_client.get("/admin/audit").text
    assert "条目119" in text and "共 121 条" in text
    assert len(many) == len(few)


def test_the_orm_refuses_to_change_or_delete_audit_rows(app, make):
    from sqlalchemy import delete, update

    from app.core.models import AuditLogImmutable
    _entry(app, action="unit.approve", summary="审核通过：扬子石化", actor_name="丁士育")
    with app.app_context():
        entry = db.session.execute(db.select(AuditLog)).scalar_one()
        entry.summary = "改过的"
        with pytest.raises(AuditLogImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(db.select(AuditLog)).scalar_one())
        with pytest.raises(AuditLogImmutable):
            db.session.flush()
        db.session.rollback()
        for statement in (update(AuditLog).values(summary="x"), delete(AuditLog),
                          AuditLog.__table__.delete(), AuditLog.__table__.update().values(ip="1.1.1.1")):
            with pytest.raises(AuditLogImmutable):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.execute(db.select(AuditLog.summary)).scalar_one() == "审核通过：扬子石化"
        # Adding entries still works, and so does reading them and touching other tables.
        db.session.add(AuditLog(action="x", summary="新记录"))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog)) == 2


def test_deleting_a_user_still_clears_the_actor(app, make):
    from app.models import User
    clerk = make.secretariat()
    _entry(app, action="x", summary="由将被删除的账号记录", actor_id=clerk.id, actor_name="丁士育")
    with app.app_context():
        db.session.delete(db.session.get(User, clerk.id))
        db.session.commit()
        entry = db.session.execute(db.select(AuditLog)).scalar_one()
        assert entry.actor_id is None and entry.actor_name == "丁士育"


def test_reversed_date_range_and_late_page_are_explained(app, admin_client):
    _entry(app, action="unit.approve", summary="审核通过：扬子石化", created_at=datetime(2024, 3, 1, 2, 0))
    text = admin_client.get("/admin/audit?date_from=2024-03-05&date_to=2024-03-01",
                            headers={"HX-Request": "true"}).text
    assert "开始日期不能晚于结束日期" in text
    assert "开始日期不能晚于结束日期" not in admin_client.get("/admin/audit?date_from=2024-03-01").text
    assert "扬子石化" in admin_client.get("/admin/audit?page=7").text
