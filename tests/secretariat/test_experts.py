"""评委管理 (spec B3): 遴选 of recommendations creates or links experts with logins and set-password mails;
the pool: add, edit, stop, signature, password link."""
import io
import re

from PIL import Image

from app.core.extensions import db
from app.declarations.models import ExpertRecommendation
from app.models import AuditLog, OutboxMail, User, UserSession
from app.review.models import Expert, ExpertYear


def _png(size=(120, 60)):
    out = io.BytesIO()
    Image.new("RGB", size, (180, 20, 20)).save(out, "PNG")
    return out.getvalue()


def _mails(app):
    with app.app_context():
        return db.session.execute(db.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()


def test_recommendations_list_shows_proof_files(admin_client, make, decl):
    unit = make.unit(name="推荐单位甲")
    decl.recommendation(unit, name="王专家", kinds=["group", "team"], files=2)
    text = admin_client.get("/admin/experts/recommendations").text
    for label in ("推荐单位", "姓名", "工作单位及部门", "手机", "E-mail", "推荐类型", "相关经历描述", "证明材料", "遴选结果"):
        assert label in text
    assert "推荐单位甲" in text and "小组成果、班组成果" in text and "材料2" in text and "待遴选" in text
    link = re.search(r'href="(/admin/experts/recommendations/files/\d+)"', text).group(1)
    proof = admin_client.get(link)
    assert proof.mimetype == "application/pdf" and "sandbox" in proof.headers["Content-Security-Policy"]


def test_select_creates_an_expert_with_a_login_and_a_link_not_a_password(app, admin_client, make, decl):
    unit = make.unit(name="推荐单位甲")
    rec = decl.recommendation(unit, name="王专家", mobile="13911112222", email="Wang@Example.com",
                              kinds=["team"])
    year = decl.year()
    response = admin_client.post(f"/admin/experts/recommendations/{rec}/select")
    assert response.status_code in (302, 303)
    with app.app_context():
        expert = db.session.execute(db.select(Expert)).scalar_one()
        user = db.session.get(User, expert.user_id)
        assert user.username == f"zj{year}001" and user.role == "expert" and user.is_enabled
        assert (expert.name, expert.kinds, expert.recommended_by_unit_id) == ("王专家", ["team"], unit.id)
        assert db.session.get(ExpertRecommendation, rec).selection == "selected"
        assert db.session.get(ExpertRecommendation, rec).expert_id == expert.id
        assert db.session.execute(db.select(ExpertYear)).scalar_one().kinds == ["team"]
    mail = _mails(app)[0]
    assert mail.recipient == "Wang@Example.com" and f"zj{year}001" in mail.body and "评审专家" in mail.body
    assert re.search(r"/password/reset/\S+", mail.body) and "密码：" not in mail.body
    # A second recommendation of the same person (same mobile, another unit) links, no second login.
    other = decl.recommendation(make.unit(), name="王专家", mobile="139 1111 2222", email="other@example.com",
                                kinds=["group"])
    admin_client.post(f"/admin/experts/recommendations/{other}/select")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Expert.id))) == 1
        assert db.session.scalar(db.select(db.func.count(User.id)).where(User.role == "expert")) == 1
        assert db.session.execute(db.select(Expert)).scalar_one().kinds == ["group", "team"]
    assert "原有评审专家账号" in _mails(app)[-1].body
    # The next new expert gets the next number; a number is never reused.
    third = decl.recommendation(make.unit(), name="李专家")
    admin_client.post(f"/admin/experts/recommendations/{third}/select")
    with app.app_context():
        assert db.session.scalar(db.select(User.username).where(User.display_name == "李专家")) == f"zj{year}002"


def test_decline_and_no_undo_of_a_selection(app, admin_client, make, decl):
    rec = decl.recommendation(make.unit())
    admin_client.post(f"/admin/experts/recommendations/{rec}/decline")
    with app.app_context():
        assert db.session.get(ExpertRecommendation, rec).selection == "declined"
    admin_client.post(f"/admin/experts/recommendations/{rec}/select")
    response = admin_client.post(f"/admin/experts/recommendations/{rec}/decline")
    assert "如不再聘请请在评委库中停用" in admin_client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.get(ExpertRecommendation, rec).selection == "selected"
    assert admin_client.post("/admin/experts/recommendations/999999/select").status_code == 404


