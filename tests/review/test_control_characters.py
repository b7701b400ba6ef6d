"""The review forms refuse control characters (issue 11's rule) beside the field, keeping what was typed."""
from app.core.extensions import db
from app.review.models import Avoidance, ReviewGroup, Rubric, ScoreSheet
from tests.review.test_avoidance_records import _decl_no
from tests.review.test_avoidance_records import _setup as avoidance_setup
from tests.review.test_scoring import _login, _url
from tests.review.test_scoring import _setup as scoring_setup

HX = {"HX-Request": "true"}
MESSAGE = "含有不可见的控制字符"


def test_rubric_group_and_avoidance_forms(app, admin_client, review):
    rubrics = review.rubrics()
    data = {"name": "问题解决型课题成果评审表", "item_name": ["选题"], "item_method": [""],
            "item_content": ["内容\x01一"], "item_points": ["100"]}
    refused = admin_client.post(f"/admin/review/rubrics/{rubrics['QC-PS']}", data=data, headers=HX)
    assert refused.status_code == 422 and f"第1项的评审内容{MESSAGE}" in refused.text
    refused = admin_client.post(f"/admin/review/rubrics/{rubrics['QC-PS']}", headers=HX,
                                data=dict(data, name="评审表\x07", item_content=["内容一"]))
    assert refused.status_code == 422 and f"评分表名称{MESSAGE}" in refused.text
    avoid_round, (first, _second), (expert, _short, _same) = avoidance_setup(app, review)
    group = admin_client.post(f"/admin/review/rounds/{avoid_round}/groups", data={"name": "第一\x1b专业组"})
    assert group.status_code == 422 and f"专业组名称{MESSAGE}" in group.text
    manual = admin_client.post(f"/admin/review/rounds/{avoid_round}/avoidances", headers=HX, data={
        "decl_no": _decl_no(app, first), "expert_id": expert, "reason": "曾指导\x01该小组"})
    assert manual.status_code == 422 and f"回避原因{MESSAGE}" in manual.text
    with app.app_context():
        assert db.session.get(Rubric, rubrics["QC-PS"]).items[0].content != "内容\x01一"
        assert db.session.execute(db.select(ReviewGroup).filter_by(name="第一\x1b专业组")).first() is None
        assert not db.session.execute(db.select(Avoidance).filter_by(source="manual")).first()


def test_the_score_comment(app, client, auth, review):
    s = scoring_setup(app, review, 1)
    _login(auth, client, s)
    response = client.post(_url(s), data={"comment": "总体\x02评价"})
    assert response.status_code == 422 and f"总体评价{MESSAGE}" in response.text
    with app.app_context():
        assert db.session.execute(db.select(ScoreSheet)).first() is None
