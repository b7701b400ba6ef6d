"""Stored round means through results.recompute: the worked examples of B8.1, and the recompute that follows every
回避 change (设为回避, 取消回避, 重新检查回避) and every 成果分组 move (分配到专业组, 确认分组)."""
import pytest

from app.core.extensions import db
from app.declarations.models import Declaration
from app.review import results
from app.review.models import Avoidance, ReviewAssignment, ReviewRound, RoundResult, ScoreSheet


def _scored(app, review, totals, avoided=()):
    """One declaration in a group of len(totals) experts; None: no submitted sheet. Returns ids."""
    round_id = review.round(started=True)
    experts = [review.expert() for _ in totals]
    group_id = review.group(round_id, experts=experts)
    [declaration_id] = review.declarations(1)
    with app.app_context():
        review_round = db.session.get(ReviewRound, round_id)
        db.session.add(ReviewAssignment(round_id=round_id, group_id=group_id, declaration_id=declaration_id))
        for expert_id, total in zip(experts, totals):
            if total is not None:
                db.session.add(ScoreSheet(round_id=round_id, declaration_id=declaration_id, expert_id=expert_id,
                                          rubric_id=review_round.rubric_id, status="submitted", total_c=total,
                                          is_complete=True))
        for i in avoided:
            db.session.add(Avoidance(declaration_id=declaration_id, expert_id=experts[i], year=review_round.year,
                                     round_id=round_id, source="manual", reason="同单位"))
        results.recompute(review_round)
        db.session.commit()
    return round_id, declaration_id, experts


def _result(app, declaration_id):
    with app.app_context():
        row = db.session.execute(db.select(RoundResult).filter_by(declaration_id=declaration_id)).scalar_one_or_none()
        return None if row is None else (row.mean_c, row.valid_count, row.used_count, row.expected_count)


@pytest.mark.parametrize("totals, avoided, expected", [
    ([8550, 9000, 7800, 8800, 9200], (), (8783, 5, 3, 5)),  # drop 92 and 78 → 87.8333… → 87.83
    ([8000, 8200, 8500, 8800, 9000, 7000], (5,), (8500, 5, 3, 5)),  # six experts, one avoided → 85.00
    ([8000, 8500], (), (8250, 2, 2, 2)),  # two scores → 82.50
    ([9000, 9000, 8000], (), (9000, 3, 1, 3)),  # drop one 90 and 80 → 90.00
    ([10000, 8783, 8784, 0], (), (8784, 4, 2, 4)),  # (87.83 + 87.84) / 2 = 87.835 → 87.84, not 87.83
    ([8783, 8784, None], (), (8784, 2, 2, 3)),  # the same edge with two sheets, one expert still missing
    ([None, None, None], (), (None, 0, 0, 3)),  # 暂无有效评分
])
def test_worked_examples_of_b8_1(app, review, totals, avoided, expected):
    _, declaration_id, experts = _scored(app, review, totals, avoided)
    assert _result(app, declaration_id) == expected
    with app.app_context():
        detail = db.session.execute(db.select(RoundResult.detail)).scalar_one()
    assert [d["expert_id"] for d in detail] == [e for e, t in zip(experts, totals) if t is not None]
    assert all(d["avoided"] == (i in avoided) and d["valid"] == (i not in avoided)
               for i, d in enumerate(detail))


def test_the_detail_names_the_dropped_totals_and_an_unchanged_recompute_writes_nothing(app, review):
    round_id, _, experts = _scored(app, review, [8550, 9000, 7800, 8800, 9200])
    with app.app_context():
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        dropped = {d["expert_id"]: (d["removed_high"], d["removed_low"]) for d in row.detail}
        assert dropped[experts[4]] == (True, False) and dropped[experts[2]] == (False, True)
        assert sum(high or low for high, low in dropped.values()) == 2
        assert results.recompute(db.session.get(ReviewRound, round_id)) == 0


