"""申报总览: filters, counts per status, fixed query counts, the 申报汇总 export, 单位材料齐全情况, the read-only
declaration with its files, the unit filter's candidates."""
import io

from openpyxl import load_workbook

from app.core.extensions import db
from app.models import AuditLog
from tests.secretariat.declaration_factory import DOCX, DOCX_TYPE, bulk_declarations


def _world(make, decl):
    js = make.unit(name="江苏化工", province_code="32", industry_code="26")
    sd = make.unit(name="山东炼化", province_code="37", industry_code="25")
    a = decl.declaration(js, title="节能降耗成果")
    b = decl.declaration(js, kind="team", status="accepted", title="班组建设成果")
    c = decl.declaration(sd, title='=HYPERLINK("http://evil")', leader="-2+3", status="returned")
    d = decl.declaration(sd, status="draft", title="草稿成果")
    decl.declaration(sd, year=decl.year() - 1, title="往年成果")
    return js, sd, (a, b, c, d)


def test_filters_and_counts(admin_client, make, decl):
    js, sd, _ = _world(make, decl)
    text = admin_client.get("/admin/declarations").text
    assert "节能降耗成果" in text and "班组建设成果" in text and "往年成果" not in text
    assert 'id="declaration-total">4<' in text
    assert 'id="count-submitted">1<' in text and 'id="count-accepted">1<' in text and 'id="count-draft">1<' in text
    for query, shown, hidden in (("kind=team", "班组建设成果", "节能降耗成果"),
                                 (f"unit={sd.id}", "HYPERLINK", "节能降耗成果"),
                                 ("province=32", "节能降耗成果", "HYPERLINK"),
                                 ("industry=25", "HYPERLINK", "班组建设成果"),
                                 ("status=accepted", "班组建设成果", "节能降耗成果"),
                                 ("q=节能", "节能降耗成果", "班组建设成果")):
        page = admin_client.get(f"/admin/declarations?{query}").text
        assert shown in page and hidden not in page, query
    # The counts keep every filter but the status, so the tabs tell what each status holds.
    page = admin_client.get("/admin/declarations?status=accepted&province=32").text
    assert 'id="count-submitted">1<' in page and 'id="count-returned">0<' in page
    assert "往年成果" in admin_client.get(f"/admin/declarations?year={decl.year() - 1}").text
    partial = admin_client.get("/admin/declarations?page=1", headers={"HX-Request": "true"}).text
    assert "<html" not in partial and "declaration-total" in partial


def test_keyword_ignores_ascii_case_and_matches_wildcards_literally(admin_client, make, decl):
    unit = make.unit(name="江苏化工")
    decl.declaration(unit, title="ABC节能成果")
    decl.declaration(unit, title="降低能耗100%成果")
    decl.declaration(unit, title="降低能耗1000成果")
    decl.declaration(unit, title="a_b课题")
    decl.declaration(unit, title="axb课题")
    for query, shown, hidden in (("abc", ("ABC节能成果",), ("a_b课题",)),
                                 ("100%25", ("降低能耗100%成果",), ("降低能耗1000成果",)),
                                 ("a_b", ("a_b课题",), ("axb课题",)),
                                 ("江苏", ("ABC节能成果", "axb课题"), ())):
        page = admin_client.get(f"/admin/declarations?q={query}").text
        assert all(t in page for t in shown) and not any(t in page for t in hidden), query


def test_unit_candidates_are_units_that_declared(admin_client, make, decl):
    js, sd, _ = _world(make, decl)
    make.unit(name="江苏未申报单位")
    text = admin_client.get(f"/admin/declarations/units/options?year={decl.year()}&unit_q=江苏"
                            "&target=admin.formal_checks").text
    assert "江苏化工" in text and "江苏未申报单位" not in text
    assert "/admin/formal-checks?" in text and f"unit={js.id}" in text
    bad = admin_client.get("/admin/declarations/units/options?unit_q=江苏&target=https://evil").text
    assert "https://evil" not in bad and "/admin/declarations?" in bad
    assert "没有名称或统一社会信用代码为“化”的申报单位" in admin_client.get("/admin/declarations?unit_q=化").text


def test_lists_run_a_fixed_number_of_queries(app, admin_client, make, decl, count_queries):
    units = [make.unit(), make.unit()]
    year = decl.year()
    bulk_declarations(app, [u.id for u in units], year, 3)
    paths = ("/admin/declarations", "/admin/formal-checks", "/admin/declarations/units")
    few = {}
    for path in paths:
        with count_queries() as statements:
            assert admin_client.get(path).status_code == 200
        few[path] = len(statements)
    bulk_declarations(app, [u.id for u in units], year, 297, start=3)
    for path in paths:
        with count_queries() as statements:
            assert admin_client.get(path).status_code == 200
        assert len(statements) == few[path], (path, few[path], len(statements))
    assert "共 300 条，第 1/10 页" in admin_client.get("/admin/declarations").text
    assert "共 300 条，第 1/10 页" in admin_client.get("/admin/formal-checks").text


