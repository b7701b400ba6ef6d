"""`make bench`, 成果评审 part (BENCH_ONLY=review): the stored round means of 10,000 declarations × 7 experts
recomputed from scratch and again unchanged, against a bare floor (one SQL read of the submitted totals plus the
trimmed means in plain Python); the secretariat's 评分矩阵 with 10,000 declarations (SQL statements, CPU ms and p95
at 16 clients through gunicorn); the matrix export.
"""
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.secretariat import make_clerk
from bench.setup import SECRET, Server, make_app

DECLARATIONS = 10_000
GROUPS = 10
EXPERTS_PER_GROUP = 7
UNITS = 200
ENTERPRISES = 2000


def seed(app):
    """10,000 accepted QC-group declarations of 200 units in one round (R1), 10 专业组 of 7 experts, every
    declaration assigned, 70,000 submitted sheets (a few drafts), manual and automatic 回避 (stored by 重新检查回避).
    Returns the round id."""
    from sqlalchemy import insert

    from app.core.extensions import db
    from app.core.settings import current_declaration_period
    from app.models import Declaration, QcGroupFiling, Unit, User
    from app.review import avoidance_records
    from app.review.models import (Avoidance, Expert, ReviewAssignment, ReviewGroup, ReviewGroupMember,
                                   ReviewRound, Rubric, RoundResult, ScoreSheet)
    from app.review.seeds import load_rubrics

    rng = random.Random(14)
    now = datetime.utcnow()
    with app.app_context():
        year = current_declaration_period().year
        db.session.execute(insert(User), [
            dict(username=f"ru{i:04d}", role="unit", password_hash="x", display_name=f"单位{i}", created_at=now,
                 is_enabled=True, must_change_password=False) for i in range(UNITS)])
        user_ids = db.session.execute(db.select(User.id).where(User.username.like("ru%")).order_by(User.id)
                                      ).scalars().all()
        db.session.execute(insert(Unit), [
            dict(user_id=uid, name=f"中国石化第{i}分公司", credit_code=f"9135{i:014d}", contact="张三",
                 mobile="13912345678", address="北京", postcode="100723", province_code="11", industry_code="26",
                 email=f"u{i}@example.com", status="approved", created_at=now, updated_at=now)
            for i, uid in enumerate(user_ids)])
        unit_ids = db.session.execute(db.select(Unit.id).order_by(Unit.id)).scalars().all()
        db.session.execute(insert(QcGroupFiling), [
            dict(unit_id=unit_ids[i % UNITS], year=year, reg_no=f"QC-{year}-{800000 + i:06d}",
                 enterprise_name=f"镇海{i % ENTERPRISES}号炼化有限公司", group_name=f"攻关QC小组{i}",
                 topic=f"降低{i}号装置能耗", topic_type="创新型", founded_on=date(2020, 1, 1), leader="王五",
                 member_count=7, contact="王五", mobile="13912345678", created_at=now, updated_at=now,
                 source="form") for i in range(DECLARATIONS)])
        filings = db.session.execute(db.select(QcGroupFiling.id, QcGroupFiling.unit_id, QcGroupFiling.group_name,
                                               QcGroupFiling.enterprise_name, QcGroupFiling.topic)
                                     .where(QcGroupFiling.year == year).order_by(QcGroupFiling.id)).all()
        db.session.execute(insert(Declaration), [
            dict(year=year, kind="group", status="accepted", unit_id=u, group_filing_id=f,
                 decl_no=f"QCSB-{year}-{n:05d}", title=topic, group_name=name, enterprise_name=ent,
                 topic_type=("问题解决型", "创新型")[n % 2], address="北京市朝阳区", postcode="100723", contact="王五",
                 mobile="13912345678", leader="王五", member_count=7, main_contributors=["王五", "李四", "赵六"],
                 summary="简介", completed_on=date(year - 1, 9, 1), submitted_at=now, version=1, created_at=now,
                 updated_at=now, economic_benefit_c=12345, data_hash="ABCDEF01")
            for n, (f, u, name, ent, topic) in enumerate(filings, start=1)])
        load_rubrics(year)
        rubric_id = db.session.execute(db.select(Rubric.id).where(Rubric.code == "QC-PS", Rubric.year == year)
                                       ).scalar_one()
        review_round = ReviewRound(year=year, kind="group", stage="R1", rubric_id=rubric_id,
                                   starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=20))
        db.session.add(review_round)
        db.session.flush()
        experts = []
        for g in range(GROUPS):
            group = ReviewGroup(round_id=review_round.id, name=f"第{g + 1}专业组")
            db.session.add(group)
            db.session.flush()
            for k in range(EXPERTS_PER_GROUP):
                n = g * EXPERTS_PER_GROUP + k
                # every 10th expert works at an enterprise that declares (automatic 回避 by name); every 7th was
                # recommended by a declaring unit (automatic 回避 by unit)
                company = f"镇海{n * 37 % ENTERPRISES}号炼化有限公司" if n % 10 == 3 else f"石油化工研究院{n}所"
                expert = Expert(name=f"专家{n + 1}", company=company, kinds=["group"],
                                recommended_by_unit_id=unit_ids[n * 13 % UNITS] if n % 7 == 5 else None)
                db.session.add(expert)
                db.session.flush()
                db.session.add(ReviewGroupMember(group_id=group.id, round_id=review_round.id, expert_id=expert.id,
                                                 is_leader=k == 0))
                experts.append((group.id, expert.id))
        db.session.flush()
        group_ids = sorted({g for g, _ in experts})
        members = defaultdict(list)
        for g, e in experts:
            members[g].append(e)
        declaration_ids = db.session.execute(db.select(Declaration.id).where(Declaration.year == year)
                                             .order_by(Declaration.id)).scalars().all()
        db.session.execute(insert(ReviewAssignment), [
            dict(round_id=review_round.id, group_id=group_ids[i % GROUPS], declaration_id=d, created_at=now,
                 updated_at=now) for i, d in enumerate(declaration_ids)])
        sheets, manual = [], []
        for i, d in enumerate(declaration_ids):
            group = group_ids[i % GROUPS]
            for k, e in enumerate(members[group]):
                draft = i % 97 == k  # about one declaration in 14 still waits for one expert
                sheets.append(dict(round_id=review_round.id, declaration_id=d, expert_id=e, rubric_id=rubric_id,
                                   status="draft" if draft else "submitted", total_c=rng.randint(6000, 9800),
                                   is_complete=True, version=1, saved_at=now, submitted_at=None if draft else now,
                                   created_at=now, overall_comment="", recommend_level=""))
            if i % 50 == 0:
                manual.append(dict(declaration_id=d, expert_id=members[group][i % EXPERTS_PER_GROUP], year=year,
                                   round_id=review_round.id, source="manual", reason="亲属关系", created_at=now,
                                   cancel_reason=""))
        db.session.execute(insert(ScoreSheet), sheets)
        db.session.execute(insert(Avoidance), manual)
        avoidance_records.recheck(review_round, None)
        db.session.execute(db.delete(RoundResult))
        db.session.commit()
        return review_round.id


