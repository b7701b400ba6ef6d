"""Stored round means (spec B8.1): recompute writes round_result from the submitted, non-avoided sheets."""
from app.core.extensions import db
from app.review import results
from app.review.models import Avoidance, ReviewAssignment, ReviewRound, RoundResult, ScoreSheet


def _scored(app, review, totals, avoided=()):
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
        db.session.commit()
    return round_id, declaration_id, experts


def test_recompute_stores_the_trimmed_mean_with_its_detail(app, review):
    round_id, declaration_id, experts = _scored(app, review, [8550, 9000, 7800, 8800, 9200])
    with app.app_context():
        assert results.recompute(db.session.get(ReviewRound, round_id)) == 1
        db.session.commit()
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        assert (row.declaration_id, row.mean_c, row.valid_count, row.used_count) == (declaration_id, 8783, 5, 3)
        dropped = {d["expert_id"]: (d["removed_high"], d["removed_low"]) for d in row.detail}
        assert dropped[experts[4]] == (True, False) and dropped[experts[2]] == (False, True)
        assert results.recompute(db.session.get(ReviewRound, round_id)) == 0  # nothing changed, nothing written


def test_an_avoided_expert_is_excluded_and_not_expected(app, review):
    round_id, _, _ = _scored(app, review, [8000, 8200, 8500, 8800, 9000, 9900], avoided=[5])
    with app.app_context():
        results.recompute(db.session.get(ReviewRound, round_id))
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        assert (row.mean_c, row.valid_count, row.expected_count, row.is_incomplete) == (8500, 5, 5, False)


def test_a_missing_sheet_marks_the_result_incomplete(app, review):
    round_id, _, _ = _scored(app, review, [8000, 8500, None])
    with app.app_context():
        results.recompute(db.session.get(ReviewRound, round_id))
        row = db.session.execute(db.select(RoundResult)).scalar_one()
        assert (row.mean_c, row.valid_count, row.expected_count, row.is_incomplete) == (8250, 2, 3, True)


def test_certificate_numbers_follow_level_then_score_and_are_never_reused(app, review):
    from app.review.certificate_numbers import allocate_numbers
    from app.review.models import AwardResult

    ids = review.declarations(4)
    year = review.year()
    with app.app_context():
        for declaration_id, level, score in zip(ids, ["二等", "一等", "一等", "未获奖"], [8000, 8600, 9000, 5000]):
            db.session.add(AwardResult(declaration_id=declaration_id, year=year, kind="group", level=level,
                                       level_score_c=score))
        db.session.commit()
        assert allocate_numbers(year, "group") == 3
        numbers = dict(db.session.execute(db.select(AwardResult.declaration_id, AwardResult.certificate_no)).all())
        assert [numbers[i] for i in ids] == [f"CPCIF-QC-{year}-0003", f"CPCIF-QC-{year}-0002",
                                             f"CPCIF-QC-{year}-0001", None]
        db.session.execute(db.update(AwardResult).where(AwardResult.declaration_id == ids[0]).values(
            certificate_no=None, level="未获奖"))
        db.session.execute(db.update(AwardResult).where(AwardResult.declaration_id == ids[3]).values(level="三等"))
        assert allocate_numbers(year, "group") == 1
        assert db.session.execute(db.select(AwardResult.certificate_no).where(
            AwardResult.declaration_id == ids[3])).scalar_one() == f"CPCIF-QC-{year}-0004"
