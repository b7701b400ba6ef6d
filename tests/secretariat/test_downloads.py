"""打包下载: the zips of one declaration, one unit and a filter, read back: folders, names, 清单.xlsx, stored."""
import io
import zipfile

from openpyxl import load_workbook

from app.core.extensions import db
from app.declarations import downloads
from app.models import AuditLog
from tests.secretariat.declaration_factory import DOCX, DOCX_TYPE, PDF


def _zip(response):
    assert response.status_code == 200, response.status_code
    assert response.is_streamed and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    return zipfile.ZipFile(io.BytesIO(body))


def test_one_declaration_zip_reads_back(app, admin_client, make, decl):
    unit = make.unit(name="中国石化/扬子:石化")  # separators in a name never make extra folders
    declaration_id = decl.declaration(unit, title="降低*能耗?的研究")
    decl.add_file(declaration_id, "records", PDF, "第二次活动.pdf", "application/pdf")
    decl.add_file(declaration_id, "records", PDF, "第二次活动.pdf", "application/pdf")  # same name twice
    row = decl.get(declaration_id)
    archive = _zip(admin_client.get(f"/admin/declarations/{declaration_id}/download.zip"))
    folder = f"中国石化_扬子_石化/{row.decl_no}-降低_能耗_的研究"
    names = archive.namelist()
    assert names == ["清单.xlsx", f"{folder}/成果报告书-成果报告书.docx", f"{folder}/活动记录1-活动记录.pdf",
                     f"{folder}/活动记录2-第二次活动.pdf", f"{folder}/活动记录3-第二次活动.pdf",
                     f"{folder}/申报表盖章件-申报表盖章件.pdf"]
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert archive.read(f"{folder}/成果报告书-成果报告书.docx") == DOCX
    assert archive.testzip() is None
    sheet = load_workbook(io.BytesIO(archive.read("清单.xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == downloads.MANIFEST_HEADER and len(rows) == 6
    assert rows[1][1:5] == ("中国石化/扬子:石化", row.decl_no, "降低*能耗?的研究", "成果报告书")
    assert rows[1][6] == len(DOCX) and rows[1][7] == names[1]
    with app.app_context():
        entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "declaration.download")).scalar_one()
        assert row.decl_no in entry.summary


def test_unit_zip_has_its_documents_and_no_drafts(admin_client, make, decl):
    unit = make.unit(name="山东炼化")
    first = decl.declaration(unit)
    decl.declaration(unit, kind="team")
    decl.declaration(unit, status="draft", title="草稿成果")
    decl.documents(unit, docs=("summary_group", "statistics"))
    other = make.unit(name="其他单位")
    decl.declaration(other)
    archive = _zip(admin_client.get(f"/admin/declarations/units/{unit.id}/download.zip"))
    names = archive.namelist()
    assert "草稿成果" not in "".join(names) and not any(n.startswith("其他单位/") for n in names)
    assert len([n for n in names if n.endswith("申报表盖章件.pdf")]) == 2
    assert "山东炼化/单位材料/小组申报汇总表盖章件-summary_group.pdf" in names
    assert "山东炼化/单位材料/活动统计表盖章件-statistics.pdf" in names
    assert names.index(f"山东炼化/{decl.get(first).decl_no}-{decl.get(first).title}/成果报告书-成果报告书.docx") \
        < names.index("山东炼化/单位材料/活动统计表盖章件-statistics.pdf")


def test_filter_zip_follows_the_filter(admin_client, make, decl):
    js = make.unit(name="江苏化工", province_code="32")
    sd = make.unit(name="山东炼化", province_code="37")
    decl.declaration(js)
    decl.declaration(sd)
    decl.declaration(sd, status="draft")
    names = _zip(admin_client.get("/admin/declarations/download.zip?province=37")).namelist()
    folders = {n.split("/")[0] for n in names if "/" in n}
    assert folders == {"山东炼化"} and len([n for n in names if n.endswith(".docx")]) == 1
    drafts = _zip(admin_client.get("/admin/declarations/download.zip?status=draft")).namelist()
    assert len([n for n in drafts if n.endswith(".docx")]) == 1
    everything = _zip(admin_client.get("/admin/declarations/download.zip")).namelist()
    assert {n.split("/")[0] for n in everything if "/" in n} == {"江苏化工", "山东炼化"}
    empty = _zip(admin_client.get("/admin/declarations/download.zip?q=不存在的成果"))
    assert empty.namelist() == ["清单.xlsx"]


def test_a_file_missing_on_disk_is_left_out_not_a_broken_zip(app, admin_client, make, decl):
    from pathlib import Path

    from app.core.models import StoredFile

    unit = make.unit()
    declaration_id = decl.declaration(unit)
    missing = decl.add_file(declaration_id, "slides", DOCX, "发表材料.pptx", DOCX_TYPE)
    with app.app_context():
        from app.declarations.models import DeclarationFile

        stored = db.session.get(StoredFile, db.session.get(DeclarationFile, missing).stored_file_id)
        (Path(app.config["UPLOAD_DIR"]) / stored.stored_name).unlink()
    archive = _zip(admin_client.get(f"/admin/declarations/{declaration_id}/download.zip"))
    assert archive.testzip() is None and not any("发表材料" in n for n in archive.namelist())


def test_safe_component():
    assert downloads.safe_component('a/b\\c:d*e?f"g<h>i|j\x00k') == "a_b_c_d_e_f_g_h_i_j_k"
    assert downloads.safe_component("  ..  ") == "_"
    long = downloads.safe_component("长" * 100 + ".docx", limit=20)
    assert long.endswith(".docx") and len(long) == 20
