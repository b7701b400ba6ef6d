"""`make bench`, 成果申报 part: the declaration list and the picker of a unit with 2,000 filings and 300 declarations
(SQL statements, CPU ms per request, p50/p95 at 16 clients through gunicorn as `make run` starts it), and the
peak RSS growth of a worker receiving a 20 MB 成果报告书.

Part of `python -m bench` (on its SQLite file, with its own unit; about 40 s); alone: `python -m bench.declarations`.
"""
import io
import os
import time
import urllib.request
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path

from bench.setup import Server, make_unit

FILINGS = 2000
DECLARATIONS = 300
REPORT_BYTES = 20 * 1024 * 1024 - 64 * 1024  # a 20 MB report (the purpose's limit), mostly pictures
PAGE_REQUESTS = 320


def seed(app):
    """A second unit with 2,000 group filings of the 当前申报年度, 300 of them declared (each with a scan), the window
    open today; returns (unit_id, cookie, csrf, id of a draft to upload into)."""
    from sqlalchemy import insert, select

    from app.core.clock import china_today
    from app.core.extensions import db
    from app.core.settings import set_open_declaration_year
    from app.models import Declaration, DeclarationFile, QcGroupFiling, StoredFile, YearSetting

    unit_id, cookie, csrf = make_unit(app, "benchdecl", "基准测试申报单位有限公司", "91110000000424242T")
    today = china_today()
    year = today.year
    with app.app_context():
        set_open_declaration_year(year)
        db.session.merge(YearSetting(year=year, declaration_start=today - timedelta(days=10),
                                     declaration_end=today + timedelta(days=20),
                                     earliest_completion=today - timedelta(days=300)))
        db.session.execute(insert(QcGroupFiling), [dict(
            unit_id=unit_id, year=year, reg_no=f"QC-{year}-9{i:05d}", enterprise_name=f"中国石化第{i % 40}分公司",
            group_name=f"第{i}号攻关QC小组", topic=f"降低{i}号装置能耗的研究", topic_type="创新型",
            founded_on=date(year - 2, 3, 1), leader="王五", member_count=7, contact="王五", mobile="13912345678")
            for i in range(FILINGS)])
        filing_ids = db.session.scalars(select(QcGroupFiling.id).where(QcGroupFiling.unit_id == unit_id)
                                        .order_by(QcGroupFiling.id).limit(DECLARATIONS)).all()
        db.session.execute(insert(Declaration), [dict(
            year=year, kind="group", unit_id=unit_id, group_filing_id=filing_id, decl_no=f"QCSB-{year}-{i + 1:04d}",
            status="submitted" if i % 3 else "draft", title=f"降低{i}号装置能耗的研究", group_name=f"第{i}号攻关QC小组",
            enterprise_name=f"中国石化第{i % 40}分公司", main_contributors=["王五", "李四"], topic_type="创新型",
            version=1) for i, filing_id in enumerate(filing_ids)])
        declarations = db.session.scalars(select(Declaration.id).where(Declaration.unit_id == unit_id)
                                          .order_by(Declaration.id)).all()
        for declaration_id in declarations:
            stored = StoredFile(stored_name=f"bench-scan-{declaration_id}.png", original_name="盖章.png",
                                content_type="image/png", size=1000, sha256="0" * 64,
                                purpose="declaration_stamped_form", unit_id=unit_id)
            db.session.add(DeclarationFile(declaration_id=declaration_id, purpose="stamped_form", stored_file=stored,
                                           data_hash="00000000"))
        db.session.commit()
    return unit_id, cookie, csrf, declarations[0]


def report_file(size):
    """A .docx of about `size` bytes: a short document with an incompressible picture (stored, like JPEGs)."""
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(zipfile.ZipInfo("word/media/image1.jpeg"), os.urandom(max(size - len(buffer.getvalue()), 0)),
                        compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def _status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


def _upload(server, cookie, csrf, declaration_id, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"成果报告书.docx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{server.url}/declarations/{declaration_id}/files/report", data=body, headers={
        "Cookie": cookie, "X-CSRFToken": csrf, "HX-Request": "true",
        "Content-Type": f"multipart/form-data; boundary={boundary}"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read().decode()
    assert response.status == 200 and "已上传" in text, text[-500:]


def bench_upload_memory(db_path, instance, cookie, csrf, declaration_id, worker_pids):
    """Peak RSS growth (MB) of a single gunicorn worker while it receives a 20 MB report, and the seconds it took.

    The worker is warmed by a small upload first; its peak is then reset (/proc/<pid>/clear_refs) so the figure
    is what this one upload added on top of the warm worker."""
    server = Server(db_path, instance, workers=1)
    try:
        _upload(server, cookie, csrf, declaration_id, report_file(512 * 1024))
        [pid] = worker_pids(server.process.pid)
        data = report_file(REPORT_BYTES)
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak RSS := current RSS
        before = _status(pid)
        started = time.perf_counter()
        _upload(server, cookie, csrf, declaration_id, data)
        seconds = time.perf_counter() - started
        after = _status(pid)
    finally:
        server.stop()
    return after["VmHWM"] - before["VmRSS"], before["VmRSS"], len(data), seconds


def run(app, db_path, instance, query_counts, bench_latency, worker_pids):
    """Seed, measure, and return the rows for the bench table."""
    print("成果申报：2,000 条备案、300 项申报 …", flush=True)
    _unit_id, cookie, csrf, draft_id = seed(app)
    pages = ["/declarations/group/", "/declarations/group/?page=8", "/declarations/group/new",
             "/declarations/group/new?state=todo&q=分公司"]
    counts = query_counts(app, cookie, pages)
    server = Server(db_path, instance)
    try:
        latency = {path: bench_latency(server, cookie, path, PAGE_REQUESTS) for path in pages}
    finally:
        server.stop()
    print("成果申报：20 MB 成果报告书上传的内存 …", flush=True)
    growth, baseline, size, seconds = bench_upload_memory(db_path, instance, cookie, csrf, draft_id, worker_pids)
    rows = []
    for path in pages:
        p50, p95, n = latency[path]
        rows.append((f"GET {path}", f"p95 {p95:.1f} ms", f"p50 {p50:.1f} ms",
                     f"{counts[path][0]} 条SQL，CPU {counts[path][1]:.1f} ms/次，{n} 次请求", "p95 < 100 ms"))
    rows.append((f"上传成果报告书 {size / 1048576:.1f} MB（1 个 worker）", f"峰值 +{growth:.1f} MB", f"worker {baseline:.0f} MB",
                 f"用时 {seconds:.2f} s", "< 30 MB"))
    return rows


def main():
    """This part alone, on a throw-away database."""
    import tempfile

    from bench.__main__ import bench_latency, query_counts, worker_pids
    from bench.setup import make_app

    with tempfile.TemporaryDirectory(prefix="qc-bench-decl-") as tmpdir:
        instance = Path(tmpdir) / "instance"
        (instance / "uploads").mkdir(parents=True)
        os.environ["INSTANCE_PATH"] = str(instance)
        db_path = Path(tmpdir) / "bench.sqlite3"
        app = make_app(db_path, instance)
        started = time.perf_counter()
        rows = run(app, db_path, instance, query_counts, bench_latency, worker_pids)
    for row in rows:
        print(f"{row[0]:<44}{row[1]:>16}  {row[2]:>14}  {row[3]:>34}  {row[4]:>12}")
    print(f"用时 {time.perf_counter() - started:.0f} s；1 分钟平均负载 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）")


if __name__ == "__main__":
    main()
