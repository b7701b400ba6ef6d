"""`make bench`, 申报 part: 申报总览 and 形式审查 with 10,000 declarations (SQL statements, CPU ms and p95 at 16
clients through gunicorn), the 申报汇总 export against the bare openpyxl writer, and the streamed zip of 1 GB of
files (peak RSS growth, throughput against reading the same files from disk) in a fresh process.
"""
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import date, datetime
from pathlib import Path

from bench.setup import ROOT, SECRET, Server, make_app

DECLARATIONS = 10_000
UNITS = 200
ZIP_FILES = 64
ZIP_FILE_MB = 16  # 64 × 16 MiB = 1 GiB


def make_clerk(app):
    """A secretariat clerk with a server-side session; returns the cookie header."""
    from flask.sessions import SecureCookieSessionInterface

    from app.core.extensions import db
    from app.core.tokens import hash_token, new_token
    from app.models import User, UserSession

    with app.app_context():
        user = User(username="benchclerk", role="secretariat", password_hash="x", display_name="基准秘书处")
        token = new_token()
        db.session.add_all([user, UserSession(token_hash=hash_token(token), user=user)])
        db.session.commit()
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"_user_id": token, "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={cookie}"


def seed(app, year):
    """200 units with 10,000 submitted declarations (half groups, half teams), three files each, documents."""
    from sqlalchemy import insert

    from app.core.extensions import db
    from app.models import (Declaration, DeclarationFile, QcGroupFiling, StoredFile, TeamFiling, Unit,
                            UnitYearDocument, User)

    now = datetime.utcnow()
    with app.app_context():
        users = [dict(username=f"bu{i:04d}", role="unit", password_hash="x", display_name=f"单位{i}",
                      created_at=now, is_enabled=True, must_change_password=False) for i in range(UNITS)]
        db.session.execute(insert(User), users)
        user_ids = db.session.execute(
            db.select(User.id).where(User.username.like("bu%")).order_by(User.id)).scalars().all()
        db.session.execute(insert(Unit), [
            dict(user_id=uid, name=f"中国石化第{i}分公司（集团）", credit_code=f"9135{i:014d}", contact="张三",
                 mobile="13912345678", address="北京", postcode="100723", province_code=("11", "32", "37")[i % 3],
                 industry_code="26", email=f"u{i}@example.com", status="approved", created_at=now, updated_at=now)
            for i, uid in enumerate(user_ids)])
        unit_ids = db.session.execute(db.select(Unit.id).order_by(Unit.id)).scalars().all()
        half = DECLARATIONS // 2
        db.session.execute(insert(QcGroupFiling), [
            dict(unit_id=unit_ids[i % UNITS], year=year, reg_no=f"QC-{year}-{700000 + i:06d}",
                 enterprise_name=f"企业{i % 900}", group_name=f"攻关QC小组{i}", topic=f"降低{i}号装置能耗",
                 topic_type="创新型", founded_on=date(2020, 1, 1),
                 leader="王五", member_count=7, contact="王五", mobile="13912345678", created_at=now, updated_at=now,
                 source="form") for i in range(half)])
        db.session.execute(insert(TeamFiling), [
            dict(unit_id=unit_ids[i % UNITS], year=year, reg_no=f"BZ-{year}-{700000 + i:06d}",
                 enterprise_name=f"企业{i % 900}", team_name=f"常减压{i}班", department="炼油部", leader="赵六",
                 member_count=12, contact="赵六", mobile="13912345678", created_at=now, updated_at=now,
                 source="form") for i in range(half)])
        groups = db.session.execute(db.select(QcGroupFiling.id, QcGroupFiling.unit_id, QcGroupFiling.group_name,
                                              QcGroupFiling.enterprise_name, QcGroupFiling.topic)).all()
        teams = db.session.execute(db.select(TeamFiling.id, TeamFiling.unit_id, TeamFiling.team_name,
                                             TeamFiling.enterprise_name)).all()
        common = dict(year=year, status="submitted", address="北京市朝阳区", postcode="100723", contact="王五",
                      mobile="13912345678", leader="王五", member_count=7, main_contributors=["王五", "李四"],
                      summary="简介" * 100, completed_on=date(year - 1, 9, 1), submitted_at=now, version=1,
                      created_at=now, updated_at=now, no_accident_pledge=True, data_hash="ABCDEF01")
        rows = [dict(common, kind="group", unit_id=u, group_filing_id=f, decl_no=f"QCSB-{year}-{n:05d}", title=topic,
                     group_name=name, enterprise_name=ent, topic_type="创新型", economic_benefit_c=12345)
                for n, (f, u, name, ent, topic) in enumerate(groups, start=1)]
        rows += [dict(common, kind="team", unit_id=u, team_filing_id=f, decl_no=f"BZSB-{year}-{n:05d}",
                      title=f"班组建设成果{n}", group_name=name, enterprise_name=ent, accidents=0,
                      rate_work_completion_c=9850, quality_cost_c=1200)
                 for n, (f, u, name, ent) in enumerate(teams, start=1)]
        db.session.execute(insert(Declaration), rows)
        ids = db.session.execute(db.select(Declaration.id).order_by(Declaration.id)).scalars().all()
        files = [dict(stored_name=f"bench-{i}-{p}.bin", original_name=f"{p}.pdf", content_type="application/pdf",
                      size=1000, sha256="0" * 64, purpose="declaration", created_at=now)
                 for i in ids for p in ("report", "records", "stamped_form")]
        db.session.execute(insert(StoredFile), files)
        stored = dict(db.session.execute(db.select(StoredFile.stored_name, StoredFile.id)).all())
        db.session.execute(insert(DeclarationFile), [
            dict(declaration_id=i, purpose=p, stored_file_id=stored[f"bench-{i}-{p}.bin"], data_hash="ABCDEF01",
                 created_at=now) for i in ids for p in ("report", "records", "stamped_form")])
        db.session.execute(insert(UnitYearDocument), [
            dict(unit_id=u, year=year, doc=doc, header={}, stored_file_id=stored[f"bench-{ids[0]}-report.bin"],
                 data_hash="ABCDEF01", uploaded_at=now, updated_at=now)
            for u in unit_ids for doc in ("summary_group", "summary_team", "statistics")])
        db.session.commit()


