"""年度设置 and 通知公告: what the secretariat sets is what the home page shows."""
import io
from datetime import date
from pathlib import Path

from app.core.extensions import db
from app.models import AuditLog, Notice, StoredFile, YearSetting

THEME = "绿色低碳•创新赋能•提升效能"
SETTINGS = {"year": "2024", "theme": THEME, "filing_deadline": "2023-12-31",
            "declaration_start": "2024-03-25",
            "declaration_end": "2024-04-30", "earliest_completion": "2023-05-01",
            "set_filing_year": "1", "declaration_year": "2024"}


def test_form_shows_defaults_of_the_open_year(admin_client):
    text = admin_client.get("/admin/settings?year=2024").text
    for value in ("2023-12-31", "2024-03-25", "2024-04-30", "2023-05-01"):
        assert f'value="{value}"' in text


def test_save_settings_and_home_page_shows_them(app, admin_client, client):
    response = admin_client.post("/admin/settings", data=SETTINGS, headers={"HX-Request": "true"})
    assert response.status_code == 204
    with app.app_context():
        row = db.session.get(YearSetting, 2024)
        assert row.theme == THEME and row.filing_deadline == date(2023, 12, 31)
        entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "settings.year")).scalar_one()
        assert THEME in entry.detail
    # Extend the deadline.
    admin_client.post("/admin/settings", data=dict(SETTINGS, filing_deadline="2024-01-15"))
    home = app.test_client().get("/").text
    assert THEME in home
    assert "2024年1月15日" in home and "2024年3月25日－2024年4月30日" in home and "2023年5月1日" in home


def test_settings_errors_stay_beside_the_fields(admin_client):
    data = dict(SETTINGS, year="24", declaration_end="2024-03-01", earliest_completion="")
    response = admin_client.post("/admin/settings", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "年度应为2000至2100之间的四位年份" in response.text and "申报截止日期不能早于申报开始日期" in response.text
    assert "请填写成果最早完成日期" in response.text and f'value="{THEME}"' in response.text


def _files(*names):
    return [(io.BytesIO(f"内容 {name}".encode()), name) for name in names]


def test_publish_notice_with_attachments_download_from_home(app, admin_client):
    data = {"title": "关于开展2024年石油和化工行业质量管理小组活动的通知", "body": "各有关单位：\n现将有关事宜通知如下。",
            "is_published": "1", "attachments": _files("附件1 申报要求.docx", "附件2 申报表（小组）.xlsx")}
    response = admin_client.post("/admin/notices/new", data=data, content_type="multipart/form-data",
                                 headers={"HX-Request": "true"})
    assert response.status_code == 204, response.text
    visitor = app.test_client()
    home = visitor.get("/").text
    assert "关于开展2024年石油和化工行业质量管理小组活动的通知" in home
    assert "附件1 申报要求.docx" in home
    with app.app_context():
        notice = db.session.execute(db.select(Notice)).scalar_one()
        attachment_ids = [a.id for a in notice.attachments]
        stored = [a.file.stored_name for a in notice.attachments]
    download = visitor.get(f"/notices/attachments/{attachment_ids[0]}")
    assert download.status_code == 200
    assert download.data == "内容 附件1 申报要求.docx".encode()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    # Delete one attachment: its file leaves the disk.
    admin_client.post(f"/admin/notices/{notice.id}/attachments/{attachment_ids[0]}/delete")
    assert not (Path(app.config["UPLOAD_DIR"]) / stored[0]).exists()
    assert visitor.get(f"/notices/attachments/{attachment_ids[0]}").status_code == 404
    # Unpublish: the home page hides it and its attachments cannot be downloaded.
    admin_client.post(f"/admin/notices/{notice.id}", data={"title": "改过的标题", "body": ""},
                      content_type="multipart/form-data")
    assert "改过的标题" not in visitor.get("/").text
    assert visitor.get(f"/notices/attachments/{attachment_ids[1]}").status_code == 404
    assert admin_client.get(f"/admin/notices/attachments/{attachment_ids[1]}").status_code == 200
    # Delete the notice: rows and files go, the audit log keeps the story.
    admin_client.post(f"/admin/notices/{notice.id}/delete")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
        actions = db.session.execute(db.select(AuditLog.action)).scalars().all()
        assert {"notice.create", "notice.attachment_delete", "notice.update", "notice.delete"} <= set(actions)
    assert not (Path(app.config["UPLOAD_DIR"]) / stored[1]).exists()


def test_notice_form_errors(admin_client):
    response = admin_client.post("/admin/notices/new", data={"title": "", "attachments": _files("evil.exe")},
                                 content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "请填写标题" in response.text and "evil.exe" in response.text


def test_oversized_attachment_is_refused(app, admin_client):
    app.config["MAX_UPLOAD_BYTES"], old = 10, app.config["MAX_UPLOAD_BYTES"]
    try:
        response = admin_client.post("/admin/notices/new",
                                     data={"title": "大文件", "attachments": _files("big.pdf")},
                                     content_type="multipart/form-data", headers={"HX-Request": "true"})
    finally:
        app.config["MAX_UPLOAD_BYTES"] = old
    assert response.status_code == 422 and "超过" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Notice)) == 0


def test_notice_list_query_count_does_not_grow(admin_client, count_queries):
    admin_client.post("/admin/notices/new",
                      data={"title": "通知0", "is_published": "1", "attachments": _files("a.pdf")},
                      content_type="multipart/form-data")
    with count_queries() as few:
        admin_client.get("/admin/notices")
    with count_queries() as home_few:
        admin_client.application.test_client().get("/")
    for i in range(1, 8):
        admin_client.post("/admin/notices/new", data={"title": f"通知{i}", "is_published": "1",
                                                      "attachments": _files(f"a{i}.pdf", f"b{i}.pdf")},
                          content_type="multipart/form-data")
    with count_queries() as many:
        text = admin_client.get("/admin/notices").text
    with count_queries() as home_many:
        home = admin_client.application.test_client().get("/").text
    assert "通知7" in text and "b7.pdf" in home
    assert len(many) == len(few) and len(home_many) == len(home_few)


def test_missing_notice_is_404(admin_client):
    assert admin_client.get("/admin/notices/999").status_code == 404
    assert admin_client.post("/admin/notices/999/delete").status_code == 404
    assert admin_client.application.test_client().get("/notices/attachments/999").status_code == 404


def test_chosen_attachments_are_not_lost_silently(admin_client):
    response = admin_client.post("/admin/notices/new",
                                 data={"title": "", "body": "正文保留",
                                       "attachments": _files("附件1.docx", "附件2.xlsx")},
                                 content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "请填写标题" in response.text and "正文保留" in response.text
    assert 'id="e-attachments">所选的2个附件尚未保存，请更正上面的项目后重新选择附件。' in response.text
