"""证书编号 (spec B12): allocated in order of level then score, never reused (the stored means are tested in
test_recompute.py)."""
from app.core.extensions import db


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
