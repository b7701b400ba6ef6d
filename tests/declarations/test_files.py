"""附件材料 (A5, A6, Part F 5): content decides, hostile files are refused in Chinese and the worker lives on,
files stream to disk, a stamped scan goes stale when a printed field changes, files reach only their unit."""
import io
import os
import zipfile
from pathlib import Path

import pytest

from app.core.extensions import db
from app.models import Declaration, DeclarationFile, StoredFile
from tests.declarations.conftest import GROUP_FORM, HX, complete, create, docx_bytes, pdf_bytes, png_bytes, upload

MB = 1024 * 1024


def ole_bytes(*names, size=4096):
    """A minimal OLE2 compound file whose directory (at sector 1) holds entries with these names."""
    data = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    for name in ("Root Entry", *names):
        encoded = (name + "\0").encode("utf-16-le")
        entry = bytearray(128)
        entry[:len(encoded)] = encoded
        entry[64:66] = len(encoded).to_bytes(2, "little")
        entry[66] = 5 if name == "Root Entry" else 2
        data += entry
    return bytes(data) + bytes(size)


def zip_bomb_docx():
    """A .docx whose one extra part inflates 1000×."""
    return docx_bytes(extra={"word/media/bomb.bin": bytes(12 * MB)})


def macro_docx():
    """A .docx carrying a VBA project (what Word saves as .docm)."""
    return docx_bytes(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"})


def docm_content_types():
    """A .docm: macro-enabled main part declared in [Content_Types].xml."""
    source = io.BytesIO(docx_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
            zout.writestr(info, data)
    return out.getvalue()


@pytest.fixture
def declaration_id(unit_client, group_filing):
    """A saved draft of the unit."""
    return create(unit_client, group_filing)


def _alive(client, declaration_id):
    return client.get(f"/declarations/{declaration_id}/edit").status_code == 200


@pytest.mark.parametrize("purpose, data, name, message", [
    ("report", zip_bomb_docx(), "报告.docx", "文件压缩比异常（疑似压缩炸弹），已拒绝上传。"),
    ("report", docx_bytes(extra={f"word/media/{i}.bin": b"x" for i in range(3000)}), "报告.docx",
     "文件结构异常（包含的部件过多），已拒绝上传。"),
    ("report", macro_docx(), "报告.docx", "文件包含宏（VBA代码），为安全起见不能上传。"),
    ("report", docm_content_types(), "报告.docm", "文件包含宏（VBA代码），为安全起见不能上传。"),
    ("report", ole_bytes("WordDocument", "Macros", "_VBA_PROJECT"), "报告.doc", "文件包含宏（VBA代码）"),
    ("report", ole_bytes("EncryptedPackage"), "报告.docx", "文件已加密（设置了打开密码），请去掉密码后再上传。"),
    ("records", b"<html><script>alert(1)</script></html>", "记录.pdf",
     "小组活动记录只接受PDF、JPG、PNG文件，所选文件的内容不符（系统按文件内容判断，与扩展名无关）。"),
    ("records", b"", "记录.pdf", "上传的文件是空的（0字节），请重新选择文件。"),
    ("report", pdf_bytes(), "报告.docx", "成果报告书（Word文档）只接受Word（.docx）、Word（.doc）文件"),
    ("stamped_form", b"%PDF-1.7\n" + b"garbage" * 100, "盖章.pdf", "PDF文件已损坏，无法打开"),
    ("report", b"PK\x03\x04" + b"\x00" * 200, "报告.docx", "文件已损坏，或不是Word/PowerPoint文档。"),
])
def test_hostile_files_are_refused_in_chinese_and_the_worker_lives(unit_client, app, declaration_id, purpose, data,
                                                                   name, message):
    response = upload(unit_client, declaration_id, purpose, data, name)
    assert response.status_code == 422
    assert message in response.text, response.text[-1500:]
    assert _alive(unit_client, declaration_id)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(DeclarationFile)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
    assert not [p for p in Path(app.config["UPLOAD_DIR"]).iterdir() if p.suffix == ".part"]


def test_encrypted_pdf_is_refused(unit_client, declaration_id):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    response = upload(unit_client, declaration_id, "records", buffer.getvalue(), "加密.pdf")
    assert response.status_code == 422 and "PDF文件设置了打开密码" in response.text


def test_real_files_are_kept_by_their_content_with_the_right_name(unit_client, app, declaration_id):
    assert upload(unit_client, declaration_id, "report", docx_bytes(), "报告.bin").status_code == 200
    with app.app_context():
        docx_name = db.session.scalar(db.select(StoredFile.stored_name))
    assert docx_name.endswith(".docx")  # the content decided the suffix, not "报告.bin"
    assert upload(unit_client, declaration_id, "report_pdf", pdf_bytes(2), "报告.pdf").status_code == 200
    assert upload(unit_client, declaration_id, "records", png_bytes(), "现场照片.jpg").status_code == 200
    doc = upload(unit_client, declaration_id, "report", ole_bytes("WordDocument", "1Table"), "旧版报告.doc")
    assert doc.status_code == 200 and "已上传“旧版报告.doc”" in doc.text
    with app.app_context():
        rows = {f.purpose: f.stored_file for f in db.session.scalars(db.select(DeclarationFile))}
        assert rows["report"].content_type == "application/msword"  # replaced the .docx
        assert rows["records"].original_name == "现场照片.png" and rows["records"].content_type == "image/png"
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 3
        kept = {p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()}
        assert {f.stored_name for f in rows.values()} <= kept and docx_name not in kept


def test_records_are_limited_to_ten(unit_client, declaration_id):
    for i in range(10):
        assert upload(unit_client, declaration_id, "records", png_bytes(), f"记录{i}.png").status_code == 200
    page = unit_client.get(f"/declarations/{declaration_id}/edit").text
    assert 'action="/declarations/%d/files/records"' % declaration_id not in page  # no more upload box
    eleventh = upload(unit_client, declaration_id, "records", png_bytes(), "记录10.png")
    assert eleventh.status_code == 422 and "小组活动记录最多上传10个文件，请先删除不需要的文件。" in eleventh.text


def test_sizes_per_purpose_and_other_routes_keep_their_limit(unit_client, app, declaration_id):
    just_over = b"%PDF-1.4\n" + bytes(10 * MB)
    over = upload(unit_client, declaration_id, "stamped_form", just_over, "盖章.pdf")
    assert over.status_code == 422 and "文件大小超过10M" in over.text
    far_over = upload(unit_client, declaration_id, "stamped_form", bytes(12 * MB), "盖章.pdf")
    assert far_over.status_code == 413 and "文件大小不能超过10M" in far_over.text
    photos = docx_bytes(extra={"word/media/image1.jpeg": os.urandom(15 * MB)})  # beyond every other route's limit
    large = upload(unit_client, declaration_id, "report", photos, "大报告.docx")
    assert large.status_code == 200 and "已上传“大报告.docx”" in large.text
    imported = unit_client.post("/groups/import", data={"file": (io.BytesIO(bytes(7 * MB)), "a.xlsx")},
                                content_type="multipart/form-data")
    assert imported.status_code == 413 and "不能超过5M" in imported.text
    assert _alive(unit_client, declaration_id)


def test_editing_a_printed_field_after_the_scan_asks_for_a_new_scan(unit_client, app, declaration_id):
    complete(unit_client, declaration_id)
    edit = unit_client.get(f"/declarations/{declaration_id}/edit").text
    assert "需重新上传" not in edit
    saved = unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX,
                             data=dict(GROUP_FORM, enterprise_name="中国石化测试分公司（新名称）"))
    assert saved.status_code == 200 and "需重新上传" in saved.text
    assert "信息已修改，请重新打印、盖章后上传。" in saved.text
    listed = unit_client.get("/declarations/group/").text
    assert "需重新上传" in listed
    overview = unit_client.get("/declarations/").text
    assert "申报表盖章扫描件需重新上传" in overview
    refused = unit_client.post(f"/declarations/{declaration_id}/submit")
    assert refused.status_code == 422 and "信息已修改，请重新打印、盖章后上传。" in refused.text
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "draft"
    # not printed: the completion date changes nothing
    unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX,
                     data=dict(GROUP_FORM, enterprise_name="中国石化测试分公司（新名称）", completed_on="2023-12-21"))
    assert upload(unit_client, declaration_id, "stamped_form", pdf_bytes(), "新盖章件.pdf").status_code == 200
    unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX,
                     data=dict(GROUP_FORM, enterprise_name="中国石化测试分公司（新名称）", completed_on="2023-12-22"))
    assert unit_client.post(f"/declarations/{declaration_id}/submit").status_code == 303
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "submitted"


