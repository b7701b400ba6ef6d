"""评委推荐表 附件7 (spec A9, Part F 7): one or two experts, 相关经历描述 ≤ 300 characters, 推荐参与评审成果类型 ≥ 1,
1–5 proof files (PDF/JPG/PNG ≤ 5 MB), print with the 校验码, stamped scan; scoped to the unit."""
import io

from app.core.extensions import db
from app.core.models import StoredFile
from app.declarations.models import ExpertRecommendation, ExpertRecommendationFile
from tests.declarations.documents.conftest import pdf_text, pdf_upload, png_upload, squeeze

URL = "/declarations/recommendations"
HX = {"HX-Request": "true"}


def expert_form(**changes):
    data = {"name": "欧阳（明）", "company_dept": "中国石化燕山分公司质量管理部", "address": "北京市房山区燕山岗南路1号",
            "postcode": "102500", "mobile": "13912345678", "email": "ouyang@example.com",
            "experience": "参与2023年行业小组成果评审，获QC诊断师资格。", "kinds": ["group", "team"],
            "files": [pdf_upload("证书.pdf")]}
    data.update(changes)
    return data


def add(client, **changes):
    return client.post(f"{URL}/new", data=expert_form(**changes), headers=HX,
                       content_type="multipart/form-data")


def _experts(app, unit):
    with app.app_context():
        return db.session.scalars(db.select(ExpertRecommendation)
                                  .where(ExpertRecommendation.unit_id == unit.id)
                                  .order_by(ExpertRecommendation.seq)).all()


def test_page_shows_requirements_notes_and_labels(unit_client, unit, year):
    page = unit_client.get(URL).text
    assert f"{year}年行业优秀成果评审委员会评委推荐表" in page
    for text in ("具有良好的职业道德，评审过程中能以客观公正、实事求是为行为准则。", "能够按时参加行业优秀成果评审工作。",
                 "推荐1至2名专家参与行业优秀成果的评审工作", "字数：300字以内", "添加评委"):
        assert text in page, text
    form = unit_client.get(f"{URL}/new").text
    for label in ("姓名", "工作单位及部门", "通讯地址", "邮编", "手机", "E-mail", "相关经历描述",
                  "推荐参与评审成果类型（可多选）", "小组成果", "班组成果", "证明材料", "已输入0/300字"):
        assert label in form, label


def test_two_experts_are_accepted_and_a_third_is_refused(app, unit_client, unit, year):
    first = add(unit_client)
    assert first.status_code == 204 and first.headers["HX-Redirect"].endswith(URL)
    assert add(unit_client, name="李四", files=[png_upload("荣誉.png"), pdf_upload("资质.pdf")]).status_code == 204
    third = add(unit_client, name="王五")
    assert third.status_code == 422 and "每个单位推荐1至2名专家。" in third.text
    assert 'value="王五"' in third.text  # kept as typed
    experts = _experts(app, unit)
    assert [(e.seq, e.name) for e in experts] == [(1, "欧阳（明）"), (2, "李四")]
    page = unit_client.get(URL).text
    assert "每个单位推荐1至2名专家。" in page and 'href="/declarations/recommendations/new"' not in page
    assert "每个单位推荐1至2名专家。" in unit_client.get(f"{URL}/new").text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 3


def test_experience_of_300_characters_is_accepted_and_301_refused(app, unit_client, unit, year):
    refused = add(unit_client, experience="评" * 301)
    assert refused.status_code == 422
    assert "相关经历描述不能超过300字（现有301字）。" in refused.text
    assert "评" * 301 in refused.text  # what was typed stays in the box
    assert _experts(app, unit) == []
    # 299 characters and a line break: the browser sends CRLF, which counts once, as the live counter does
    accepted = add(unit_client, experience="评" * 150 + "\r\n" + "审" * 149)
    assert accepted.status_code == 204
    assert len(_experts(app, unit)[0].experience) == 300


def test_fields_and_kinds_are_checked(app, unit_client, unit, year):
    response = add(unit_client, name="", postcode="12345", mobile="1391234", email="not-mail", experience="",
                   kinds=[])
    assert response.status_code == 422
    for message in ("请填写姓名。", "邮编应为6位数字。", "11位手机号码", "有效的电子邮箱", "请填写相关经历描述。",
                    "请至少选择一种推荐参与评审成果类型。"):
        assert message in response.text, message
    forged = add(unit_client, kinds=["admin"])
    assert "请至少选择一种推荐参与评审成果类型。" in forged.text
    assert _experts(app, unit) == []


def test_proof_files_are_checked_by_content_and_counted(app, unit_client, unit, year):
    cases = [
        ([], "请上传至少1个证明材料"),
        ([(io.BytesIO(b"<html>not a pdf</html>"), "证书.pdf")], "证明材料只能是PDF、JPG或PNG文件"),
        ([(io.BytesIO(b""), "empty.png")], "上传的文件是空的"),
        ([(io.BytesIO(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)), "big.pdf")], "证明材料大小不能超过5M"),
        ([pdf_upload(f"{i}.pdf") for i in range(6)], "证明材料最多5个（现有6个）"),
    ]
    for files, message in cases:
        response = add(unit_client, files=files)
        assert response.status_code == 422 and message in response.text, message
    assert _experts(app, unit) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0


