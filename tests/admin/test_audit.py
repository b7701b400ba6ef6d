"""操作日志: searchable and filterable; no route of the app can change or delete it."""
from datetime import datetime

import pytest

from app.extensions import db
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