def bench_export(app, runs):
    """Median seconds of the 申报汇总 export (10,000 rows, every field) vs the bare writer writing the same cells."""
    from openpyxl import Workbook

    from app.core.extensions import db
    from app.declarations import export
    from app.declarations.overview import Filters

    ours, bare = [], []
    with app.test_request_context():
        filters = Filters(year=app.config["BENCH_YEAR"])
        rows = list(export.rows_of(db.session.execute(export.export_query(filters))))
        for _ in range(runs):
            started = time.perf_counter()
            export.export(filters).read()
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            book = Workbook(write_only=True)
            sheet = book.create_sheet("申报汇总")
            sheet.append(export.HEADER)
            for row in rows:
                sheet.append(row)
            buffer = io.BytesIO()
            book.save(buffer)
            bare.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(bare), len(rows)


def make_zip_files(app, folder):
    """1 GiB of incompressible files in the upload folder: two per declaration of the first unit (32 of them).

    Returns the unit's id; its zip then holds these 64 files (the small seeded files do not exist on disk)."""
    from app.core.extensions import db
    from app.models import Declaration, DeclarationFile, StoredFile

    block = os.urandom(1024 * 1024)
    with app.app_context():
        unit_id = db.session.scalar(db.select(Declaration.unit_id).order_by(Declaration.id).limit(1))
        ids = db.session.execute(db.select(Declaration.id).where(Declaration.unit_id == unit_id)
                                 .order_by(Declaration.id).limit(ZIP_FILES // 2)).scalars().all()
        for n in range(ZIP_FILES):
            name = f"zip-{n}.pdf"
            crc = 0
            with open(folder / name, "wb") as handle:
                for i in range(ZIP_FILE_MB):
                    chunk = i.to_bytes(4, "big") + n.to_bytes(4, "big") + block[8:]
                    crc = zlib.crc32(chunk, crc)  # as uploads.receive computes it while the upload streams in
                    handle.write(chunk)
            stored = StoredFile(stored_name=name, original_name=f"成果材料{n}.pdf", content_type="application/pdf",
                                size=ZIP_FILE_MB * 1024 * 1024, sha256="0" * 64, crc32=crc, purpose="declaration")
            db.session.add(stored)
            db.session.flush()
            db.session.add(DeclarationFile(declaration_id=ids[n // 2], purpose=("slides", "report_pdf")[n % 2],
                                           stored_file_id=stored.id))
        db.session.commit()
        return unit_id


def bench_zip(db_path, instance, cookie, unit_id, year):
    """Peak RSS growth and throughput of the streamed zip vs reading the files, in a fresh process."""
    out = subprocess.run([sys.executable, "-m", "bench.zipmem", str(db_path), str(instance), cookie,
                          str(unit_id), str(year)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, INSTANCE_PATH=str(instance)))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    *times, size = out.stdout.split()[-6:]
    return [float(value) for value in times] + [int(size)]


def run(runs, query_counts, bench_latency):
    """Everything of this part; returns the table rows."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-decl-") as tmpdir:
        tmp = Path(tmpdir)
        instance = tmp / "instance"
        uploads = instance / "uploads"
        uploads.mkdir(parents=True)
        db_path = tmp / "declarations.sqlite3"
        app = make_app(db_path, instance)
        with app.app_context():
            from app.core.settings import open_declaration_year
            year = open_declaration_year()
        app.config["BENCH_YEAR"] = year
        print(f"生成 {DECLARATIONS:,} 项申报（{UNITS} 家单位，每项 3 个文件）…", flush=True)
        seed(app, year)
        cookie = make_clerk(app)
        pages = ["/admin/declarations", "/admin/declarations?page=300", "/admin/declarations?q=装置&kind=group",
                 "/admin/formal-checks", "/admin/formal-checks?page=300", "/admin/declarations/units"]
        print("申报总览 / 形式审查：查询数、CPU 与 16 并发 p95 …", flush=True)
        counts = query_counts(app, cookie, pages)
        server = Server(db_path, instance)
        try:
            latency = {path: bench_latency(server, cookie, path) for path in pages}
        finally:
            server.stop()
        print(f"导出 {DECLARATIONS:,} 项申报 vs 裸写入器 …", flush=True)
        ours, bare, rows = bench_export(app, max(runs - 2, 3))
        print("生成 1 GB 文件并打包下载（独立进程）…", flush=True)
        unit_id = make_zip_files(app, uploads)
        growth, zip_seconds, floor_seconds, warm_zip, warm_floor, size = bench_zip(db_path, instance, cookie,
                                                                                   unit_id, year)
    table = []
    for path in pages:
        p50, p95, n = latency[path]
        table.append((f"GET {path}", f"p95 {p95:.1f} ms", f"p50 {p50:.1f} ms",
                      f"{counts[path][0]} 条SQL，CPU {counts[path][1]:.1f} ms/次，{n} 次请求", "p95 < 100 ms"))
    table.append((f"导出 {rows:,} 项申报（全部字段）", f"{ours:.3f} s", f"裸写入器 {bare:.3f} s", f"{ours / bare:.2f}×",
                  "≤ 1.3×"))
    gib = size / 1024 ** 3
    table.append((f"打包下载 {gib:.2f} GiB（{ZIP_FILES} 个文件）", f"{zip_seconds:.2f} s", f"读盘 {floor_seconds:.2f} s",
                  f"{zip_seconds / floor_seconds:.2f}×，{size / zip_seconds / 1e6:.0f} MB/s", "≤ 1.5×"))
    table.append(("  同上，文件已在页缓存中", f"{warm_zip:.2f} s", f"读缓存 {warm_floor:.2f} s",
                  f"{warm_zip / warm_floor:.2f}×（复制）", ""))
    table.append(("  同上，峰值内存增长", f"{growth:.1f} MB", "", "", "< 50 MB"))
    return table


if __name__ == "__main__":  # python -m bench.secretariat: this part alone
    from bench.__main__ import RUNS, bench_latency, print_table, query_counts  # noqa: E402

    os.environ.setdefault("SECRET_KEY", SECRET)
    print_table(run(RUNS, query_counts, bench_latency))
