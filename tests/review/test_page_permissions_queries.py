"""评审管理 pages refuse visitors, units and experts, and their lists run a fixed number of queries."""
import pytest

URLS = [("GET", "/admin/review/rounds"), ("GET", "/admin/review/rounds/new"), ("POST", "/admin/review/rounds/new"),
        ("GET", "/admin/review/rubrics"), ("GET", "/admin/review/groups")]


def _object_urls(review):
    round_id = review.round()
    expert = review.expert()
    group = review.group(round_id, "组", [expert])
    rubric = review.rubrics()["QC-PS"]
    return [("GET", f"/admin/review/rounds/{round_id}/edit"), ("POST", f"/admin/review/rounds/{round_id}/edit"),
            ("GET", f"/admin/review/rubrics/{rubric}"), ("POST", f"/admin/review/rubrics/{rubric}"),
            ("POST", f"/admin/review/rubrics/{rubric}/copy"), ("POST", f"/admin/review/rounds/{round_id}/groups"),
            ("POST", f"/admin/review/groups/{group}/members"), ("POST", f"/admin/review/groups/{group}/delete"),
            ("POST", f"/admin/review/groups/{group}/members/1/leader"),
            ("POST", f"/admin/review/groups/{group}/members/1/remove")]


def test_visitors_are_sent_to_login(client, review):
    for method, url in URLS + _object_urls(review):
        response = client.open(url, method=method)
        if method == "GET":
            assert response.status_code in (302, 303) and "/?next=" in response.headers["Location"], url
        else:
            assert response.status_code == 403, url


@pytest.mark.parametrize("role", ["unit", "expert"])
def test_units_and_experts_get_403(client, auth, make, review, role):
    urls = URLS + _object_urls(review)
    auth.login(client, make.unit().user if role == "unit" else make.expert())
    for method, url in urls:
        response = client.open(url, method=method, data={"name": "x", "year": "2030"})
        assert response.status_code == 403 and "没有权限" in response.text, url


def _count(count_queries, client, url):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_rounds_list_query_count(admin_client, review, count_queries):
    review.round()
    few = _count(count_queries, admin_client, "/admin/review/rounds")
    for kind, stage, rubric in (("group", "R2", "FB"), ("group", "XC", "XC"), ("team", "R1", "BZ"),
                                ("team", "R2", "FB")):
        review.round(kind=kind, stage=stage, rubric=rubric)
    assert _count(count_queries, admin_client, "/admin/review/rounds") == few


def test_rubrics_list_query_count(app, admin_client, review, count_queries):
    from app.core.extensions import db
    from app.review.models import Rubric, RubricItem

    year = review.year()
    review.round(rubric="QC-PS")
    few = _count(count_queries, admin_client, "/admin/review/rubrics")
    with app.app_context():
        db.session.add_all(Rubric(code=f"X{i}", name=f"表{i}", kind="group", year=year,
                                  items=[RubricItem(seq=s, name="项", max_points_c=1000) for s in range(1, 11)])
                           for i in range(40))
        db.session.commit()
    many = _count(count_queries, admin_client, "/admin/review/rubrics")
    assert many == few


def test_groups_page_query_count(admin_client, review, count_queries):
    round_id = review.round()
    review.group(round_id, "第一组", [review.expert()])
    review.expert()
    url = f"/admin/review/groups?round={round_id}"
    few = _count(count_queries, admin_client, url)
    for g in range(6):
        review.group(round_id, f"组{g}", [review.expert() for _ in range(6)])
    for _ in range(30):
        review.expert()
    many = admin_client.get(url).text
    assert many.count(">设为组长</button>") == 6 * 5 and "组5" in many
    assert _count(count_queries, admin_client, url) == few