def test_files_are_served_carefully_and_only_to_their_unit(unit_client, app, make, auth, declaration_id):
    complete(unit_client, declaration_id)
    with app.app_context():
        rows = {f.purpose: f.id for f in db.session.scalars(db.select(DeclarationFile))}
    report = unit_client.get(f"/declarations/{declaration_id}/files/{rows['report']}")
    assert report.status_code == 200 and report.headers["Content-Disposition"].startswith("attachment")
    assert report.headers["X-Content-Type-Options"] == "nosniff" and report.data.startswith(b"PK")
    record = unit_client.get(f"/declarations/{declaration_id}/files/{rows['records']}")
    assert record.headers["Content-Disposition"].startswith("inline") and "sandbox" in record.headers[
        "Content-Security-Policy"]
    assert unit_client.get(f"/declarations/{declaration_id}/files/{rows['records']}?download=1").headers[
        "Content-Disposition"].startswith("attachment")
    other = app.test_client()
    auth.login(other, make.unit().user)
    for url in (f"/declarations/{declaration_id}/files/{rows['report']}", f"/declarations/{declaration_id}"):
        assert other.get(url).status_code == 404
    assert other.post(f"/declarations/{declaration_id}/files/{rows['report']}/delete").status_code == 404
    # a file id of another declaration under the unit's own declaration: 404 too
    own = make.group(make.unit(), year=2024)
    assert own and unit_client.get(f"/declarations/{declaration_id}/files/999999").status_code == 404


def test_delete_and_replace_remove_the_old_file_from_disk(unit_client, app, declaration_id):
    upload(unit_client, declaration_id, "report", docx_bytes("第一版"), "第一版.docx")
    with app.app_context():
        first = db.session.scalar(db.select(StoredFile)).stored_name
    upload(unit_client, declaration_id, "report", docx_bytes("第二版"), "第二版.docx")
    directory = Path(app.config["UPLOAD_DIR"])
    assert not (directory / first).exists()
    with app.app_context():
        row = db.session.scalar(db.select(DeclarationFile))
        second = row.stored_file.stored_name
    deleted = unit_client.post(f"/declarations/{declaration_id}/files/{row.id}/delete", headers=HX)
    assert deleted.status_code == 200 and "已删除" in deleted.text
    assert not (directory / second).exists()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
