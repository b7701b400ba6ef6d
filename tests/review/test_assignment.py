"""成果分组 and 自动分组 (spec B4): preview then 确认分组 on 200 declarations and 5 groups, the stale-preview guard,
manual moves, unplaced declarations with the reason."""
import re
from collections import Counter, defaultdict

from app.core.extensions import db
from app.models import AuditLog
from app.review import assignment
from app.review.models import Avoidance, ReviewAssignment, ReviewGroupMember
from app.secretariat.labels import ACTION_LABELS

HX = {"HX-Request": "true"}


def _token(html):
    return re.search(r'name="token" value="([0-9a-f]{64})"', html).group(1)


def _state(app):
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count(ReviewAssignment.id))),
                db.session.scalar(db.select(db.func.count(Avoidance.id))),
                db.session.scalar(db.select(db.func.count(AuditLog.id))))


def _big_round(review):
    """200 accepted declarations (1 in 3 问题解决型) of 5 units and 5 groups of 5, 5, 5, 5 and 3 experts; an expert
    of group 1 recommended by the first unit, one of group 2 working at 企业7 (auto 回避 of 企业7, 企业70–79)."""
    round_id = review.round()
    declarations = review.declarations(200, units=5, topic=lambda i: "问题解决型" if i % 3 == 0 else "创新型")
    groups = []
    for g, size in enumerate((5, 5, 5, 5, 3)):
        experts = [review.expert() for _ in range(size)]
        groups.append((review.group(round_id, f"第{g + 1}专业组", experts), experts))
    with review.app.app_context():
        from app.declarations.models import Declaration
        first_unit = db.session.get(Declaration, declarations[0]).unit_id
    review.expert_row(groups[0][1][1], recommended_by_unit_id=first_unit)
    review.expert_row(groups[1][1][2], company="企业7有限公司")
    return round_id, declarations, groups


def test_auto_group_preview_then_apply_200_declarations(app, admin_client, review):
    round_id, declarations, groups = _big_round(review)
    before = _state(app)
    page = admin_client.get(f"/admin/review/rounds/{round_id}/auto-group")
    assert page.status_code == 200 and "自动分组预览" in page.text and "尚未保存" in page.text
    for label in ("专业组", "评委数", "成果数", "问题解决型", "创新型", "回避人次", "含回避评委的成果"):
        assert label in page.text
    assert re.search(r'id="placed-count">200<', page.text) and re.search(r'id="unplaced-count">0<', page.text)
    assert _state(app) == before  # the preview changes nothing

    url = f"/admin/review/rounds/{round_id}/auto-group"
    applied = admin_client.post(url, data={"token": _token(page.text)}, headers=HX)
    assert applied.status_code == 204 and "/admin/review/assignments" in applied.headers["HX-Redirect"]
    with app.app_context():
        from app.declarations.models import Declaration

        placed = dict(db.session.execute(db.select(ReviewAssignment.declaration_id, ReviewAssignment.group_id)
                                         .where(ReviewAssignment.round_id == round_id)).all())
        topics = dict(db.session.execute(db.select(Declaration.id, Declaration.topic_type)).all())
        members = defaultdict(set)
        pairs = db.select(ReviewGroupMember.group_id, ReviewGroupMember.expert_id)
        for gid, eid in db.session.execute(pairs):
            members[gid].add(eid)
        avoided = defaultdict(set)
        active = db.select(Avoidance).where(Avoidance.cancelled_at.is_(None))
        rows = db.session.execute(active).scalars().all()
        for row in rows:
            avoided[row.declaration_id].add(row.expert_id)
        assert {r.source for r in rows} == {"auto_unit", "auto_name"}
        actions = db.session.execute(db.select(AuditLog.action)).scalars().all()
    assert set(placed) == set(declarations)
    per_group = Counter(placed.values())
    assert len(per_group) == 5 and max(per_group.values()) - min(per_group.values()) <= 1
    for topic in ("问题解决型", "创新型"):
        counts = Counter(g for d, g in placed.items() if topics[d] == topic)
        assert len(counts) == 5 and max(counts.values()) - min(counts.values()) <= 1, topic
    # the first unit's 40 declarations; 企业7 and 企业70–79
    assert Counter(r.source for r in rows) == {"auto_unit": 40, "auto_name": 11}
    for declaration_id, group_id in placed.items():
        assert len(members[group_id] - avoided[declaration_id]) >= 3
        assert not members[group_id] & avoided[declaration_id]  # avoidable here, so avoided
    assert {"avoidance.recheck", "review_assignment.auto"} <= set(actions) <= set(ACTION_LABELS)

    listing = admin_client.get(f"/admin/review/assignments?round={round_id}").text
    assert listing.count("分配到专业组</button>") == 100 and "符合条件 200 项" in listing and "下一页" in listing
    second = admin_client.get(f"/admin/review/assignments?round={round_id}&page=2").text
    assert second.count("分配到专业组</button>") == 100 and ">200</td>" in second and "上一页" in second
    for page in (listing, second):
        assert "有效评委不足</span>" not in page and "未分组</td>" not in page
    grouped = admin_client.get(f"/admin/review/assignments?round={round_id}&group={groups[4][0]}").text
    assert grouped.count("分配到专业组</button>") == per_group[groups[4][0]]


