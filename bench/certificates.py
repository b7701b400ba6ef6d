"""`make bench` part (BENCH_ONLY=certificates): 批量下载 of N certificates (BENCH_CERTIFICATES, default 3,000)
through the app against bare WeasyPrint writing the same pages without the application, and the peak RSS
growth of the app's batch.

The app's figure is `GET /admin/certificates.zip` with the Flask test client, read chunk by chunk as a client
would (session, role check, one query, the template per certificate, WeasyPrint, the streamed zip). The bare
figure renders the same HTML template with plain Jinja from plain values and has WeasyPrint write each page,
into a zip as well; both use the same background image (an A4 JPEG at 150 dpi), WeasyPrint's image cache and
one font configuration. Both run in this process, one after the other: CPU time is the fairer figure on a shared box.
"""
import io
import os
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

from bench.setup import make_app

COUNT = int(os.environ.get("BENCH_CERTIFICATES", "3000"))
TARGET_RATIO = 1.5
RSS_LIMIT_MB = 100
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗欧阳"


def status_mb(field):
    """VmRSS / VmHWM of this process in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def background_bytes():
    """A decorated A4 landscape background as the secretariat would upload it (the app reduces it)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (3508, 2480), (252, 248, 236))
    draw = ImageDraw.Draw(img)
    for inset, width in ((60, 28), (120, 8)):
        draw.rectangle((inset, inset, 3508 - inset, 2480 - inset), outline=(176, 32, 32), width=width)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def seed(app, year, count):
    """`count` awarded, published declarations of one kind (names of realistic length), a background image
    and a secretariat session; returns the session cookie."""
    from flask.sessions import SecureCookieSessionInterface

    from app.core.extensions import db
    from app.core.settings import set_open_declaration_year
    from app.core.tokens import hash_token, new_token
    from app.models import QcGroupFiling, Unit, User, UserSession
    from app.review.certificate_numbers import allocate_numbers
    from app.review.certificates import set_background
    from app.review.models import AwardPlan, AwardResult
    from werkzeug.datastructures import FileStorage

    with app.app_context():
        set_open_declaration_year(year)
        clerk = User(username="benchclerk", role="secretariat", password_hash="x", display_name="秘书处")
        user = User(username="benchcertunit", role="unit", password_hash="x", display_name="单位")
        unit = Unit(user=user, name="中国石油化工集团有限公司", credit_code="91110000100010433L", contact="张三",
                    mobile="13912345678", address="北京", postcode="100728", province_code="11",
                    industry_code="26", email="unit@example.com", status="approved")
        token = new_token()
        db.session.add_all([clerk, user, unit, UserSession(token_hash=hash_token(token), user=clerk)])
        db.session.flush()
        filings = [dict(unit_id=unit.id, year=year, reg_no=f"QC-{year}-{n:06d}",
                        enterprise_name=f"中国石油化工股份有限公司（北京）燕山分公司第{n % 40 + 1}厂",
                        group_name=f"“攻关”第{n}QC小组", topic="课题", topic_type="问题解决型",
                        founded_on=date(year - 2, 3, 1), leader="王五", member_count=8, contact="王五",
                        mobile="13912345678") for n in range(count)]
        db.session.execute(db.insert(QcGroupFiling), filings)
        filing_ids = db.session.scalars(db.select(QcGroupFiling.id).order_by(QcGroupFiling.id)).all()
        from app.declarations.models import Declaration

        rows = []
        for n, filing_id in enumerate(filing_ids):
            people = [SURNAMES[(n + i) % len(SURNAMES)] + "某" + "甲乙丙丁戊己庚辛"[i % 8]
                      for i in range(n % 10 + 1)]
            rows.append(dict(year=year, kind="group", unit_id=unit.id, group_filing_id=filing_id,
                             status="accepted",
                             decl_no=f"QCSB-{year}-{n + 1:05d}",
                             title=f"降低常减压装置加热炉排烟温度提高热效率（第{n}项）" + "、优化" * (n % 7),
                             group_name=filings[n]["group_name"],
                             enterprise_name=filings[n]["enterprise_name"],
                             main_contributors=people, version=1))
        db.session.execute(db.insert(Declaration), rows)
        ids = db.session.scalars(db.select(Declaration.id).order_by(Declaration.id)).all()
        levels = ("一等", "二等", "三等")
        db.session.execute(db.insert(AwardResult), [
            dict(declaration_id=i, year=year, kind="group", level=levels[n % 3], level_score_c=9000 - n)
            for n, i in enumerate(ids)])
        db.session.add(AwardPlan(year=year, kind="group", published_at=datetime(year, 5, 20, 2, 0)))
        allocate_numbers(year, "group")
        set_background(year, FileStorage(io.BytesIO(background_bytes()), filename="背景.png"))
        db.session.commit()
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
        {"_user_id": token, "_fresh": True})
    return cookie


