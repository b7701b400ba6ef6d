"""The rubrics of spec B6 are seeded exactly, with the totals the spec gives, and seeding is idempotent."""
from app.core.extensions import db
from app.review.models import Rubric
from app.review.seeds import RUBRICS, load_rubrics

TOTALS = {"QC-PS": 100, "QC-IN": 100, "BZ": 100, "FB": 28, "XC": 100}
POINTS = {"QC-PS": [15, 30, 20, 20, 5, 10], "QC-IN": [20, 30, 20, 15, 5, 10], "BZ": [15, 15, 30, 25, 10, 5],
          "FB": [6, 6, 4, 4, 4, 4], "XC": [10, 30, 30, 20, 10]}


def test_seed_points_and_totals_follow_the_spec():
    assert {code: [item[3] for item in items] for code, _, _, items in RUBRICS} == POINTS
    assert {code: sum(item[3] for item in items) for code, _, _, items in RUBRICS} == TOTALS


def test_load_rubrics_is_idempotent_and_keeps_edits(app):
    with app.app_context():
        assert sorted(load_rubrics(2027)) == sorted(TOTALS)
        db.session.commit()
        rubric = db.session.execute(db.select(Rubric).filter_by(code="QC-PS", year=2027)).scalar_one()
        assert [i.name for i in rubric.items][:2] == ["选题", "原因分析"] and rubric.total_c == 10000
        assert rubric.items[5].content.startswith("(1) 课题具有特点，成果具有推广价值")
        rubric.items[0].content = "秘书处修改"
        db.session.commit()
        assert load_rubrics(2027) == []
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Rubric.id))) == 5
        kept = db.session.execute(db.select(Rubric).filter_by(code="QC-PS")).scalar_one()
        assert kept.items[0].content == "秘书处修改"
        xc = db.session.execute(db.select(Rubric).filter_by(code="XC")).scalar_one()
        assert xc.items[1].method == "听取介绍、查看记录、现场验证" and xc.total_c == 10000
        fb = db.session.execute(db.select(Rubric).filter_by(code="FB")).scalar_one()
        assert fb.fits("group") and fb.fits("team") and fb.total_c == 2800


def test_flask_load_reference_seeds_the_rubrics_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["load-reference", "--year", "2028"])
    assert first.exit_code == 0 and "2028年度评分表：新增 5 张" in first.output
    second = runner.invoke(args=["load-reference", "--year", "2028"])
    assert "新增 0 张，已有的未作更改" in second.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Rubric.id)).where(Rubric.year == 2028)) == 5