def test_stale_preview_is_refused_and_the_new_preview_shown(app, admin_client, review):
    round_id = review.round()
    review.declarations(6)
    experts = [review.expert() for _ in range(4)]
    review.group(round_id, "甲组", experts[:3])
    page = admin_client.get(f"/admin/review/rounds/{round_id}/auto-group").text
    old = _token(page)
    review.group(round_id, "乙组", [experts[3]])  # a group added after the preview
    stale = admin_client.post(f"/admin/review/rounds/{round_id}/auto-group", data={"token": old}, headers=HX)
    assert stale.status_code == 422 and "已有变化，请查看新的预览后再确认" in stale.text
    assert "乙组" in stale.text and _token(stale.text) != old
    assert _state(app)[0] == 0
    assert admin_client.post(f"/admin/review/rounds/{round_id}/auto-group", data={"token": ""},
                             headers=HX).status_code == 422
    url = f"/admin/review/rounds/{round_id}/auto-group"
    fresh = admin_client.post(url, data={"token": _token(stale.text)}, headers=HX)
    assert fresh.status_code == 204 and _state(app)[0] == 6
    # The same token again: the assignment is part of the inputs, so it is stale now.
    again = admin_client.post(url, data={"token": _token(stale.text)}, headers=HX)
    assert again.status_code == 422


def test_unplaced_declarations_with_the_reason(app, admin_client, review):
    round_id = review.round()
    ids = review.declarations(3, units=1)
    experts = [review.expert() for _ in range(3)]
    review.group(round_id, "甲组", experts)
    with app.app_context():
        from app.declarations.models import Declaration
        unit_id = db.session.get(Declaration, ids[0]).unit_id
    review.expert_row(experts[0], recommended_by_unit_id=unit_id)  # every declaration is that unit's
    page = admin_client.get(f"/admin/review/rounds/{round_id}/auto-group").text
    assert "未能分组的成果" in page and page.count("回避后各专业组的有效评委都不足3人") == 3
    assert re.search(r'id="placed-count">0<', page)
    empty_round = review.round(kind="team", rubric="BZ")
    review.declarations(2, kind="team")
    assert admin_client.get(f"/admin/review/rounds/{empty_round}/auto-group").text.count("本轮还没有专业组") >= 2


def test_only_accepted_declarations_of_the_round_kind(app, admin_client, review):
    round_id = review.round()
    review.declarations(2)
    review.declarations(2, status="submitted")
    review.declarations(2, kind="team")
    review.group(round_id, "甲组", [review.expert() for _ in range(3)])
    listing = admin_client.get(f"/admin/review/assignments?round={round_id}").text
    assert listing.count("分配到专业组</button>") == 2 and "共2项" in listing


def test_manual_move_and_its_refusals(app, admin_client, review, monkeypatch):
    round_id = review.round()
    (declaration,) = review.declarations(1)
    (other_kind,) = review.declarations(1, kind="team")
    first = review.group(round_id, "甲组", [review.expert() for _ in range(3)])
    second = review.group(round_id, "乙组", [review.expert() for _ in range(2)])
    other_round = review.round(kind="team", rubric="BZ")
    foreign = review.group(other_round, "外组", [review.expert(kinds=("team",))])
    url = f"/admin/review/rounds/{round_id}/assignments/{declaration}"
    assert admin_client.post(url, data={"group_id": first}, headers=HX).status_code == 204
    moved = admin_client.post(url, data={"group_id": second}, headers=HX)
    assert moved.status_code == 204
    page = admin_client.get(f"/admin/review/assignments?round={round_id}").text
    assert "2 有效评委不足</span>" in page and "只有2位有效评委" in page  # the flash warning
    same = admin_client.post(url, data={"group_id": second}, headers=HX)
    assert same.status_code == 422 and "已在专业组“乙组”" in same.text
    wrong = admin_client.post(url, data={"group_id": foreign}, headers=HX)
    assert wrong.status_code == 422 and "请选择本轮的专业组" in wrong.text
    assert admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{other_kind}",
                             data={"group_id": first}).status_code == 404
    assert admin_client.post(f"/admin/review/rounds/99999/assignments/{declaration}",
                             data={"group_id": first}).status_code == 404
    monkeypatch.setattr(assignment, "has_scores", lambda round_id, declaration_id: True)
    scored = admin_client.post(url, data={"group_id": first}, headers=HX)
    assert scored.status_code == 422 and "已有评分，不能更换专业组" in scored.text
    with app.app_context():
        row = db.session.execute(db.select(ReviewAssignment)).scalar_one()
        assert row.group_id == second
        actions = db.session.execute(db.select(AuditLog.action)).scalars().all()
    assert actions.count("review_assignment.move") == 2 and "review_assignment.move" in ACTION_LABELS