def bare_values(app, year):
    """The certificates as plain dicts, read outside the measurement; and the background bytes."""
    from app.core.extensions import db
    from app.review import certificates as service

    with app.app_context():
        certs = service.certificates(service.certificate_select(year=year))
        background = service.background_of(year)
    plain = [dict(certificate_no=c.certificate_no, heading=c.heading, level=c.level, fields=c.fields,
                  date_text=c.date_text, filename=c.filename) for c in certs]
    return plain, background.data


def bare_batch(plain, background_path, sink):
    """Plain Jinja + WeasyPrint: the same template, one PDF per certificate into a stored zip."""
    import jinja2
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    folder = Path(__file__).resolve().parents[1] / "app/templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True)
    template = env.get_template("review/certificate/certificate.html")
    url = background_path.as_uri()
    cache, fonts = {}, FontConfiguration()  # the library's own batch advice: one font configuration
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for values in plain:
            html = template.render(c=values, background_url=url)
            pdf = HTML(string=html).write_pdf(cache=cache, font_config=fonts)
            archive.writestr(values["filename"], pdf)


class Counter(io.RawIOBase):
    """A sink that counts bytes (the bare zip's size)."""

    def __init__(self):
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.size += len(data)
        return len(data)


def run():
    """Seed, then the app's batch (with its peak RSS growth) and the bare batch; returns the table rows."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-cert-") as tmpdir:
        tmp = Path(tmpdir)
        instance = tmp / "instance"
        (instance / "uploads").mkdir(parents=True)
        os.environ["INSTANCE_PATH"] = str(instance)
        app = make_app(tmp / "bench.sqlite3", instance)
        year = date.today().year
        print(f"证书：准备 {COUNT:,} 项获奖成果 …", flush=True)
        cookie = seed(app, year, COUNT)
        plain, background = bare_values(app, year)
        background_path = tmp / "background.jpg"
        background_path.write_bytes(background)
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        # warm up both paths (fonts, templates) on a few certificates
        bare_batch(plain[:3], background_path, Counter())
        warm = client.get(f"/admin/certificates/{1}/download")
        assert warm.status_code == 200, warm.status_code

        print(f"证书：应用批量下载 {COUNT:,} 张（GET /admin/certificates.zip）…", flush=True)
        baseline = status_mb("VmRSS")
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/admin/certificates.zip?year={year}", buffered=False)
        assert response.status_code == 200, response.status_code
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        growth = max(0.0, status_mb("VmHWM") - baseline)
        print(f"  应用 {ours:.1f} s（CPU {ours_cpu:.1f} s），{size / 1e6:.0f} MB，峰值 RSS 增长 {growth:.0f} MB",
              flush=True)

        print(f"证书：裸 WeasyPrint 写同样的 {COUNT:,} 页 …", flush=True)
        sink = Counter()
        started, cpu = time.perf_counter(), time.process_time()
        bare_batch(plain, background_path, sink)
        bare, bare_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"  裸 WeasyPrint {bare:.1f} s（CPU {bare_cpu:.1f} s），{sink.size / 1e6:.0f} MB", flush=True)
    per = ours / COUNT * 1000
    return [
        (f"批量下载 {COUNT:,} 张证书（ZIP，应用）", f"{ours:.1f} s", f"裸 WeasyPrint {bare:.1f} s",
         f"{ours / bare:.2f}×", f"≤ {TARGET_RATIO}×"),
        ("  同上，CPU 时间", f"{ours_cpu:.1f} s", f"裸 WeasyPrint {bare_cpu:.1f} s", f"{ours_cpu / bare_cpu:.2f}×",
         f"≤ {TARGET_RATIO}×"),
        ("  每张证书", f"{per:.0f} ms", f"ZIP {size / 1e6:.0f} MB", "", ""),
        ("  峰值 RSS 增长（应用批量下载）", f"{growth:.0f} MB", f"开始时 {baseline:.0f} MB", "",
         f"< {RSS_LIMIT_MB} MB"),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