def test_recompute_keeps_the_leaders_opinion_and_removes_unassigned_results(app, review):
    round_id, declaration_id, _ = _scored(app, review, [8000, 8500, 9000])
    with app.app_context():
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        row.suggested_level, row.group_opinion = "一等", "成果突出"
        db.session.execute(db.update(ScoreSheet).where(ScoreSheet.total_c == 9000).values(total_c=9900))
        assert results.recompute(db.session.get(ReviewRound, round_id)) == 1
        db.session.commit()
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        assert (row.mean_c, row.suggested_level, row.group_opinion) == (8500, "一等", "成果突出")
        db.session.execute(db.delete(ReviewAssignment))
        assert results.recompute(db.session.get(ReviewRound, round_id), [declaration_id]) == 1
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(RoundResult.id))) == 0


def _decl_no(app, declaration_id):
    with app.app_context():
        return db.session.get(Declaration, declaration_id).decl_no


def test_setting_and_cancelling_a_manual_avoidance_recompute_the_mean(app, admin_client, review):
    round_id, declaration_id, experts = _scored(app, review, [9000, 8000, 7000, 6000])
    assert _result(app, declaration_id) == (7500, 4, 2, 4)
    response = admin_client.post(f"/admin/review/rounds/{round_id}/avoidances",
                                 data={"decl_no": _decl_no(app, declaration_id), "expert_id": experts[0],
                                       "reason": "亲属关系"})
    assert response.status_code in (200, 204, 302, 303)
    assert _result(app, declaration_id) == (7000, 3, 1, 3)  # 80, 70, 60 → drop 80 and 60
    with app.app_context():
        avoidance_id = db.session.execute(db.select(Avoidance.id)).scalar_one()
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/{avoidance_id}/cancel", data={"reason": "误设"})
    assert _result(app, declaration_id) == (7500, 4, 2, 4)


def test_recheck_recomputes_after_an_expert_is_found_to_conflict(app, admin_client, review):
    round_id, declaration_id, experts = _scored(app, review, [9000, 8000, 7000, 6000])
    with app.app_context():
        enterprise = db.session.get(Declaration, declaration_id).enterprise_name
    review.expert_row(experts[3], company=f"{enterprise}有限公司")
    assert _result(app, declaration_id) == (7500, 4, 2, 4)  # stored before the change
    admin_client.post(f"/admin/review/rounds/{round_id}/avoidances/recheck")
    assert _result(app, declaration_id) == (8000, 3, 1, 3)


def test_moves_and_auto_grouping_recompute(app, admin_client, review):
    round_id = review.round(started=True)
    group_a = review.group(round_id, "甲组", [review.expert() for _ in range(3)])
    group_b = review.group(round_id, "乙组", [review.expert() for _ in range(4)])
    first, second = review.declarations(2)
    admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{first}", data={"group_id": group_a})
    assert _result(app, first) == (None, 0, 0, 3)
    admin_client.post(f"/admin/review/rounds/{round_id}/assignments/{first}", data={"group_id": group_b})
    assert _result(app, first) == (None, 0, 0, 4)
    assert _result(app, second) is None
    token = admin_client.get(f"/admin/review/rounds/{round_id}/auto-group").text.split('name="token" value="')[1]
    admin_client.post(f"/admin/review/rounds/{round_id}/auto-group", data={"token": token.split('"')[0]})
    with app.app_context():
        placed = dict(db.session.execute(db.select(RoundResult.declaration_id, RoundResult.group_id)).all())
    assert set(placed) == {first, second} and set(placed.values()) <= {group_a, group_b}


def test_the_fast_automatic_rule_agrees_with_auto_conflicts():
    import random

    from app.review.avoidance import auto_conflicts, auto_sources, normalize_company

    rng = random.Random(5)
    names = ["中国石化", "中国石化集团有限公司", "镇海炼化", "镇海炼化分公司", "石化", "ＡＢＣ Co., Ltd.", "abc", "", "化工",
             "中国石化镇海炼化分公司", "Sinopec Corp", "sinopec"]
    for _ in range(2000):
        company, enterprise, unit = rng.choice(names), rng.choice(names), rng.choice(names)
        expert_unit, declaration_unit = rng.choice([None, 1, 2]), rng.choice([1, 2])
        slow = tuple(c.source for c in auto_conflicts(company, expert_unit, declaration_unit, enterprise, unit))
        fast = auto_sources(normalize_company(company), expert_unit, declaration_unit,
                            normalize_company(enterprise), normalize_company(unit))
        assert fast == slow, (company, enterprise, unit)


