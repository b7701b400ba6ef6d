"""The 31 December rush (part of `make bench`; alone: `BENCH_ONLY=rush make bench`).

On a fresh PostgreSQL database (created here, dropped at the end; the server is BENCH_PG_URL, by default
postgresql://postgres@127.0.0.1:5432/postgres — without one the part is skipped with a message), gunicorn as
`make run` starts it (gunicorn.conf.py: one single-threaded worker per core plus one), on loopback:

- 50 units each import the realistic 2,000-row file (bench/realistic.py) once, the starts spread evenly
  over the first 80 % of the window;
- 100 clients browse their unit's list (`GET /groups/`, a random page) and summary (`GET /groups/summary`),
  0.5–1.5 s between requests, keep-alive when the server allows it;
- 20 invitation-link holders open their link page once, then add one record after another through the link
  form (`POST /invite/g/<token>/add`, htmx as the page does), 1–3 s between records;

for BENCH_RUSH_SECONDS (60) seconds; every thread stops by itself at the deadline (imports under way finish).
Then the database is checked: every unit whose import answered 共导入 2000 条 has exactly 2,000 imported rows
(0 otherwise), every invitation exactly as many link rows as adds answered 已添加, no 注册编号 twice, no
(unit, enterprise, name) twice. Printed: p50/p95 per request kind, errors (any other status or answer, or an
exception), rows lost or duplicated, and CPU per request (the gunicorn processes' user+system time from
/proc/<pid>/stat over all requests; the PostgreSQL backends' time separately).
"""
import http.client
import os
import random
import re
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

from bench.realistic import realistic_group_file
from bench.setup import Server, make_app, make_unit, multipart

UNITS = 50
IMPORT_ROWS = 2_000
BROWSERS = 100
LINK_HOLDERS = 20
SECONDS = float(os.environ.get("BENCH_RUSH_SECONDS", "60"))
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Stats:
    """Latencies and errors per request kind, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.samples = []

    def add(self, kind, started, ok, what=""):
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[kind].append(elapsed)
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {what}"[:300])


class Client:
    """One client's connection (http.client reopens it when gunicorn's sync worker closes it)."""

    def __init__(self, port, cookie=None, timeout=120):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookie = cookie

    def send(self, method, path, body=None, headers=None):
        """(status, text, headers) of one request; the connection is reopened after an error."""
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode()
            return response.status, text, response.headers
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise

    def close(self):
        self.connection.close()


def proc_cpu(pids):
    """User + system CPU seconds of the processes (all their threads), from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / CLOCK_TICKS