def floor(connection, round_id):
    """The bare floor: one SQL read of the submitted totals, then the trimmed means in plain Python (integer
    hundredths, HALF_UP). Returns (wall seconds, CPU seconds, number of means)."""
    cpu, started = time.process_time(), time.perf_counter()
    totals = defaultdict(list)
    for declaration_id, total_c in connection.execute(
            "SELECT declaration_id, total_c FROM score_sheet WHERE round_id = ? AND status = 'submitted'",
            (round_id,)).fetchall():
        totals[declaration_id].append(total_c)
    means = {}
    for declaration_id, values in totals.items():
        n, whole = len(values), sum(values)
        if n >= 3:
            whole, n = whole - max(values) - min(values), n - 2
        means[declaration_id] = (2 * whole + n) // (2 * n)
    return time.perf_counter() - started, time.process_time() - cpu, len(means)


def _timed(work):
    cpu, started = time.process_time(), time.perf_counter()
    value = work()
    return time.perf_counter() - started, time.process_time() - cpu, value


def bench_recompute(app, db_path, round_id, runs):
    """Medians (wall, CPU) of recompute from scratch (round_result emptied first, outside the timing), of
    recompute with nothing changed (commit included in both), and of the floor, interleaved."""
    from app.core.extensions import db
    from app.review import results
    from app.review.models import ReviewRound, RoundResult

    figures = defaultdict(list)
    connection = sqlite3.connect(db_path)

    def run_once():
        written = results.recompute(db.session.get(ReviewRound, round_id))
        db.session.commit()
        return written

    try:
        with app.app_context():
            for _ in range(runs):
                db.session.execute(db.delete(RoundResult))
                db.session.commit()
                db.session.expire_all()
                wall, cpu, written = _timed(run_once)
                assert written == DECLARATIONS, written
                figures["scratch"].append((wall, cpu))
                wall, cpu, written = _timed(run_once)
                assert written == 0, written
                figures["unchanged"].append((wall, cpu))
                wall, cpu, means = floor(connection, round_id)
                figures["floor"].append((wall, cpu))
            rows = db.session.scalar(db.select(db.func.count(RoundResult.id)))
    finally:
        connection.close()
    assert rows == DECLARATIONS, rows
    return {key: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
            for key, values in figures.items()}, means