def test_new_expert_form_checks_and_creates(app, admin_client, make):
    response = admin_client.post("/admin/experts/new", data={"name": "", "mobile": "123", "email": "x"},
                                 headers={"HX-Request": "true"})
    assert response.status_code == 422
    for message in ("请填写姓名", "请输入11位手机号码", "请填写正确的E-mail", "请至少选择一种评审类型"):
        assert message in response.text
    data = {"name": "赵专家（高级）", "company": "中国石油大学", "department": "质量研究所", "mobile": "13800001111",
            "email": "zhao@example.com", "kinds": ["group", "team"], "experience": "评审经历" * 10}
    assert admin_client.post("/admin/experts/new", data=data).status_code in (302, 303)
    with app.app_context():
        expert = db.session.execute(db.select(Expert)).scalar_one()
        assert expert.name == "赵专家（高级）" and expert.kinds == ["group", "team"] and expert.recommended_by_unit_id is None
    duplicate = admin_client.post("/admin/experts/new", data=dict(data, email="new@example.com"),
                                  headers={"HX-Request": "true"})
    assert duplicate.status_code == 422 and "评委库中已有该手机的评委：赵专家（高级）" in duplicate.text
    too_long = admin_client.post("/admin/experts/new", data=dict(data, mobile="13800002222", email="b@example.com",
                                                                 experience="长" * 301), headers={"HX-Request": "true"})
    assert too_long.status_code == 422 and "相关经历描述不能超过300字" in too_long.text
    listing = admin_client.get("/admin/experts").text
    for label in ("登录账号", "评审类型", "推荐单位", "签章", "秘书处添加", "小组成果、班组成果"):
        assert label in listing


def test_edit_stop_and_password_link(app, admin_client, auth, make):
    admin_client.post("/admin/experts/new", data={"name": "钱专家", "company": "某研究院", "mobile": "13800003333",
                                                  "email": "qian@example.com", "kinds": ["group"]})
    with app.app_context():
        expert = db.session.execute(db.select(Expert)).scalar_one()
        user = db.session.get(User, expert.user_id)
        expert_id = expert.id
    edit = admin_client.post(f"/admin/experts/{expert_id}/edit", data={
        "name": "钱专家", "company": "某研究院", "department": "二所", "mobile": "13800003333",
        "email": "qian2@example.com", "kinds": ["team"]})
    assert edit.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(User, user.id).email == "qian2@example.com"
        assert db.session.get(Expert, expert_id).kinds == ["team"]
    client = app.test_client()
    auth.login(client, user)
    assert client.get("/review/").status_code == 200
    stop = admin_client.post(f"/admin/experts/{expert_id}/disable")
    assert stop.status_code in (302, 303), stop.text[:500]
    with app.app_context():
        assert not db.session.get(User, user.id).is_enabled
        assert db.session.scalar(db.select(db.func.count(UserSession.id)).where(UserSession.user_id == user.id)) == 0
    assert client.get("/review/").status_code in (302, 303)
    refused = admin_client.post(f"/admin/experts/{expert_id}/password-link")
    assert "该评委已停用" in admin_client.get(refused.headers["Location"]).text
    admin_client.post(f"/admin/experts/{expert_id}/enable")
    before = len(_mails(app))
    admin_client.post(f"/admin/experts/{expert_id}/password-link")
    mails = _mails(app)
    assert len(mails) == before + 1 and mails[-1].recipient == "qian2@example.com"
    with app.app_context():
        actions = set(db.session.execute(db.select(AuditLog.action)).scalars())
    assert {"expert.create", "expert.update", "expert.disable", "expert.enable", "expert.password_link"} <= actions


def test_signature_upload(app, admin_client):
    admin_client.post("/admin/experts/new", data={"name": "孙专家", "company": "某院", "mobile": "13800004444",
                                                  "email": "sun@example.com", "kinds": ["group"]})
    with app.app_context():
        expert_id = db.session.execute(db.select(Expert.id)).scalar_one()
    url = f"/admin/experts/{expert_id}/signature"
    assert admin_client.get(url).status_code == 404
    bad = admin_client.post(url, data={"signature": (io.BytesIO(b"%PDF-1.4 x"), "签章.png")},
                            content_type="multipart/form-data")
    assert "签章应为PNG或JPG图片" in admin_client.get(bad.headers["Location"]).text
    big = admin_client.post(url, data={"signature": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024)),
                                                     "big.png")}, content_type="multipart/form-data")
    assert "签章图片不能超过1M" in admin_client.get(big.headers["Location"]).text
    ok = admin_client.post(url, data={"signature": (io.BytesIO(_png()), "签章.png")},
                           content_type="multipart/form-data")
    assert ok.status_code in (302, 303)
    image = admin_client.get(url)
    assert image.mimetype == "image/png" and "sandbox" in image.headers["Content-Security-Policy"]
    assert "signature-thumb" in admin_client.get("/admin/experts").text