def test_export_has_b13_columns_every_field_and_is_formula_safe(app, admin_client, make, decl):
    js, sd, (a, b, c, d) = _world(make, decl)
    response = admin_client.get("/admin/declarations/export")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:17] == ("申报编号", "注册编号", "申报单位", "省份", "行业", "企业名称", "通讯地址", "邮编",
                            "直接联系人", "手机", "小组/班组名称", "成果名称", "课题类型", "主要完成人",
                            "经济效益（万元）", "状态", "形式审查结论")
    assert len(rows) == 5  # four of this year, drafts included (the filter decides)
    by_no = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    first = by_no[decl.get(a).decl_no]
    assert first["申报单位"] == "江苏化工" and first["省份"] == "江苏省" and first["经济效益（万元）"] == 1234.56
    assert first["主要完成人"] == "王五，李四，张三" and first["状态"] == "已提交（待形式审查）"
    assert first["注册编号"].startswith("QC-")
    team = by_no[decl.get(b).decl_no]
    assert team["班组工作完成率（%）"] == 98.5 and team["近三年无质量、安全、环保事故（承诺）"] == "是"
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert cells['=HYPERLINK("http://evil")'] == "s" and cells["-2+3"] == "s"
    with app.app_context():
        assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "declaration.export")).scalar_one()
    only_team = load_workbook(io.BytesIO(admin_client.get("/admin/declarations/export?kind=team").data)).active
    assert len(list(only_team.iter_rows())) == 2


def test_completeness_table_and_incomplete_filter(admin_client, make, decl):
    done = make.unit(name="材料齐全单位")
    decl.declaration(done)
    decl.documents(done, docs=("summary_group", "statistics"))
    missing = make.unit(name="缺统计表单位")
    decl.declaration(missing)
    decl.documents(missing, docs=("summary_group",))
    stale = make.unit(name="汇总表过期单位")
    decl.declaration(stale)
    decl.documents(stale, docs=("summary_group", "statistics"))
    decl.declaration(stale)  # a new submitted declaration is not on the stamped 汇总表
    make.unit(name="只有草稿单位")
    text = admin_client.get("/admin/declarations/units").text
    assert 'id="unit-total">3<' in text and "只有草稿单位" not in text
    for header in ("申报单位", "小组申报数", "班组申报数", "小组汇总表", "班组汇总表", "统计表", "评委推荐数"):
        assert header in text
    assert "需重新上传" in text and "未上传" in text and "已上传" in text
    incomplete = admin_client.get("/admin/declarations/units?incomplete=1").text
    assert 'id="unit-total">2<' in incomplete
    assert "缺统计表单位" in incomplete and "汇总表过期单位" in incomplete and "材料齐全单位" not in incomplete


def test_declaration_detail_and_its_files(app, admin_client, make, decl):
    unit = make.unit()
    declaration_id = decl.declaration(unit, kind="team")
    image = decl.add_file(declaration_id, "records", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "现场照片.png", "image/png")
    text = admin_client.get(f"/admin/declarations/{declaration_id}").text
    for label in ("质量信得过班组名称", "班组工作完成率（%）", "98.50", "成果报告书", "活动记录", "申报表盖章件",
                  "现场照片.png", "审查记录", "小组汇总表"):
        assert label in text, label
    files = {}
    with app.app_context():
        from app.declarations.models import DeclarationFile

        for file in db.session.execute(db.select(DeclarationFile).where(
                DeclarationFile.declaration_id == declaration_id)).scalars():
            files[file.purpose if file.id != image else "image"] = file.id
    pdf = admin_client.get(f"/admin/declarations/{declaration_id}/files/{files['stamped_form']}")
    assert pdf.mimetype == "application/pdf" and "sandbox" in pdf.headers["Content-Security-Policy"]
    assert not pdf.headers.get("Content-Disposition", "").startswith("attachment")
    assert admin_client.get(f"/admin/declarations/{declaration_id}/files/{image}").mimetype == "image/png"
    word = admin_client.get(f"/admin/declarations/{declaration_id}/files/{files['report']}")
    assert word.headers["Content-Disposition"].startswith("attachment") and word.data == DOCX
    assert word.mimetype == DOCX_TYPE and word.headers["X-Content-Type-Options"] == "nosniff"
    other = decl.declaration(unit)
    assert admin_client.get(f"/admin/declarations/{other}/files/{files['report']}").status_code == 404
    assert admin_client.get("/admin/declarations/999999").status_code == 404
