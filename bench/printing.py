"""`make bench` (second part): time per printed PDF through the app against bare WeasyPrint on the same page.

The app's figure is a GET of the print route with the Flask test client (session, scoping, database, template,
校验码, WeasyPrint, response); the bare figure is WeasyPrint alone rendering the HTML page the app renders,
without the application. Both run alternately in one process, so load on the machine hits both alike; medians.
The other printed documents are timed through their routes for their absolute figures.
"""
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.setup import make_app, make_unit

RUNS = int(os.environ.get("BENCH_PDF_RUNS", "9"))
OTHER_RUNS = 2
TARGET_RATIO = 1.3


def seed(app, unit_id, year):
    """A declaration as units fill it (a 1,000-character summary), 30 submitted ones for the 汇总表, a 统计表 and
    two recommended experts; returns the declaration's id."""
    from app.core.extensions import db
    from app.core.models import YearSetting
    from app.core.settings import set_open_declaration_year
    from app.declarations.models import Declaration, ExpertRecommendation, UnitYearReport
    from app.models import QcGroupFiling

    summary = ("小组围绕装置能耗高的问题，运用排列图、因果图、关联图等工具分析末端因素，制定对策并实施，"
               "能耗由每吨12.5千克标油降至10.8千克标油，年创经济效益86.5万元。") * 12
    with app.app_context():
        setting = db.session.get(YearSetting, year) or YearSetting(year=year)
        setting.declaration_start, setting.declaration_end = date(year, 1, 1), date(year, 12, 31)
        db.session.add(setting)
        set_open_declaration_year(year)
        first = None
        for n in range(1, 31):
            filing = QcGroupFiling(unit_id=unit_id, year=year, reg_no=f"QC-{year}-{n:06d}",
                                   enterprise_name=f"中国石化（北京）燕山分公司第{n}厂", group_name=f"攻关（{n}）QC小组",
                                   topic="降低常减压装置能耗", topic_type="问题解决型（自定目标）",
                                   founded_on=date(year - 2, 3, 1), leader="王五", member_count=8, contact="王五",
                                   mobile="13912345678")
            db.session.add(filing)
            db.session.flush()
            row = Declaration(
                year=year, kind="group", unit_id=unit_id, group_filing_id=filing.id,
                decl_no=f"QCSB-{year}-{n:04d}",
                status="submitted", title="降低常减压装置能耗，提高轻油收率", group_name=filing.group_name,
                enterprise_name=filing.enterprise_name, address="北京市房山区燕山岗南路1号", postcode="102500",
                contact_department="炼油一部", contact="王五", mobile="13912345678", advisor="赵工", leader="王五",
                member_count=8, main_contributors=["王五", "欧阳（小）明", "李四", "张三", "赵六", "钱七"],
                topic_type="问题解决型", topic_subtype="自定目标", economic_benefit_c=8650, summary=summary[:1000],
                completed_on=date(year, 3, 1))
            db.session.add(row)
            db.session.flush()
            first = first or row.id
        db.session.add(UnitYearReport(unit_id=unit_id, year=year, qc_registered_total=120,
                                      qc_registered_year=30, qc_participants=1234, staff_total=5678,
                                      qc_active=28, qc_benefit_c=123450,
                                      qc_with_results=20, remarks="全员参与，注重现场。", responsible_dept="质量部"))
        for seq in (1, 2):
            db.session.add(ExpertRecommendation(
                unit_id=unit_id, year=year, seq=seq, name=f"专家{seq}", company_dept="质量管理部", address="北京",
                postcode="100723", mobile="13912345678", email=f"e{seq}@example.com",
                experience="参与行业小组成果评审，获QC诊断师资格。" * 8, kinds=["group", "team"]))
        db.session.commit()
        return first


def bare_page(app, cookie, declaration_id):
    """The HTML page the app renders for the declaration (rendered once, outside the measurement)."""
    from app.core.extensions import db
    from app.declarations.models import Declaration
    from app.declarations.printing import declaration_html

    with app.test_request_context():
        return declaration_html(db.session.get(Declaration, declaration_id))


def main():
    """Print the table: 申报表 PDF through the app vs bare WeasyPrint, and the other documents' times."""
    from weasyprint import HTML

    started_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qc-bench-pdf-") as tmpdir:
        tmp = Path(tmpdir)
        instance = tmp / "instance"
        (instance / "uploads").mkdir(parents=True)
        os.environ["INSTANCE_PATH"] = str(instance)
        app = make_app(tmp / "bench.sqlite3", instance)
        unit_id, cookie, _csrf = make_unit(app)
        year = date.today().year
        declaration_id = seed(app, unit_id, year)
        client = app.test_client()
        name, _, value = cookie.partition("=")
        client.set_cookie(name, value)
        url = f"/declarations/{declaration_id}/print"
        html = bare_page(app, cookie, declaration_id)
        assert client.get(url).status_code == 200  # warm up: fonts loaded, templates compiled
        HTML(string=html).write_pdf()
        ours, bare, ours_cpu, bare_cpu, sizes = [], [], [], [], []
        for _ in range(RUNS):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            ours.append(time.perf_counter() - started)
            ours_cpu.append(time.process_time() - cpu)
            assert response.status_code == 200 and response.mimetype == "application/pdf"
            sizes.append(len(response.data))
            started, cpu = time.perf_counter(), time.process_time()
            HTML(string=html).write_pdf()
            bare.append(time.perf_counter() - started)
            bare_cpu.append(time.process_time() - cpu)
        others = {}
        for path, label in (("/declarations/summary/group/print", "汇总表 PDF（30 行，横向）"),
                            ("/declarations/statistics/print", "统计表 PDF"),
                            ("/declarations/recommendations/print", "推荐表 PDF（2 名专家，横向）")):
            times = []
            for _ in range(OTHER_RUNS):
                started = time.perf_counter()
                assert client.get(path).status_code == 200, path
                times.append(time.perf_counter() - started)
            others[label] = statistics.median(times)
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    ratio = ours_median / bare_median
    cpu_ratio = statistics.median(ours_cpu) / statistics.median(bare_cpu)
    print()
    print(f"{'项目':<30}{'结果':>12}  {'对照':>22}  {'比值':>8}  {'目标':>8}")
    print(f"{'申报表 PDF（经应用，打印路由）':<30}{ours_median * 1000:>10.0f} ms  "
          f"{'裸 WeasyPrint ' + format(bare_median * 1000, '.0f') + ' ms':>22}  {ratio:>7.2f}×  {'≤ 1.3×':>8}")
    bare_cpu_text = f"裸 WeasyPrint {statistics.median(bare_cpu) * 1000:.0f} ms"
    print(f"{'  同上，CPU 时间':<30}{statistics.median(ours_cpu) * 1000:>10.0f} ms  "
          f"{bare_cpu_text:>22}  {cpu_ratio:>7.2f}×")
    for label, seconds in others.items():
        print(f"{label:<30}{seconds * 1000:>10.0f} ms")
    print(f"\n中位数取 {RUNS} 次（交替运行）；PDF {statistics.median(sizes) / 1024:.0f} KB（嵌入 Noto CJK 子集）；"
          f"总用时 {time.perf_counter() - started_all:.0f} s；1 分钟平均负载 {os.getloadavg()[0]:.1f}"
          f"（{os.cpu_count()} 核）。")
    if ratio > TARGET_RATIO:
        print(f"比值 {ratio:.2f}× 超过目标 {TARGET_RATIO}×", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