def test_edit_replaces_files_but_keeps_at_least_one(app, unit_client, unit, year):
    add(unit_client)
    expert = _experts(app, unit)[0]
    with app.app_context():
        proof_id = db.session.scalar(db.select(ExpertRecommendationFile.id))
    form = unit_client.get(f"{URL}/{expert.id}/edit").text
    assert 'value="欧阳（明）"' in form and "证书.pdf" in form
    emptied = unit_client.post(f"{URL}/{expert.id}/edit",
                               data=expert_form(files=[], remove_files=[str(proof_id)]),
                               headers=HX, content_type="multipart/form-data")
    assert emptied.status_code == 422 and "请上传至少1个证明材料" in emptied.text
    swapped = unit_client.post(f"{URL}/{expert.id}/edit",
                               data=expert_form(name="欧阳明", kinds=["team"], files=[png_upload("新证书.png")],
                                                remove_files=[str(proof_id)]),
                               headers=HX, content_type="multipart/form-data")
    assert swapped.status_code == 204
    with app.app_context():
        row = db.session.get(ExpertRecommendation, expert.id)
        assert row.name == "欧阳明" and row.kinds == ["team"]
        assert [f.stored_file.original_name for f in row.files] == ["新证书.png"]
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 1


def test_print_and_scan_follow_the_data(app, unit_client, unit, year):
    assert "请先添加推荐评委" in unit_client.get(URL).text
    add(unit_client)
    add(unit_client, name="李四", kinds=["group"])
    data = unit_client.get(f"{URL}/print")
    assert data.status_code == 200 and data.mimetype == "application/pdf"
    text = pdf_text(data.data)
    flat = squeeze(text)
    assert "附件7" in text and f"{year}年行业优秀成果评审委员会" in text and "评委推荐表" in text
    assert "申报单位：" in text and unit.name in flat and "（盖章）" in text
    for label in ("序号", "姓名", "工作单位及部门", "通讯地址", "邮编", "手机", "E-mail", "相关经历描述"):
        assert label in text
    assert "欧阳（明）" in flat and "■小组成果" in flat and "□班组成果" in flat
    assert squeeze("2．“相关经历描述”，包括参与小组成果/班组成果评审的经历") in flat
    code = unit_client.get(URL).text.split('id="current-hash">')[1][:8]
    assert f"评委推荐表 · 校验码 {code} · 生成时间" in text
    uploaded = unit_client.post(f"{URL}/scan", data={"scan": png_upload()}, headers=HX,
                                content_type="multipart/form-data")
    assert uploaded.status_code == 200 and 'id="scan-state">已上传<' in uploaded.text
    experts = _experts(app, unit)
    unit_client.post(f"{URL}/{experts[1].id}/edit", data=expert_form(name="李四", kinds=["group"], files=[],
                                                                       email="new@example.com"),
                     headers=HX, content_type="multipart/form-data")
    assert 'id="scan-state">需重新上传<' in unit_client.get(URL).text


def test_delete_removes_the_expert_and_files(app, unit_client, unit, year):
    add(unit_client)
    expert = _experts(app, unit)[0]
    response = unit_client.post(f"{URL}/{expert.id}/delete", headers=HX)
    assert response.status_code == 200 and "已删除推荐评委" in response.text
    assert _experts(app, unit) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
    assert add(unit_client).status_code == 204 and add(unit_client, name="乙").status_code == 204


def test_another_unit_gets_404_for_experts_and_proofs(app, client, auth, make, unit_client, unit, year):
    add(unit_client)
    expert = _experts(app, unit)[0]
    with app.app_context():
        proof_id = db.session.scalar(db.select(ExpertRecommendationFile.id))
    served = unit_client.get(f"{URL}/proofs/{proof_id}")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    other = make.unit(name="另一家化工公司")
    auth.login(client, other.user)
    for method, url in (("GET", f"{URL}/proofs/{proof_id}"), ("GET", f"{URL}/{expert.id}/edit"),
                        ("POST", f"{URL}/{expert.id}/edit"), ("POST", f"{URL}/{expert.id}/delete")):
        assert client.open(url, method=method).status_code == 404, url
    assert "欧阳" not in client.get(URL).text
    expert_client = app.test_client()
    auth.login(expert_client, make.expert())
    assert expert_client.get(f"{URL}/proofs/{proof_id}").status_code == 403
    assert app.test_client().get(f"{URL}/proofs/{proof_id}").status_code in (302, 303)
    assert len(_experts(app, unit)) == 1


def test_the_list_runs_a_fixed_number_of_statements(unit_client, unit, year, count_queries):
    add(unit_client)
    unit_client.get(URL)
    with count_queries() as one:
        assert unit_client.get(URL).status_code == 200
    add(unit_client, name="李四", files=[pdf_upload("a.pdf"), png_upload("b.png"), pdf_upload("c.pdf")])
    with count_queries() as two:
        assert unit_client.get(URL).text.count('href="/declarations/recommendations/proofs/') == 4
    assert len(one) == len(two)
