"""回避管理 (spec B5, C-S8, Part F 9): automatic records by 重新检查回避 (idempotent, manual ones untouched), manual
回避 and 取消 with a reason, filters, audit labels."""
from app.core.extensions import db
from app.models import AuditLog
from app.review.avoidance_records import RECHECK_CANCEL
from app.review.models import Avoidance
from app.secretariat.labels import ACTION_LABELS

HX = {"HX-Request": "true"}


def _records(app):
    with app.app_context():
        rows = db.session.execute(db.select(Avoidance).order_by(Avoidance.id)).scalars()
        return [(a.declaration_id, a.expert_id, a.source, a.is_active, a.cancel_reason) for a in rows]


def _setup(app, review):
    """A round with one group: 燕山 (中国石化北京燕山分公司), 短名 (燕山) and 同单位 (recommended by the unit)."""
    from app.declarations.models import Declaration

    round_id = review.round()
    ids = review.declarations(2, units=1)
    with app.app_context():
        first = db.session.get(Declaration, ids[0])
        first.enterprise_name = "北京燕山分公司"
        unit_id = first.unit_id
        db.session.commit()
    yanshan = review.expert("燕山专家", "中国石化北京燕山分公司")
    short = review.expert("短名专家", "燕山")
    same_unit = review.expert("同单位专家", "某大学")
    review.expert_row(same_unit, recommended_by_unit_id=unit_id)
    review.group(round_id, "甲组", [yanshan, short, same_unit])
    return round_id, ids, (yanshan, short, same_unit)


def test_recheck_is_idempotent_and_leaves_manual_records(app, admin_client, review):
    round_id, (first, second), (yanshan, short, same_unit) = _setup(app, review)
    url = f"/admin/review/rounds/{round_id}/avoidances/recheck"
    assert admin_client.post(url, headers=HX).status_code == 204
    records = _records(app)
    # Part F 9: containment fires for 中国石化北京燕山分公司 vs 北京燕山分公司, never for the 2-character 燕山.
    assert (first, yanshan, "auto_name", True, "") in records
    assert not [r for r in records if r[1] == short]
    by_unit = {(r[0], r[2]) for r in records if r[1] == same_unit}
    assert by_unit == {(first, "auto_unit"), (second, "auto_unit")}
    assert len(records) == 3
    page = admin_client.get(f"/admin/review/avoidances?round={round_id}").text
    assert "已重新检查回避：新增3条，取消0条" in page
    assert admin_client.post(url, headers=HX).status_code == 204
    assert _records(app) == records  # the second run changes nothing
    assert "新增0条，取消0条" in admin_client.get(f"/admin/review/avoidances?round={round_id}").text

    manual = admin_client.post(f"/admin/review/rounds/{round_id}/avoidances", headers=HX, data={
        "decl_no": _decl_no(app, second), "expert_id": yanshan, "reason": "曾指导该小组"})
    assert manual.status_code == 204
    review.expert_row(yanshan, company="某研究院")  # the rule no longer holds
    admin_client.post(url, headers=HX)
    after = _records(app)
    assert (first, yanshan, "auto_name", False, RECHECK_CANCEL) in after
    assert (second, yanshan, "manual", True, "") in after  # manual records are never touched
    review.expert_row(yanshan, company="中国石化北京燕山分公司")
    admin_client.post(url, headers=HX)
    assert _records(app)[-1] == (first, yanshan, "auto_name", True, "")  # back, as a new row


def test_a_hand_cancelled_auto_record_stays_cancelled(app, admin_client, review):
    round_id, (first, _second), (yanshan, _short, _same) = _setup(app, review)
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck", headers=HX)
    with app.app_context():
        row = db.session.execute(db.select(Avoidance).where(Avoidance.expert_id == yanshan)).scalar_one()
        row_id = row.id
    url = f"/admin/review/rounds/{round_id}/avoidances/{row_id}/cancel"
    empty = admin_client.post(url, data={"reason": "  "}, headers=HX)
    assert empty.status_code == 422 and "请填写取消原因" in empty.text
    assert admin_client.post(url, data={"reason": "集团下属不同企业，无利害关系"}, headers=HX).status_code == 204
    twice = admin_client.post(url, data={"reason": "再取消"}, headers=HX)
    assert twice.status_code == 422 and "该回避已取消" in twice.text
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck", headers=HX)
    assert [r for r in _records(app) if r[1] == yanshan] == [
        (first, yanshan, "auto_name", False, "集团下属不同企业，无利害关系")]


def _decl_no(app, declaration_id):
    from app.declarations.models import Declaration

    with app.app_context():
        return db.session.get(Declaration, declaration_id).decl_no


