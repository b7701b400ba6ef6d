"""`make bench`, expert part (BENCH_ONLY=review_expert): the expert's 成果评审 list with 300 assigned declarations
(half of them scored, some 回避), and the secretariat's 评审进度 of the same round — SQL statements, CPU ms and
p95 at 16 clients through gunicorn, as `make run` serves them.
"""
import os
import tempfile
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.secretariat import make_clerk
from bench.setup import SECRET, Server, make_app

DECLARATIONS = 300
UNITS = 30
EXPERTS = 7
GROUPS = 12  # the round's other groups: 评审进度 lists their experts too


def make_expert_session(app, expert_user_id):
    """A server-side session of the expert's login; returns the cookie header."""
    from flask.sessions import SecureCookieSessionInterface

    from app.core.extensions import db
    from app.core.tokens import hash_token, new_token
    from app.models import UserSession

    with app.app_context():
        token = new_token()
        db.session.add(UserSession(token_hash=hash_token(token), user_id=expert_user_id))
        db.session.commit()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": token, "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={cookie}"


def seed(app):
    """A started R1 round of QC groups: one group of 7 experts with 300 accepted declarations assigned, the
    first expert's sheets complete for half of them, 10 of them avoided by him; 12 more groups of 7 experts each.
    Returns (round id, the first expert's user id)."""
    from sqlalchemy import insert

    from app.core.extensions import db
    from app.core.settings import declaration_period
    from app.models import Declaration, QcGroupFiling, Unit, User
    from app.review.models import (Avoidance, Expert, ReviewAssignment, ReviewGroup, ReviewGroupMember,
                                   ReviewRound, Rubric, ScoreItem, ScoreSheet)
    from app.review.seeds import load_rubrics

    now = datetime.utcnow()
    with app.app_context():
        year = declaration_period().year
        load_rubrics(year)
        rubrics = dict(db.session.execute(db.select(Rubric.code, Rubric.id).where(Rubric.year == year)).all())
        db.session.execute(insert(User), [
            dict(username=f"ru{i:04d}", role="unit", password_hash="x", display_name=f"单位{i}", created_at=now,
                 is_enabled=True, must_change_password=False) for i in range(UNITS)])
        user_ids = db.session.execute(db.select(User.id).where(User.username.like("ru%")).order_by(User.id)) \
            .scalars().all()
        db.session.execute(insert(Unit), [
            dict(user_id=uid, name=f"中国石化第{i}分公司", credit_code=f"9135{i:014d}", contact="张三",
                 mobile="13912345678", address="北京", postcode="100723", province_code="11",
                 industry_code="26",
                 email=f"r{i}@example.com", status="approved", created_at=now, updated_at=now)
            for i, uid in enumerate(user_ids)])
        unit_ids = db.session.execute(db.select(Unit.id).order_by(Unit.id)).scalars().all()
        db.session.execute(insert(QcGroupFiling), [
            dict(unit_id=unit_ids[i % UNITS], year=year, reg_no=f"QC-{year}-{600000 + i:06d}",
                 enterprise_name=f"企业{i % 90}", group_name=f"攻关QC小组{i}", topic=f"降低{i}号装置能耗",
                 topic_type=("问题解决型", "创新型")[i % 2], founded_on=date(2020, 1, 1), leader="王五",
                 member_count=7, contact="王五", mobile="13912345678", created_at=now, updated_at=now,
                 source="form")
            for i in range(DECLARATIONS)])
        filings = db.session.execute(db.select(QcGroupFiling.id, QcGroupFiling.unit_id,
                                               QcGroupFiling.group_name,
                                               QcGroupFiling.enterprise_name, QcGroupFiling.topic,
                                               QcGroupFiling.topic_type).order_by(QcGroupFiling.id)).all()
        db.session.execute(insert(Declaration), [
            dict(year=year, kind="group", unit_id=u, group_filing_id=f, status="accepted",
                 decl_no=f"QCSB-{year}-{n:05d}", title=topic, group_name=name, enterprise_name=ent,
                 topic_type=topic_type, address="北京市朝阳区", postcode="100723", contact="王五",
                 mobile="13912345678", leader="王五", member_count=7, main_contributors=["王五", "李四"],
                 summary="简介", completed_on=date(year - 1, 9, 1), submitted_at=now, version=1, created_at=now,
                 updated_at=now, no_accident_pledge=False)
            for n, (f, u, name, ent, topic, topic_type) in enumerate(filings, start=1)])
        declaration_ids = db.session.execute(
            db.select(Declaration.id).order_by(Declaration.id)).scalars().all()
        review_round = ReviewRound(year=year, kind="group", stage="R1", rubric_id=rubrics["QC-PS"],
                                   innovative_rubric_id=rubrics["QC-IN"], starts_at=now - timedelta(days=1),
                                   ends_at=now + timedelta(days=30))
        db.session.add(review_round)
        db.session.flush()
        expert_users = []
        groups = []
        for g in range(GROUPS + 1):
            group = ReviewGroup(round_id=review_round.id, name=f"第{g + 1:02d}专业组")
            db.session.add(group)
            db.session.flush()
            groups.append(group.id)
            for e in range(EXPERTS):
                n = g * EXPERTS + e
                user = User(username=f"bexpert{n:03d}", role="expert", password_hash="x",
                            display_name=f"评委{n}")
                db.session.add(user)
                db.session.flush()
                expert = Expert(user_id=user.id, name=f"评委{n}", company=f"某研究院{n}",
                                mobile=f"139{n:08d}", email=f"x{n}@example.com", kinds=["group"])
                db.session.add(expert)
                db.session.flush()
                db.session.add(ReviewGroupMember(group_id=group.id, round_id=review_round.id,
                                                 expert_id=expert.id, is_leader=e == 0))
                expert_users.append((user.id, expert.id))
        db.session.execute(insert(ReviewAssignment), [
            dict(round_id=review_round.id, group_id=groups[0], declaration_id=d, created_at=now,
                 updated_at=now)
            for d in declaration_ids])
        first_user, first_expert = expert_users[0]
        db.session.execute(insert(Avoidance), [
            dict(declaration_id=d, expert_id=first_expert, year=year, round_id=review_round.id,
                 source="manual", reason="利害关系", created_at=now) for d in declaration_ids[-10:]])
        items = {code: db.session.get(Rubric, rubrics[code]).items for code in ("QC-PS", "QC-IN")}
        topic_of = dict(db.session.execute(db.select(Declaration.id, Declaration.topic_type)).all())
        for d in declaration_ids[:DECLARATIONS // 2]:
            rubric_items = items["QC-IN" if topic_of[d] == "创新型" else "QC-PS"]
            sheet = ScoreSheet(round_id=review_round.id, declaration_id=d, expert_id=first_expert,
                               rubric_id=rubric_items[0].rubric_id, status="draft", is_complete=True,
                               total_c=sum(i.max_points_c for i in rubric_items), saved_at=now, version=1,
                               overall_comment="", recommend_level="")
            db.session.add(sheet)
            db.session.flush()
            db.session.execute(insert(ScoreItem), [
                dict(sheet_id=sheet.id, rubric_item_id=i.id, points_c=i.max_points_c, updated_at=now)
                for i in rubric_items])
        db.session.commit()
        return review_round.id, first_user


def warm(server, cookie, path, requests=12):
    """A few requests with a long timeout before timing: on a busy box gunicorn's workers may still be loading
    the app when the port already answers, and the timed clients give up after 30 s."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_):
        request = urllib.request.Request(server.url + urllib.parse.quote(path, safe="/?=&"),
                                         headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=300) as response:
            assert response.status == 200, response.status
            response.read()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(requests)))


def run(runs, query_counts, bench_latency):
    """Everything of this part; returns the table rows."""
    del runs
    with tempfile.TemporaryDirectory(prefix="qc-bench-review-expert-") as tmpdir:
        tmp = Path(tmpdir)
        instance = tmp / "instance"
        (instance / "uploads").mkdir(parents=True)
        db_path = tmp / "review_expert.sqlite3"
        app = make_app(db_path, instance)
        print(f"生成评审数据（{DECLARATIONS} 项成果分到一个专业组，{(GROUPS + 1) * EXPERTS} 位评委）…", flush=True)
        round_id, expert_user = seed(app)
        expert_cookie = make_expert_session(app, expert_user)
        clerk_cookie = make_clerk(app)
        expert_pages = ["/review/", f"/review/?round={round_id}&title=装置&topic=创新型"]
        clerk_pages = [f"/admin/review/progress?round={round_id}",
                       f"/admin/review/progress?round={round_id}&page=2"]
        print("成果评审（专家）与评审进度（秘书处）：查询数、CPU 与 16 并发 p95 …", flush=True)
        counts = query_counts(app, expert_cookie, expert_pages)
        counts.update(query_counts(app, clerk_cookie, clerk_pages))
        server = Server(db_path, instance)
        try:
            warm(server, expert_cookie, expert_pages[0])
            latency = {path: bench_latency(server, expert_cookie, path) for path in expert_pages}
            latency.update({path: bench_latency(server, clerk_cookie, path) for path in clerk_pages})
        finally:
            server.stop()
    table = []
    for path in expert_pages + clerk_pages:
        p50, p95, n = latency[path]
        label = "专家 " if path.startswith("/review/") else "秘书处 "
        table.append((f"{label}GET {path}", f"p95 {p95:.1f} ms", f"p50 {p50:.1f} ms",
                      f"{counts[path][0]} 条SQL，CPU {counts[path][1]:.1f} ms/次，{n} 次请求", "p95 < 100 ms"))
    return table


if __name__ == "__main__":  # python -m bench.review_expert: this part alone
    from bench.__main__ import RUNS, bench_latency, print_table, query_counts  # noqa: E402

    os.environ.setdefault("SECRET_KEY", SECRET)
    print_table(run(RUNS, query_counts, bench_latency))
