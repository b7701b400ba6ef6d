"""成果分组, 自动分组 and 回避管理 refuse visitors, units and experts and need CSRF; their lists run a fixed number of
queries with few and many rows."""
import pytest

from app.core.extensions import db
from app.review.models import Avoidance, ReviewAssignment

HX = {"HX-Request": "true"}


def _urls(review):
    round_id = review.round()
    (declaration,) = review.declarations(1)
    expert = review.expert()
    group = review.group(round_id, "组", [expert])
    with review.app.app_context():
        row = Avoidance(declaration_id=declaration, expert_id=expert, year=review.year(), round_id=round_id,
                        source="manual", reason="x")
        db.session.add(row)
        db.session.commit()
        avoidance = row.id
    return [("GET", "/admin/review/assignments"), ("GET", "/admin/review/avoidances"),
            ("GET", f"/admin/review/rounds/{round_id}/auto-group"),
            ("POST", f"/admin/review/rounds/{round_id}/auto-group"),
            ("POST", f"/admin/review/rounds/{round_id}/assignments/{declaration}"),
            ("POST", f"/admin/review/rounds/{round_id}/avoidances"),
            ("POST", f"/admin/review/rounds/{round_id}/avoidances/{avoidance}/cancel"),
            ("POST", f"/admin/review/rounds/{round_id}/avoidances/recheck")], group


def _unchanged(app):
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReviewAssignment.id))) == 0
        assert db.session.execute(db.select(Avoidance)).scalar_one().is_active


def test_visitors_are_sent_to_login(app, client, review):
    urls, _group = _urls(review)
    for method, url in urls:
        response = client.open(url, method=method)
        if method == "GET":
            assert response.status_code in (302, 303) and "/?next=" in response.headers["Location"], url
        else:
            assert response.status_code == 403, url
    _unchanged(app)


@pytest.mark.parametrize("role", ["unit", "expert"])
def test_units_and_experts_get_403(app, client, auth, make, review, role):
    urls, group = _urls(review)
    auth.login(client, make.unit().user if role == "unit" else make.expert())
    for method, url in urls:
        response = client.open(url, method=method, data={"group_id": group, "reason": "x", "token": "x"})
        assert response.status_code == 403 and "没有权限" in response.text, url
    _unchanged(app)


def test_csrf_is_required(app, admin_client, review):
    urls, group = _urls(review)
    for method, url in urls:
        if method == "POST":
            response = admin_client.post(url, data={"group_id": group, "reason": "x"}, csrf=False)
            assert response.status_code in (400, 403), url
    _unchanged(app)


def _count(count_queries, client, url):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.text


def test_assignment_list_and_preview_query_counts(admin_client, review, count_queries):
    round_id = review.round()
    few_ids = review.declarations(3, units=1)
    group = review.group(round_id, "组1", [review.expert() for _ in range(3)])
    admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{few_ids[0]}", data={"group_id": group})
    listing = f"/admin/review/assignments?round={round_id}"
    preview = f"/admin/review/rounds/{round_id}/auto-group"
    few_list, _ = _count(count_queries, admin_client, listing)
    few_preview, _ = _count(count_queries, admin_client, preview)
    review.declarations(297, units=4, topic=lambda i: "问题解决型" if i % 2 else "创新型")
    experts = [review.expert(company=f"企业{i}有限公司") for i in range(20)]  # auto 回避 by name
    for g in range(4):
        review.group(round_id, f"组{g + 2}", experts[g * 5:(g + 1) * 5])
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck")
    many_list, text = _count(count_queries, admin_client, listing)
    assert text.count("分配到专业组</button>") == 100 and "符合条件 300 项" in text
    many_preview, text = _count(count_queries, admin_client, preview)
    assert 'id="placed-count">300<' in text
    assert (many_list, many_preview) == (few_list, few_preview)


def test_avoidance_list_query_count(app, admin_client, review, count_queries):
    round_id = review.round()
    ids = review.declarations(3, units=1)
    experts = [review.expert() for _ in range(3)]
    review.group(round_id, "组", experts)
    with app.app_context():
        db.session.add(Avoidance(declaration_id=ids[0], expert_id=experts[0], year=review.year(),
                                 round_id=round_id, source="manual", reason="亲属"))
        db.session.commit()
    url = f"/admin/review/avoidances?round={round_id}"
    few, _ = _count(count_queries, admin_client, url)
    ids += review.declarations(60, units=2)
    with app.app_context():
        db.session.add_all(Avoidance(declaration_id=d, expert_id=experts[i % 3], year=review.year(),
                                     round_id=round_id, source="manual", reason="亲属",
                                     cancelled_at=None if i % 2 else db.func.now(), cancel_reason="误")
                           for i, d in enumerate(ids[3:]))
        db.session.commit()
    many, text = _count(count_queries, admin_client, url)
    assert text.count("<tr>") >= 50 and "共 61 条" in text and "下一页" in text
    assert many == few
    second, text = _count(count_queries, admin_client, url + "&page=2")
    assert second == few and "上一页" in text