def test_manual_avoidance_needs_a_reason_and_a_round_expert(app, admin_client, review):
    round_id, (first, _second), (yanshan, _short, _same) = _setup(app, review)
    (submitted,) = review.declarations(1, status="submitted")
    outsider = review.expert("局外专家")
    url = f"/admin/review/rounds/{round_id}/avoidances"
    decl_no = _decl_no(app, first)
    no_reason = admin_client.post(url, data={"decl_no": decl_no, "expert_id": yanshan, "reason": ""},
                                  headers=HX)
    assert no_reason.status_code == 422 and "请填写回避原因" in no_reason.text
    assert f'value="{decl_no}"' in no_reason.text  # what was typed is kept
    for data, message in (({"decl_no": "", "expert_id": yanshan, "reason": "x"}, "请填写本轮参评成果的申报编号"),
                          ({"decl_no": _decl_no(app, submitted), "expert_id": yanshan, "reason": "x"},
                           "不是本轮参评的成果"),
                          ({"decl_no": decl_no, "expert_id": outsider, "reason": "x"}, "请选择本轮专业组中的评委"),
                          ({"decl_no": decl_no, "expert_id": "abc", "reason": "x"}, "请选择本轮专业组中的评委"),
                          ({"decl_no": decl_no, "expert_id": yanshan, "reason": "长" * 501}, "不能超过500字")):
        response = admin_client.post(url, data=data, headers=HX)
        assert response.status_code == 422 and message in response.text, message
    assert _records(app) == []
    assert admin_client.post(url, data={"decl_no": decl_no, "expert_id": yanshan, "reason": "亲属关系"},
                             headers=HX).status_code == 204
    again = admin_client.post(url, data={"decl_no": decl_no, "expert_id": yanshan, "reason": "亲属关系"},
                              headers=HX)
    assert again.status_code == 422 and "已手动回避" in again.text
    listing = admin_client.get(f"/admin/review/avoidances?round={round_id}").text
    for label in ("成果名称", "申报编号", "申报单位", "完成单位（企业名称）", "回避状态", "回避类型", "回避原因",
                  "设为回避", "取消回避", "重新检查回避", "手动回避", "亲属关系", "已回避"):
        assert label in listing, label
    with app.app_context():
        actions = db.session.execute(db.select(AuditLog.action)).scalars().all()
    assert actions == ["avoidance.manual"] and "avoidance.manual" in ACTION_LABELS


def test_filters_and_audit_labels(app, admin_client, review):
    round_id, (first, _second), (yanshan, _short, _same) = _setup(app, review)
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck", headers=HX)
    base = f"/admin/review/avoidances?round={round_id}"
    assert admin_client.get(base).text.count("取消回避</button>") == 3
    assert admin_client.get(base + "&enterprise=燕山").text.count("取消回避</button>") == 2  # 北京燕山分公司
    assert admin_client.get(base + "&source=manual").text.count("取消回避</button>") == 0
    assert admin_client.get(base + "&state=cancelled").text.count("取消回避</button>") == 0
    assert admin_client.get(base + "&expert=同单位&state=active").text.count("取消回避</button>") == 2
    assert admin_client.get(base + "&decl_no=%25").text.count("取消回避</button>") == 0  # LIKE escaped
    assert admin_client.get(base + "&state=bogus&source=bogus").status_code == 200
    with app.app_context():
        row_id = db.session.scalar(db.select(Avoidance.id).where(Avoidance.expert_id == yanshan))
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/{row_id}/cancel", data={"reason": "误判"})
    with app.app_context():
        actions = set(db.session.execute(db.select(AuditLog.action)).scalars())
    assert actions == {"avoidance.recheck", "avoidance.cancel"} and actions <= set(ACTION_LABELS)
    audit = admin_client.get("/admin/audit").text
    assert "重新检查回避" in audit and "取消回避" in audit


def test_closed_round_refuses_changes(app, admin_client, review):
    round_id, (first, _second), (yanshan, _short, _same) = _setup(app, review)
    from app.review.models import ReviewRound

    with app.app_context():
        db.session.get(ReviewRound, round_id).is_locked = True
        db.session.commit()
    response = admin_client.post(f"/admin/review/rounds/{round_id}/avoidances", headers=HX, data={
        "decl_no": _decl_no(app, first), "expert_id": yanshan, "reason": "x"})
    assert response.status_code == 422 and "评审已截止，不能再更改回避" in response.text


def test_wrong_ids_are_404(app, admin_client, review):
    round_id, _ids, _experts = _setup(app, review)
    other = review.round(kind="team", rubric="BZ")
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck")
    with app.app_context():
        row_id = db.session.execute(db.select(Avoidance.id)).scalars().first()
    for url in (f"/admin/review/rounds/{other}/avoidances/{row_id}/cancel",
                f"/admin/review/rounds/{round_id}/avoidances/99999/cancel",
                "/admin/review/rounds/99999/avoidances", "/admin/review/rounds/99999/avoidances/recheck",
                "/admin/review/rounds/99999/auto-group"):
        assert admin_client.post(url, data={"reason": "x"}).status_code == 404, url
    assert admin_client.get("/admin/review/rounds/99999/auto-group").status_code == 404


def test_name_warnings_are_shown_not_applied(app, admin_client, review):
    from app.declarations.models import Declaration

    round_id, (first, _second), _experts = _setup(app, review)
    with app.app_context():
        db.session.get(Declaration, first).main_contributors = ["李 四", "张三"]
        db.session.commit()
    review.group(round_id, "乙组", [review.expert("李四")])
    page = admin_client.get(f"/admin/review/avoidances?round={round_id}").text
    assert "同名提醒" in page and "评委李四与该成果的主要完成人或组长同名" in page
    assert page.count("同名，请核实") == 1 and _records(app) == []