def children(master):
    """gunicorn's workers (children of the master), from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def admin_connection():
    """An autocommit connection to the PostgreSQL server, or None when there is none."""
    import psycopg

    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1][:120]
        print(f"高峰负载测试跳过：无法连接 PostgreSQL（{ADMIN_URL}：{reason}）；"
              "设置 BENCH_PG_URL 指向一个可建库的服务器后重试。", flush=True)
        return None


def database_url(name):
    """The URL of database `name` on the admin URL's server."""
    parts = urllib.parse.urlsplit(ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def prepare(app):
    """50 units with sessions, 20 invitations (on the first 20 units); returns (units, link paths)."""
    from app.core.extensions import db
    from app.invitations import services as invitations
    from app.models import Unit

    units = [make_unit(app, username=f"rush{k:02d}", name=f"高峰测试第{k}石化公司",
                       credit_code=f"91350100M{k:06d}RU") for k in range(UNITS)]
    links = []
    with app.app_context():
        for k in range(LINK_HOLDERS):
            invitation = invitations.create_invitation(db.session.get(Unit, units[k][0]), {
                "enterprise_name": f"高峰受邀企业{k}号", "contact": "李四", "email": f"rush{k}@example.com",
                "phone": "13800000000"})
            db.session.commit()
            links.append((invitation.id, f"/invite/g/{invitations.link_token(invitation, 'group')}"))
    return units, links


def run_load(port, units, links, data, deadline, stats, outcome):
    """All client threads until the deadline; fills stats and outcome (imports done, adds per invitation)."""
    body, content_type = multipart(data)
    started_at = time.perf_counter()
    window = max(deadline - started_at, 1) * 0.8

    def importer(k):
        time.sleep(k * window / UNITS)
        unit_id, cookie, csrf = units[k]
        client = Client(port, cookie, timeout=300)
        started = time.perf_counter()
        try:
            headers = {"X-CSRFToken": csrf, "HX-Request": "true", "Content-Type": content_type}
            status, text, _ = client.send("POST", "/groups/import", body, headers)
            ok = status == 200 and f"共导入 {IMPORT_ROWS} 条" in text
            stats.add("导入 2,000 行", started, ok, f"{status} {text[-200:]}")
            if ok:
                with stats.lock:
                    outcome["imported"].add(unit_id)
        except Exception as exc:  # noqa: BLE001 - every failure is counted as an error
            stats.add("导入 2,000 行", started, False, repr(exc))
        finally:
            client.close()

    def browser(k):
        rng = random.Random(k)
        client = Client(port, units[k % UNITS][1])
        try:
            while time.perf_counter() < deadline:
                time.sleep(rng.uniform(0.5, 1.5))
                if time.perf_counter() >= deadline:
                    break
                if rng.random() < 0.6:
                    kind, path = "列表 GET /groups/", f"/groups/?page={rng.randint(1, 5)}"
                else:
                    kind, path = "汇总 GET /groups/summary", "/groups/summary"
                started = time.perf_counter()
                try:
                    status, text, _ = client.send("GET", path)
                    stats.add(kind, started, status == 200, f"{status} {text[-200:]}")
                except Exception as exc:  # noqa: BLE001
                    stats.add(kind, started, False, repr(exc))
        finally:
            client.close()

    def link_holder(k):
        rng = random.Random(1000 + k)
        invitation_id, path = links[k]
        client = Client(port)
        try:
            started = time.perf_counter()
            status, text, headers = client.send("GET", path)
            key, csrf = KEY_RE.search(text or ""), CSRF_RE.search(text or "")
            cookie = (headers.get("Set-Cookie") or "").split(";", 1)[0]
            ok = status == 200 and key is not None and csrf is not None and cookie
            stats.add("邀请链接页 GET", started, ok, f"{status} {text[-200:]}")
            if not ok:
                return
            client.cookie, key, csrf = cookie, key.group(1), csrf.group(1)
            n = 0
            while time.perf_counter() < deadline:
                time.sleep(rng.uniform(1.0, 3.0))
                if time.perf_counter() >= deadline:
                    break
                n += 1
                form = urllib.parse.urlencode({
                    "group_name": f"链接{k}号第{n}攻关QC小组", "topic": f"降低{n}号装置能耗", "topic_type": "创新型",
                    "founded_on": "2024-03-01", "leader": "王五", "member_count": "7", "contact": "王五",
                    "mobile": "13912345678", "submission_key": key}).encode()
                started = time.perf_counter()
                try:
                    status, text, _ = client.send("POST", f"{path}/add", form, {
                        "X-CSRFToken": csrf, "HX-Request": "true",
                        "Content-Type": "application/x-www-form-urlencoded"})
                    ok = status == 200 and "已添加" in text and KEY_RE.search(text) is not None
                    stats.add("邀请链接添加 POST", started, ok, f"{status} {text[-300:]}")
                    if ok:
                        key = KEY_RE.search(text).group(1)
                        with stats.lock:
                            outcome["added"][invitation_id] += 1
                except Exception as exc:  # noqa: BLE001
                    stats.add("邀请链接添加 POST", started, False, repr(exc))
        finally:
            client.close()

    threads = ([threading.Thread(target=importer, args=(k,)) for k in range(UNITS)]
               + [threading.Thread(target=browser, args=(k,)) for k in range(BROWSERS)]
               + [threading.Thread(target=link_holder, args=(k,)) for k in range(LINK_HOLDERS)])
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def check_rows(connection, units, outcome):
    """(rows lost, rows duplicated, details) from the database after the run."""
    expected_import = {unit_id: IMPORT_ROWS if unit_id in outcome["imported"] else 0
                       for unit_id, _cookie, _csrf in units}
    found_import = dict(connection.execute(
        "SELECT unit_id, count(*) FROM qc_group_filing WHERE source = 'import' GROUP BY unit_id").fetchall())
    found_link = dict(connection.execute(
        "SELECT invitation_id, count(*) FROM qc_group_filing WHERE source = 'link_form'"
        " GROUP BY invitation_id").fetchall())
    lost = duplicated = 0
    for unit_id, want in expected_import.items():
        got = found_import.get(unit_id, 0)
        lost += max(want - got, 0)
        duplicated += max(got - want, 0)
    for invitation_id in set(outcome["added"]) | set(found_link):
        want, got = outcome["added"].get(invitation_id, 0), found_link.get(invitation_id, 0)
        lost += max(want - got, 0)
        duplicated += max(got - want, 0)
    total, reg_nos = connection.execute(
        "SELECT count(*), count(DISTINCT reg_no) FROM qc_group_filing").fetchone()
    same_name = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM qc_group_filing"
        " GROUP BY unit_id, year, enterprise_name, group_name HAVING count(*) > 1) AS twice").fetchone()[0]
    duplicated += (total - reg_nos) + same_name
    return lost, duplicated, total


