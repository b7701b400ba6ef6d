"""`make bench`: import speed vs the bare floor, import memory, export vs the bare writer, page latency.

Everything runs on a throw-away SQLite database in a temp folder; the HTTP figures go through gunicorn
started as `make run` does, on loopback. Prints one table (medians; ratios against the floors).
"""
import gc
import http.client
import io
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from bench import declarations as declaration_bench
from bench.realistic import realistic_group_file
from bench.setup import ROOT, Server, group_file, make_app, make_unit, multipart

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
CLIENTS = 16
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "480"))
TIME_CAP = 60.0
CPU_SAMPLES = 60


def request(url, cookie, csrf=None, body=None, content_type=None, timeout=120):
    """One request; returns (status, text)."""
    headers = {"Cookie": cookie, "HX-Request": "true"}
    if csrf:
        headers["X-CSRFToken"] = csrf
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def clear_filings(db_path):
    """Remove imported rows between runs (raw SQL, outside the measurement)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM qc_group_filing")
        conn.execute("DELETE FROM reg_no_counter")


def worker_pids(master):
    """The pids of gunicorn's workers (children of the master), from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry))
    return pids


def cpu_seconds(pids):
    """CPU time the processes have run, from /proc/<pid>/schedstat (nanoseconds on a CPU; single-threaded
    workers); 0 where the kernel does not provide it."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as handle:
                total += int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def floor_import(db_path, data, unit_id, year, cpu=None):
    """The bare floor: python-calamine reads the sheet, one executemany INSERT of the raw rows.
    Returns wall seconds; appends the CPU seconds to `cpu` when given."""
    from python_calamine import CalamineWorkbook

    gc.disable()  # as the endpoint does: no cyclic GC passes over the parsed cells
    cpu_started = time.process_time()
    started = time.perf_counter()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    now = datetime.utcnow().isoformat(" ")
    params = [(f"QC-{year}-{i:06d}", year, r[0], r[6], int(r[7]), r[9], str(int(r[10])), unit_id, r[1], r[2],
               r[3], r[4], r[11], now, now) for i, r in enumerate(rows[1:], start=1)]
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executemany(
            "INSERT INTO qc_group_filing (reg_no, year, enterprise_name, leader, member_count, contact,"
            " mobile, unit_id, group_name, topic, topic_type, founded_on, email, created_at, updated_at,"
            " source)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'import')", params)
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(time.process_time() - cpu_started)
    gc.enable()
    return elapsed


def floor_import_raw(db_path, data, unit_id, year, cpu=None):
    """The floor for the realistic file: python-calamine reads the sheet, one executemany INSERT of the 13
    cells of every row as read (no conversion at all: a bare floor cannot read 2024年3月1日 or ７).
    Returns wall seconds; appends the CPU seconds to `cpu` when given."""
    from python_calamine import CalamineWorkbook

    gc.disable()
    cpu_started = time.process_time()
    started = time.perf_counter()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    now = datetime.utcnow().isoformat(" ")
    params = [(f"QC-{year}-{i:06d}", year, *r[:13], unit_id, now, now)
              for i, r in enumerate(rows[1:], start=1)]
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executemany(
            "INSERT INTO qc_group_filing (reg_no, year, enterprise_name, group_name, topic, topic_type,"
            " founded_on, topic_registered_on, leader, member_count, advisor, contact, mobile, email, remark,"
            " unit_id, created_at, updated_at, source)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'import')", params)
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(time.process_time() - cpu_started)
    gc.enable()
    return elapsed


def bench_import(server, db_path, data, cookie, csrf, unit_id, year, floor=floor_import):
    """Median seconds of the real endpoint and of the floor for the same 10,000-row file, wall clock and CPU
    (the workers' CPU time for the endpoint, the process's for the floor: on a busy box the wall clock also
    counts waiting for a core, the CPU time does not)."""
    endpoint, floors, endpoint_cpu, floor_cpu = [], [], [], []
    small, small_type = multipart(group_file(50, seed=9))
    for _ in range(6):  # warm every gunicorn worker (templates compiled, modules loaded)
        clear_filings(db_path)
        assert request(server.url + "/groups/import", cookie, csrf, small, small_type)[0] == 200
    clear_filings(db_path)
    floor(db_path, data, unit_id, year)
    workers = worker_pids(server.process.pid)  # after the warm-up: every worker has been forked
    body, content_type = multipart(data)
    for _ in range(RUNS):
        clear_filings(db_path)
        cpu_started = cpu_seconds(workers)
        started = time.perf_counter()
        status, text = request(server.url + "/groups/import", cookie, csrf, body, content_type)
        endpoint.append(time.perf_counter() - started)
        endpoint_cpu.append(cpu_seconds(workers) - cpu_started)
        assert status == 200 and "共导入 10000 条" in text, text[-500:]
        clear_filings(db_path)
        floors.append(floor(db_path, data, unit_id, year, floor_cpu))
    clear_filings(db_path)
    return (statistics.median(endpoint), statistics.median(floors),
            statistics.median(endpoint_cpu), statistics.median(floor_cpu))


def bench_memory(tmp, data50k):
    """Peak RSS of a fresh process importing 50,000 rows through the endpoint."""
    xlsx = tmp / "50k.xlsx"
    xlsx.write_bytes(data50k)
    mem_instance = tmp / "mem"
    mem_instance.mkdir()
    out = subprocess.run([sys.executable, "-m", "bench.memory", str(tmp / "mem.sqlite3"), str(mem_instance),
                          str(xlsx)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, INSTANCE_PATH=str(mem_instance)))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    peak, baseline, seconds, ok, _unit = out.stdout.split()[-5:]
    assert ok == "1", "the 50,000-row import did not succeed"
    return float(peak), float(baseline), float(seconds)


def bench_export(app, unit_id, year):
    """Median seconds of export_summary vs the bare write-only writer for the same cells."""
    from openpyxl import Workbook
    from sqlalchemy import select

    from app.core.extensions import db
    from app.filings.xlsx.export import detail_columns, export_summary
    from app.models import QcGroupFiling, Unit

    ours, bare = [], []
    with app.test_request_context():
        unit = db.session.get(Unit, unit_id)
        columns = [c for _, c in detail_columns("group")]
        rows = db.session.execute(select(*columns).where(QcGroupFiling.unit_id == unit_id)
                                  .order_by(QcGroupFiling.id)).all()
        for _ in range(max(RUNS - 2, 3)):
            started = time.perf_counter()
            data = export_summary("group", unit, year)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("明细")
            for index, row in enumerate(rows, start=1):
                sheet.append((index, *row))
            buffer = io.BytesIO()
            workbook.save(buffer)
            bare.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(bare), len(data), len(rows)


def query_counts(app, cookie, paths):
    """SQL statements and CPU milliseconds (median of CPU_SAMPLES, time.process_time) per request of each
    page, in-process on the same app and data. The CPU figure does not count time spent waiting for a core,
    so it stays meaningful on a box shared with other work, where the p95 under load does not."""
    from sqlalchemy import event

    from app.core.extensions import db

    counts = {}
    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    with app.app_context():
        engine = db.engine
    for path in paths:
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        client.get(path)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            status = client.get(path).status_code
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert status == 200, (path, status)
        samples = []
        for _ in range(CPU_SAMPLES):
            started = time.process_time()
            client.get(path)
            samples.append((time.process_time() - started) * 1000)
        counts[path] = (len(statements), statistics.median(samples))
    return counts


WARM_UP = 5  # requests per client before timing


def bench_latency(server, cookie, path, count=None):
    """p50/p95 milliseconds of `path` with 16 concurrent keep-alive clients, `count` requests in all
    (REQUESTS_PER_PAGE by default; bounded in time too)."""
    target = urllib.parse.quote(path, safe="/?=&")
    deadline = time.perf_counter() + TIME_CAP

    def client(per_client):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        times = []
        try:
            for _ in range(per_client):
                if time.perf_counter() > deadline:
                    break
                started = time.perf_counter()
                connection.request("GET", target, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                assert response.status == 200, response.status
                times.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()
        return times

    with ThreadPoolExecutor(CLIENTS) as pool:
        # warm-up, not counted: a few requests per client, so every worker has served this page (and read its
        # rows into its SQLite page cache) before timing — long-lived workers are what production runs
        list(pool.map(client, [WARM_UP] * CLIENTS))
        deadline = time.perf_counter() + TIME_CAP
        per_client = (count or REQUESTS_PER_PAGE) // CLIENTS
        latencies = [ms for times in pool.map(client, [per_client] * CLIENTS) for ms in times]
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return statistics.median(latencies), p95, len(latencies)


def print_table(table):
    """The result table, one row per figure."""
    print()
    print(f"{'项目':<34}{'结果':>14}  {'对照':>20}  {'比值/说明':>22}  {'目标':>12}")
    for row in table:
        print(f"{row[0]:<34}{row[1]:>14}  {row[2]:>20}  {row[3]:>22}  {row[4]:>12}")


def main():
    """Run everything (BENCH_ONLY=filings, import, rush, secretariat, certificates, review or review_expert runs
    one part) and print the table."""
    total_started = time.perf_counter()
    only = os.environ.get("BENCH_ONLY", "")
    table = []
    if only == "import":
        table += import_part()
    if only in ("", "filings"):
        table += filings_part()
    if only in ("", "rush"):
        from bench import rush

        table += rush.run()
    if only in ("", "secretariat"):
        from bench import secretariat

        table += secretariat.run(RUNS, query_counts, bench_latency)
    if only in ("", "certificates"):
        from bench import certificates

        table += certificates.run()
    if only in ("", "review_expert"):
        from bench import review_expert

        table += review_expert.run(RUNS, query_counts, bench_latency)
    if only in ("", "review"):
        from bench import review

        table += review.run(RUNS, query_counts, bench_latency)
    print_table(table)
    load = os.getloadavg()[0]
    if only == "certificates":
        print(f"\n证书各跑一次；总用时 {time.perf_counter() - total_started:.0f} s；结束时 1 分钟平均负载 {load:.1f}"
              f"（{os.cpu_count()} 核；负载高于核数时墙钟时间含排队，以 CPU 时间为准）。")
        return
    if only in ("import", "rush"):
        print(f"\n导入中位数取 {RUNS} 次；总用时 {time.perf_counter() - total_started:.0f} s；结束时 1 分钟平均负载 "
              f"{load:.1f}（{os.cpu_count()} 核；负载高于核数时墙钟时间与 p95 含排队，以 CPU 时间为准）。")
        return
    print(f"\n中位数取 {RUNS} 次；备案页面为 50,000 条记录，申报页面为 10,000 项申报，16 个并发 keep-alive 客户端；"
          f"总用时 {time.perf_counter() - total_started:.0f} s；结束时 1 分钟平均负载 {load:.1f}"
          f"（{os.cpu_count()} 核；负载高于核数时 p95 主要是排队，以 CPU ms/次 为准）。")


def import_rows(server, db_path, cookie, csrf, unit_id, year, clean):
    """The import figures: the clean 10,000-row file and the realistic one (bench/realistic.py), each
    through the endpoint against its floor, medians of RUNS; returns the table rows."""
    print("生成仿真文件（下载的导入模板，10,000 行混合格式）…", flush=True)
    realistic = realistic_group_file(10_000)
    rows = []
    for label, data, floor in (("整洁文件", clean, floor_import), ("仿真文件", realistic, floor_import_raw)):
        print(f"导入 10,000 行（{label}）：HTTP 端点 vs 裸下限 …", flush=True)
        imp, low, imp_cpu, low_cpu = bench_import(server, db_path, data, cookie, csrf, unit_id, year, floor)
        print(f"  端点 {imp:.3f} s，裸下限 {low:.3f} s（{imp / low:.2f}×）；"
              f"CPU {imp_cpu:.3f} s / {low_cpu:.3f} s（{imp_cpu / low_cpu if low_cpu else 0:.2f}×）",
              flush=True)
        rows += [
            (f"导入 10,000 行（{label}，HTTP，SQLite）", f"{imp:.3f} s", f"裸下限 {low:.3f} s", f"{imp / low:.2f}×",
             "≤ 1.5×"),
            ("  同上，CPU 时间", f"{imp_cpu:.3f} s", f"裸下限 {low_cpu:.3f} s",
             f"{imp_cpu / low_cpu:.2f}×" if imp_cpu and low_cpu else "（无 schedstat）", "≤ 1.5×"),
        ]
    return rows


def fresh_site(tmpdir):
    """A throw-away database and instance folder in tmpdir with one approved unit; returns
    (app, db_path, instance, unit_id, cookie, csrf, year)."""
    tmp = Path(tmpdir)
    instance = tmp / "instance"
    (instance / "uploads").mkdir(parents=True)
    os.environ["INSTANCE_PATH"] = str(instance)
    db_path = tmp / "bench.sqlite3"
    app = make_app(db_path, instance)
    unit_id, cookie, csrf = make_unit(app)
    with app.app_context():
        from app.core.settings import filing_period
        year = filing_period().year
    return app, db_path, instance, unit_id, cookie, csrf, year


def import_part():
    """BENCH_ONLY=import: only the two import workloads (clean and realistic) on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmpdir:
        app, db_path, instance, unit_id, cookie, csrf, year = fresh_site(tmpdir)
        server = Server(db_path, instance)
        try:
            return import_rows(server, db_path, cookie, csrf, unit_id, year, group_file(10_000))
        finally:
            server.stop()