def test_effective_pairs_within_a_group_are_those_of_the_whole_round(app, review):
    from app.review import avoidance_records

    round_id = review.round(started=True)
    ids = review.declarations(6, units=2)
    experts = [review.expert(company=f"企业{i}有限公司" if i % 2 else "某研究院") for i in range(6)]
    with app.app_context():
        enterprises = [db.session.get(Declaration, i).enterprise_name for i in ids]
    experts.append(review.expert(company=enterprises[0]))
    group = review.group(round_id, "组", experts)
    with app.app_context():
        review_round = db.session.get(ReviewRound, round_id)
        db.session.add(Avoidance(declaration_id=ids[1], expert_id=experts[0], year=review_round.year,
                                 round_id=round_id, source="manual", reason="亲属"))
        db.session.flush()
        everything = avoidance_records.effective_pairs(review_round)
        within = avoidance_records.effective_pairs(review_round, within={d: experts for d in ids})
        assert everything == within and (ids[0], experts[-1]) in within and (ids[1], experts[0]) in within
        assert group


def test_block_conflicts_finds_exactly_the_pairs_of_auto_sources():
    import random

    from app.review.avoidance import auto_sources, block_conflicts, normalize_company

    rng = random.Random(7)
    words = ["中国石化", "镇海", "炼化", "分公司", "集团有限公司", "有限公司", "石化", "ab", "ABC", "Co., Ltd.", "",
             "研究院", "1号", "１号", " "]
    for _ in range(300):
        names = ["".join(rng.choice(words) for _ in range(rng.randint(0, 3))) for _ in range(12)]
        experts = [(e, normalize_company(rng.choice(names)), rng.choice([None, 1, 2, 3])) for e in range(6)]
        declarations = [(100 + d, rng.choice([1, 2, 3]), normalize_company(rng.choice(names)),
                         normalize_company(rng.choice(names))) for d in range(15)]
        expected = {(d, e, source) for d, unit, ent, un in declarations for e, company, e_unit in experts
                    for source in auto_sources(company, e_unit, unit, ent, un)}
        found = block_conflicts(experts, declarations)
        assert len(found) == len(set(found)) and set(found) == expected


def test_the_detail_text_is_exactly_what_json_dumps_writes():
    import json

    cases = [([1, 2, 3, 4, 5], {1: 8550, 2: 9000, 3: 7800, 5: 9200}, {2}), ([7], {7: 100}, set()), ([1, 2], {}, {1})]
    for experts, totals, avoided in cases:
        expected, valid, used, mean_c, text = results.compute(experts, totals, avoided)
        detail = json.loads(text)
        assert json.dumps(detail) == text
        assert [d["expert_id"] for d in detail] == [e for e in experts if e in totals]
        assert sum(d["removed_high"] + d["removed_low"] for d in detail) == (2 if valid >= 3 else 0)
        assert expected == len([e for e in experts if e not in avoided])


def test_adding_and_removing_a_group_member_recompute_the_expected_count(app, review):
    from app.review import groups
    from app.review.models import ReviewGroup

    round_id, declaration_id, experts = _scored(app, review, [9000, 8000, 7000])
    assert _result(app, declaration_id) == (8000, 3, 1, 3)
    newcomer = review.expert()
    with app.app_context():
        group = db.session.execute(db.select(ReviewGroup).filter_by(round_id=round_id)).scalar_one()
        member = groups.add_member(group, newcomer, actor=None)
        db.session.commit()
    assert _result(app, declaration_id) == (8000, 3, 1, 4)  # 评分未完成: the new member has not scored
    with app.app_context():
        group = db.session.execute(db.select(ReviewGroup).filter_by(round_id=round_id)).scalar_one()
        groups.remove_member(group, db.session.merge(member), actor=None)
        db.session.commit()
    assert _result(app, declaration_id) == (8000, 3, 1, 3)