def backend_pids(connection, name):
    """The PostgreSQL server processes serving database `name` (local server only)."""
    return [row[0] for row in connection.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()]


def run():
    """The rush on a fresh PostgreSQL database; returns table rows (none when skipped)."""
    admin = admin_connection()
    if admin is None:
        return []
    name = f"qc_bench_rush_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="qc-rush-") as tmpdir:
            instance = Path(tmpdir) / "instance"
            (instance / "uploads").mkdir(parents=True)
            os.environ["INSTANCE_PATH"] = str(instance)
            print(f"高峰负载：准备 PostgreSQL 库 {name}、{UNITS} 个单位、{LINK_HOLDERS} 个邀请链接 …", flush=True)
            app = make_app(None, instance, uri=url)
            units, links = prepare(app)
            with app.app_context():
                from app.core.extensions import db
                db.engine.dispose()
            data = realistic_group_file(IMPORT_ROWS, seed=5)
            server = Server(None, instance, database_url=url)
            try:
                for _ in range(8):  # every worker forked and warm (modules loaded, templates compiled)
                    client = Client(server.port, units[0][1])
                    client.send("GET", "/groups/summary")
                    client.close()
                time.sleep(1)
                workers = children(server.process.pid)
                gunicorn_pids = [server.process.pid, *workers]
                print(f"高峰负载：gunicorn {len(workers)} 个进程，{UNITS} 个单位各导入 {IMPORT_ROWS:,} 行、"
                      f"{BROWSERS} 个浏览客户端、{LINK_HOLDERS} 个邀请链接持有人，{SECONDS:.0f} s …", flush=True)
                stats, outcome = Stats(), {"imported": set(), "added": defaultdict(int)}
                cpu_before = proc_cpu(gunicorn_pids)
                started = time.perf_counter()
                run_load(server.port, units, links, data, started + SECONDS, stats, outcome)
                elapsed = time.perf_counter() - started
                cpu = proc_cpu(gunicorn_pids) - cpu_before
                with __import__("psycopg").connect(url, autocommit=True) as check:
                    pg_cpu = proc_cpu(backend_pids(check, name))
                    lost, duplicated, total = check_rows(check, units, outcome)
            finally:
                server.stop()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    requests = sum(len(times) for times in stats.times.values())
    errors = sum(stats.errors.values())
    for sample in stats.samples:
        print(f"  错误示例：{sample}", flush=True)
    kinds = ["导入 2,000 行", "列表 GET /groups/", "汇总 GET /groups/summary", "邀请链接页 GET", "邀请链接添加 POST"]
    for kind in kinds:
        times = sorted(stats.times.get(kind, []))
        if not times:
            rows.append((f"高峰 {kind}", "—", "", "0 次", ""))
            continue
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        rows.append((f"高峰 {kind}", f"p95 {p95:.0f} ms", f"p50 {statistics.median(times):.0f} ms",
                     f"{len(times)} 次，错误 {stats.errors.get(kind, 0)}", "错误 0"))
    rows += [
        ("高峰 合计", f"{requests} 次请求", f"{elapsed:.0f} s，{requests / elapsed:.1f} 次/s",
         f"错误 {errors}", "错误 0"),
        ("高峰 数据核对", f"丢失 {lost} 行", f"重复 {duplicated} 行", f"库中 {total:,} 行，导入成功 "
         f"{len(outcome['imported'])}/{UNITS} 个单位", "0 / 0"),
        ("高峰 CPU/请求（gunicorn）", f"{cpu / max(requests, 1) * 1000:.1f} ms",
         f"共 {cpu:.1f} s", f"PostgreSQL 进程 {pg_cpu:.1f} s", ""),
    ]
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