def bench_export(app, round_id, runs):
    """Median seconds of the 评分矩阵 export of the whole round."""
    from app.core.extensions import db
    from app.review import matrix
    from app.review.models import ReviewRound

    times = []
    with app.test_request_context():
        review_round = db.session.get(ReviewRound, round_id)
        for _ in range(runs):
            started = time.perf_counter()
            size = len(matrix.export(review_round).read())
            times.append(time.perf_counter() - started)
    return statistics.median(times), size


def run(runs, query_counts, bench_latency):
    """Everything of this part; returns the table rows."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-review-") as tmpdir:
        tmp = Path(tmpdir)
        instance = tmp / "instance"
        (instance / "uploads").mkdir(parents=True)
        db_path = tmp / "review.sqlite3"
        app = make_app(db_path, instance)
        print(f"生成 {DECLARATIONS:,} 项参评成果 × {EXPERTS_PER_GROUP} 位专家（{GROUPS} 个专业组）的评分 …", flush=True)
        round_id = seed(app)
        print("重新计算平均分：从零 / 无变化 vs 裸下限 …", flush=True)
        figures, means = bench_recompute(app, db_path, round_id, runs)
        for key, label in (("scratch", "从零"), ("unchanged", "无变化"), ("floor", "裸下限")):
            print(f"  {label} {figures[key][0]:.3f} s（CPU {figures[key][1]:.3f} s）", flush=True)
        cookie = make_clerk(app)
        with app.app_context():
            from app.core.extensions import db
            from app.review.models import ReviewGroup
            last_group = db.session.scalar(db.select(db.func.max(ReviewGroup.id)))
        pages = [f"/admin/review/matrix?round={round_id}", f"/admin/review/matrix?round={round_id}&page=300",
                 f"/admin/review/matrix?round={round_id}&group={last_group}&page=10",
                 "/admin/declarations"]  # the 申报总览 of the same 10,000 declarations, for reference
        print("评分矩阵：查询数、CPU 与 16 并发 p95 …", flush=True)
        counts = query_counts(app, cookie, pages)
        server = Server(db_path, instance)
        try:
            latency = {path: bench_latency(server, cookie, path) for path in pages}
        finally:
            server.stop()
        print("导出评分矩阵 …", flush=True)
        export_seconds, size = bench_export(app, round_id, max(runs - 4, 3))
    floor_wall, floor_cpu = figures["floor"]
    table = []
    for key, label in (("scratch", f"重新计算 {DECLARATIONS:,} 项 × {EXPERTS_PER_GROUP} 位专家（从零）"),
                       ("unchanged", "  同上，无变化（不写入）")):
        wall, cpu = figures[key]
        table += [(label, f"{wall:.3f} s", f"裸下限 {floor_wall:.3f} s", f"{wall / floor_wall:.2f}×", "≤ 2×，< 2 s"),
                  ("    CPU 时间", f"{cpu:.3f} s", f"裸下限 {floor_cpu:.3f} s", f"{cpu / floor_cpu:.2f}×", "≤ 2×")]
    for path in pages:
        p50, p95, n = latency[path]
        table.append((f"GET {path.replace(f'round={round_id}', 'round=…')}", f"p95 {p95:.1f} ms",
                      f"p50 {p50:.1f} ms", f"{counts[path][0]} 条SQL，CPU {counts[path][1]:.1f} ms/次，{n} 次请求",
                      "p95 < 100 ms"))
    table.append((f"导出评分矩阵 {DECLARATIONS:,} 项（{size / 1e6:.1f} MB）", f"{export_seconds:.2f} s", "", "", ""))
    return table


if __name__ == "__main__":  # python -m bench.review: this part alone
    from bench.__main__ import RUNS, bench_latency, print_table, query_counts  # noqa: E402

    os.environ.setdefault("SECRET_KEY", SECRET)
    print_table(run(RUNS, query_counts, bench_latency))
