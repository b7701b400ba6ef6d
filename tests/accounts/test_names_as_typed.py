"""Issue 10: names and reasons are stored and mailed exactly as typed; duplicates compare a key; the
registration and profile forms say the right thing after a failed submit."""
import pytest

from app.core import validators
from app.core.extensions import db
from app.models import OutboxMail, Unit, UnitChangeRequest
from tests.accounts.conftest import register, registration_data, staged_key, upload_license

FULL = "测试化工（北京）有限公司"
HALF = "测试化工(北京)有限公司"


@pytest.mark.parametrize("typed", [FULL, "华北化工集团【总部】有限公司", "《石化》杂志社", "甲、乙联合公司",
                                   "王晓明（质量部）", "“红旗”化工厂；二分厂：三车间", "ＡＢＣ化工１号厂"])
def test_a_name_keeps_every_mark_as_typed(typed):
    assert validators.normalize_name(f"  {typed}\u3000") == typed
    assert validators.clean_text(f"\t{typed}\n") == typed


def test_only_surrounding_and_runs_of_whitespace_change():
    assert validators.normalize_name("中国  石化\t北京\n分公司") == "中国 石化 北京 分公司"
    assert validators.normalize_name("王　明") == "王　明"  # one ideographic space inside a name is kept


def test_the_key_ignores_width_case_and_spacing_only():
    key = validators.name_key
    assert key(FULL) == key(HALF) == key(" 测试化工 ( 北京 ) 有限公司 ")
    assert key("ＡＢＣ化工") == key("abc化工")
    assert key(FULL) != key("测试化工（天津）有限公司")


def test_registration_stores_the_name_contact_and_address_as_typed(app, client, files, captcha_answer):
    response, _ = register(client, files.png, name=FULL, contact="王晓明（质量部）",
                           address="北京市朝阳区安慧里四区16号楼（507室）")
    assert response.status_code == 204, response.text
    with app.app_context():
        unit = db.session.execute(db.select(Unit)).scalar_one()
        assert (unit.name, unit.contact, unit.address) == (FULL, "王晓明（质量部）", "北京市朝阳区安慧里四区16号楼（507室）")
        assert unit.user.display_name == FULL and unit.name_key == validators.name_key(HALF)


def test_the_same_name_with_other_punctuation_widths_is_the_same_unit(client, make, files, captcha_answer):
    make.unit(name=HALF, status="pending")  # stored before this issue: NFKC-normalised
    response, _ = register(client, files.png, name=FULL)
    assert response.status_code == 422 and "该单位已注册" in response.text
    check = client.get("/register/check-name", query_string={"name": " 测试化工 （北京）有限公司"})
    assert "该单位已注册" in check.text


def test_a_rejection_reason_goes_into_the_mail_as_typed(app, make, auth):
    unit = make.unit(name=FULL, status="pending")
    clerk = make.secretariat()
    client = app.test_client()
    auth.login(client, clerk)
    reason = "营业执照模糊，请重新上传；名称应与公章一致：“测试化工（北京）有限公司”。"
    response = client.post(f"/admin/registrations/{unit.id}/reject", data={"reason": f"  {reason} "},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Unit, unit.id).reject_reason == reason
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert reason in mail.body and mail.body.startswith(FULL)


def test_a_change_request_keeps_old_values_and_its_rejection_reason_as_typed(app, make, auth):
    unit = make.unit(name=HALF)
    client = app.test_client()
    auth.login(client, unit.user)
    form = {"name": FULL, "credit_code": unit.credit_code, "contact": unit.contact, "mobile": unit.mobile,
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email}
    # the legacy half-width name may be corrected: the same key is not "already registered"
    assert client.post("/profile", data=form, headers={"HX-Request": "true"}).status_code == 200
    clerk_client = app.test_client()
    auth.login(clerk_client, make.secretariat())
    with app.app_context():
        request_row = db.session.execute(db.select(UnitChangeRequest)).scalar_one()
        assert (request_row.old_name, request_row.new_name) == (HALF, FULL)
    reason = "请附上更名通知，另：名称中括号应为全角（）。"
    clerk_client.post(f"/admin/change-requests/{request_row.id}/decide",
                      data={"decision": "reject", "reason": reason})
    with app.app_context():
        assert db.session.get(UnitChangeRequest, request_row.id).reason == reason
        assert reason in db.session.execute(db.select(OutboxMail)).scalar_one().body


def test_notice_titles_and_the_year_theme_keep_their_punctuation(app, make, auth):
    client = app.test_client()
    auth.login(client, make.secretariat())
    title = "关于开展2025年质量管理小组活动成果申报工作的通知（第二批）"
    client.post("/admin/notices/new", data={"title": title, "body": "正文，", "is_published": "1"})
    theme = "绿色低碳•创新赋能（2025）"
    client.post("/admin/settings", data={"year": "2025", "theme": theme, "filing_deadline": "2024-12-31",
                                         "declaration_start": "2025-03-25", "declaration_end": "2025-04-30",
                                         "earliest_completion": "2024-05-01", "set_filing_year": "1",
                                         "declaration_year": "2025"})
    home = app.test_client().get("/").text
    assert title in home and theme in home


# ---- the passwords of a failed registration ---------------------------------------------------------

def test_a_blank_password_is_asked_for_never_called_too_short(client, files, captcha_answer):
    key = staged_key(upload_license(client, files.png))
    data = registration_data(license_key=key, password="", password2="")
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "请填写登录密码" in response.text and "请再次输入密码" in response.text
    assert '<span class="field-error" id="e-password" role="alert">密码为6-16位' not in response.text


def test_without_htmx_both_password_fields_ask_to_type_again(client, files, captcha_answer):
    key = staged_key(upload_license(client, files.png))
    data = registration_data(license_key=key, captcha="WRONG")
    response = client.post("/register/form", data=data)
    assert response.status_code == 422
    assert 'id="e-password"' in response.text and 'id="e-password2"' in response.text
    assert response.text.count("请重新输入密码") == 2 and data["password"] not in response.text


# ---- 修改资料 ----------------------------------------------------------------------------------------

def test_profile_saved_message_is_inside_the_form_it_belongs_to(app, make, auth):
    unit = make.unit()
    client = app.test_client()
    auth.login(client, unit.user)
    form = {"name": unit.name, "credit_code": unit.credit_code, "contact": "李四（技术处）", "mobile": unit.mobile,
            "address": unit.address, "postcode": unit.postcode, "province_code": "11", "industry_code": "26",
            "email": unit.email}
    saved = client.post("/profile", data=form, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and 'id="profile-form"' in saved.text and "资料已保存" in saved.text
    failed = client.post("/profile", data=dict(form, mobile="123"), headers={"HX-Request": "true"})
    assert failed.status_code == 422 and "资料未保存" in failed.text and "资料已保存" not in failed.text
    with app.app_context():
        assert db.session.get(Unit, unit.id).contact == "李四（技术处）"