def filings_part():
    """备案 and the unit's 成果申报 pages: import, memory, export, the filing pages, the declaration list and
    picker; returns the table rows."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmpdir:
        tmp = Path(tmpdir)
        app, db_path, instance, unit_id, cookie, csrf, year = fresh_site(tmpdir)
        print("生成测试文件（10,000 行与 50,000 行）…", flush=True)
        data10k, data50k = group_file(10_000), group_file(50_000, seed=2, enterprises=400)
        server = Server(db_path, instance)
        try:
            import_table = import_rows(server, db_path, cookie, csrf, unit_id, year, data10k)
            print("导入 50,000 行：独立进程的峰值内存 …", flush=True)
            peak, baseline, mem_seconds = bench_memory(tmp, data50k)
            print(f"  峰值 {peak:.0f} MB（空进程 {baseline:.0f} MB），{mem_seconds:.2f} s", flush=True)
            print("准备 50,000 条记录（经 HTTP 导入）…", flush=True)
            body, content_type = multipart(data50k)
            started = time.perf_counter()
            status, text = request(server.url + "/groups/import", cookie, csrf, body, content_type)
            seed_seconds = time.perf_counter() - started
            assert status == 200 and "共导入 50000 条" in text, text[-500:]
            print("导出 50,000 条 vs 裸写入器 …", flush=True)
            ours, bare, size, rows = bench_export(app, unit_id, year)
            print(f"  导出 {ours:.3f} s，裸写入器 {bare:.3f} s", flush=True)
            pages = ["/groups/", "/groups/?page=500", "/groups/?q=第1分公司", "/groups/summary"]
            print("页面：查询数与 16 并发 p95 …", flush=True)
            counts = query_counts(app, cookie, pages)
            latency = {path: bench_latency(server, cookie, path) for path in pages}
        finally:
            server.stop()
        print("页面：同上，对照 gunicorn 2 进程 × 4 线程 …", flush=True)
        sync_server = Server(db_path, instance, workers=2, threads=4)
        try:
            latency_sync = {path: bench_latency(sync_server, cookie, path) for path in pages}
        finally:
            sync_server.stop()
        declaration_rows = declaration_bench.run(app, db_path, instance, query_counts, bench_latency, worker_pids)
    table = import_table + [
        ("导入 50,000 行 峰值内存", f"{peak:.0f} MB", f"空进程 {baseline:.0f} MB", f"用时 {mem_seconds:.2f} s",
         "< 300 MB"),
        ("导入 50,000 行（HTTP，gunicorn）", f"{seed_seconds:.2f} s", "", "", ""),
        (f"导出 {rows:,} 条（{size / 1e6:.1f} MB）", f"{ours:.3f} s", f"裸写入器 {bare:.3f} s",
         f"{ours / bare:.2f}×", "≤ 1.3×"),
    ]
    for path in pages:
        p50, p95, n = latency[path]
        table.append((f"GET {path}（make run 配置）", f"p95 {p95:.1f} ms", f"p50 {p50:.1f} ms",
                      f"{counts[path][0]} 条SQL，CPU {counts[path][1]:.1f} ms/次，{n} 次请求", "p95 < 100 ms"))
    for path in pages:
        p50, p95, n = latency_sync[path]
        table.append((f"GET {path}（对照 2×4 线程）", f"p95 {p95:.1f} ms", f"p50 {p50:.1f} ms",
                      f"{counts[path][0]} 条SQL，{n} 次请求", "p95 < 100 ms"))
    return table + declaration_rows


if __name__ == "__main__":
    main()
