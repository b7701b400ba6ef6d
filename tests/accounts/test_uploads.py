"""License uploads: checked by content and size, stored outside static/, served only to the right people."""
import io
import os

import pytest

from app.core.extensions import db
from app.models import StoredFile
from tests.accounts.conftest import register, staged_key, upload_license


@pytest.mark.parametrize("content,name", [
    (b"<html><script>alert(1)</script></html>", "license.pdf"),
    (b"MZ\x90\x00 this is an executable", "license.jpg"),
    (b"GIF89a not allowed", "license.png"),
])
def test_wrong_content_behind_an_allowed_name_is_refused(client, content, name, app):
    response = upload_license(client, content, name)
    assert response.status_code == 422
    assert "文件内容不是图片（JPG/PNG）或PDF" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(StoredFile.id))).scalar() == 0


def test_broken_image_with_a_jpeg_header_is_refused(client):
    response = upload_license(client, b"\xff\xd8\xff\xe0" + b"garbage" * 20, "x.jpg")
    assert response.status_code == 422 and "图片文件已损坏" in response.get_data(as_text=True)


def test_six_megabyte_upload_gets_413(client):
    response = upload_license(client, b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024), "big.pdf")
    assert response.status_code == 413
    assert "5M" in response.get_data(as_text=True)


def test_just_over_five_megabytes_gets_413_too(client):
    response = upload_license(client, b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "big.pdf")
    assert response.status_code == 413


def test_pixel_bomb_is_refused_without_decoding(client, files):
    response = upload_license(client, files.bomb, "bomb.png")
    assert response.status_code == 422
    assert "像素尺寸过大" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["png", "jpeg", "pdf"])
def test_good_files_are_staged_under_a_generated_name(client, files, app, kind):
    content = getattr(files, kind)
    response = upload_license(client, content, f"../../etc/营业执照.{kind}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "上传成功" in html and staged_key(response)
    assert ("data:image/png;base64," in html) == (kind != "pdf")  # thumbnail for images
    with app.app_context():
        row = db.session.execute(db.select(StoredFile)).scalar_one()
        assert row.original_name == f"营业执照.{kind}" and "/" not in row.stored_name
        path = os.path.join(app.config["UPLOAD_DIR"], row.stored_name)
        assert open(path, "rb").read() == content
        assert "static" not in os.path.abspath(path).split(os.sep)
        assert row.content_type == {"png": "image/png", "jpeg": "image/jpeg", "pdf": "application/pdf"}[kind]


def _license_id(app):
    from app.models import Unit

    with app.app_context():
        return db.session.execute(db.select(Unit)).scalar_one().license_file_id


def test_license_is_served_to_secretariat_and_owner_only(client, app, make, auth, captcha_answer, files):
    response, data = register(client, files.png)
    assert response.status_code == 204
    file_id = _license_id(app)
    url = f"/files/license/{file_id}"
    assert client.get(url).status_code == 404  # anonymous

    other = make.unit()
    auth.login(client, other.user)
    assert client.get(url).status_code == 404  # another unit's license

    clerk = make.secretariat()
    auth.login(client, clerk)
    served = client.get(url)
    assert served.status_code == 200 and served.data == files.png
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Type"] == "image/png"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    download = client.get(url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_pdf_license_opens_inline_sandboxed_for_owner_and_secretariat_only(
        client, app, make, auth, captcha_answer, files):
    data = {"license": (io.BytesIO(files.pdf), "执照.pdf")}
    from tests.accounts.conftest import registration_data
    form = registration_data()
    form.update(data)
    response = client.post("/register/form", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    file_id = _license_id(app)
    url = f"/files/license/{file_id}"
    from app.models import Unit, User
    with app.app_context():
        unit = db.session.execute(db.select(Unit)).scalar_one()
        unit.status = "approved"
        db.session.commit()
        unit_id = unit.id
        user = db.session.get(User, unit.user_id)
        db.session.expunge(user)
    auth.login(client, user)
    served = client.get(url)
    assert served.status_code == 200 and served.data == files.pdf
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert "filename*=UTF-8''" in served.headers["Content-Disposition"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    csp = [part.strip() for part in served.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in csp and "default-src 'none'" in csp
    download = client.get(url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment") and download.data == files.pdf

    other = make.unit()
    auth.login(client, other.user)
    assert client.get(url).status_code == 404
    auth.login(client, make.expert())
    assert client.get(url).status_code == 404
    auth.login(client, make.secretariat())
    assert client.get(url).headers["Content-Disposition"].startswith("inline")
    detail = client.get(f"/admin/registrations/{unit_id}").get_data(as_text=True)
    assert f'href="{url}" target="_blank" rel="noopener">在新标签页中打开</a>' in detail
    assert f'href="{url}?download=1">下载</a>' in detail and "执照.pdf" in detail


def test_staged_key_only_works_for_unclaimed_files(client, captcha_answer, files, app):
    response, data = register(client, files.png)
    assert response.status_code == 204
    # reusing the same key for a second registration does not reuse the claimed file
    from tests.accounts.conftest import registration_data
    again = client.post("/register/form", data=registration_data(license_key=data["license_key"]),
                        headers={"HX-Request": "true"})
    assert again.status_code == 422 and "请上传营业执照" in again.get_data(as_text=True)


def test_stored_name_follows_the_real_content_not_the_sent_extension(client, files, app):
    assert upload_license(client, files.pdf, "营业执照.png").status_code == 200
    assert upload_license(client, files.jpeg, "scan.JPEG").status_code == 200
    assert upload_license(client, files.png, "执照").status_code == 200
    with app.app_context():
        names = [row.original_name for row in db.session.execute(
            db.select(StoredFile).order_by(StoredFile.id)).scalars()]
    assert names == ["营业执照.pdf", "scan.JPEG", "执照.png"]