def test_has_scores_is_false_without_score_sheets(app):
    with app.app_context():
        assert assignment.has_scores(1, 1) is False


def test_a_group_with_declarations_is_not_deleted(app, admin_client, review):
    round_id = review.round()
    (declaration,) = review.declarations(1)
    group = review.group(round_id, "甲组")
    admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{declaration}", data={"group_id": group})
    refused = admin_client.post(f"/admin/review/groups/{group}/delete", headers=HX)
    assert refused.status_code == 422 and "还有成果，请先将成果分配到其他专业组" in refused.text
    assert _state(app)[0] == 1


def _row(i, topic="创新型"):
    from app.review.avoidance_records import DeclarationRow

    return DeclarationRow(i, f"QCSB-2030-{i:04d}", f"成果{i}", f"企业{i}", 1, "单位", topic)


def test_plan_places_with_an_unavoidable_conflict_and_explains_the_unplaced():
    inputs = assignment.Inputs(
        declarations=[_row(1), _row(2), _row(3, "问题解决型")], groups=[(10, "甲组"), (20, "乙组")],
        members={10: {1, 2, 3, 4}, 20: {5, 6, 7, 8}},
        avoided={(1, 1), (1, 5), (2, 1), (2, 2), (2, 5), (2, 6)},
        current={3: 20})
    result = assignment.plan(inputs)
    assert result.placed[1] in (10, 20)  # 3 non-avoided experts are left in either group
    assert [(d.id, reason) for d, reason in result.unplaced] == [
        (2, "回避后各专业组的有效评委都不足3人（该成果有4位评委回避）。")]
    assert sum(s.with_conflict for s in result.stats) == 1 and sum(s.avoidances for s in result.stats) == 1
    assert result.topics == ["创新型", "问题解决型"] and set(result.placed) == {1, 3}
    changed = assignment.Inputs(inputs.declarations, inputs.groups, inputs.members, inputs.avoided - {(2, 6)},
                                inputs.current)
    assert changed.token() != inputs.token() == assignment.plan(inputs).token
    small = assignment.Inputs([_row(1)], [(10, "甲组")], {10: {1, 2}}, set(), {})
    assert assignment.plan(small).unplaced[0][1] == "各专业组的评委都不足3人。"


def test_a_locked_round_keeps_its_groups(app, admin_client, review):
    from app.review.models import ReviewRound

    round_id = review.round()
    (declaration,) = review.declarations(1)
    group = review.group(round_id, "甲组", [review.expert() for _ in range(3)])
    token = _token(admin_client.get(f"/admin/review/rounds/{round_id}/auto-group").text)
    with app.app_context():
        db.session.get(ReviewRound, round_id).is_locked = True
        db.session.commit()
    applied = admin_client.post(f"/admin/review/rounds/{round_id}/auto-group", data={"token": token}, headers=HX)
    assert applied.status_code == 422 and "评审轮次已锁定，不能更改分组" in applied.text
    moved = admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{declaration}",
                              data={"group_id": group}, headers=HX)
    assert moved.status_code == 422 and "评审轮次已锁定" in moved.text
    assert _state(app)[0] == 0


def test_a_move_keeps_the_page_and_filters(app, admin_client, review):
    round_id = review.round()
    (declaration,) = review.declarations(1)
    group = review.group(round_id, "甲组", [review.expert() for _ in range(3)])
    listing = admin_client.get(f"/admin/review/assignments?round={round_id}&topic=创新型").text
    assert f"/admin/review/rounds/{round_id}/assignments/{declaration}?topic=" in listing  # no empty q=, group=
    moved = admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{declaration}?topic=创新型&page=2",
                              data={"group_id": group}, headers=HX)
    assert moved.status_code == 204 and "topic=" in moved.headers["HX-Redirect"]
    assert "page=2" in moved.headers["HX-Redirect"]
