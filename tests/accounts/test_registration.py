"""注册: agreement, form, license staging, live checks, duplicates, re-registration after rejection."""
import io

from app.accounts import registration
from app.core.extensions import db
from app.models import AuditLog, StoredFile, Unit, User
from tests.accounts.conftest import register, registration_data, staged_key, upload_license


def test_agreement_page_states_the_five_tips_and_leads_to_the_form(client):
    html = client.get("/register").get_data(as_text=True)
    assert "注册协议" in html and "同意注册协议" in html
    for phrase in ["独立法人资格", "一个单位只能注册一个账号", "地方行业协会、专业协会", "大型集团公司", "上级单位统一组织"]:
        assert phrase in html
    assert 'action="/register/form"' in html


def test_form_shows_every_field_with_the_manuals_hints(client):
    html = client.get("/register/form").get_data(as_text=True)
    for text in ["申报单位名称", "检查单位名称是否存在。请使用全称。", "统一社会信用代码", "上传营业执照", "浏览...", "上传",
                 "登录账号", "检查账号是否可用。用户名为4-16个字符或数字。", "登录密码", "密码为6-16位。", "确认登录密码",
                 "请再次输入密码。", "联系人", "手机", "请填写申报直接联系人手机", "通讯地址", "邮编", "所属省份", "所属行业",
                 "请选择", "电子邮箱", "验证码", "请输入图片里的字母或数字。", "换图", "提交注册资料"]:
        assert text in html, text
    assert 'name="captcha_id"' in html and "data:image/png;base64," in html


def test_successful_registration_creates_a_pending_unit(client, captcha_answer, files, app):
    response, data = register(client, files.png)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/register/done"
    done = client.get("/register/done").get_data(as_text=True)
    assert "等待秘书处审核" in done and "邮件" in done
    with app.app_context():
        unit = db.session.execute(db.select(Unit)).scalar_one()
        assert unit.status == "pending"
        assert unit.credit_code == data["credit_code"].upper()  # lower case accepted, stored upper
        assert unit.mobile == "13912345678"
        assert unit.user.username == data["username"] and unit.user.role == "unit"
        assert unit.user.password_hash.startswith("$argon2id$")
        assert unit.license_file.unit_id == unit.id and unit.license_file.staging_key_hash is None
        assert db.session.execute(db.select(AuditLog).filter_by(action="unit.register")).scalar_one()


def test_errors_are_shown_beside_fields_and_typed_values_kept(client, captcha_answer, files):
    key = staged_key(upload_license(client, files.png, "执照.png"))
    data = registration_data(license_key=key, credit_code="911100001000064852", mobile="12345",
                             password2="different", postcode="12", province_code="")
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "统一社会信用代码校验位不正确" in html
    assert "请填写申报直接联系人手机" in html and "两次输入的密码不一致" in html
    assert "邮编应为6位数字" in html and "请选择所属省份" in html
    assert f'value="{data["name"]}"' in html and f'value="{data["email"]}"' in html
    assert 'value="pass1234"' not in html  # passwords are not echoed
    # the uploaded license stays attached: same key, 上传成功, the file name
    assert f'name="license_key" value="{key}"' in html and "上传成功" in html and "执照.png" in html


def test_file_chosen_but_not_uploaded_is_taken_with_the_form(client, captcha_answer, files, app):
    data = registration_data()
    data["license"] = (io.BytesIO(files.pdf), "license.pdf")
    response = client.post("/register/form", data=data, content_type="multipart/form-data",
                           headers={"HX-Request": "true"})
    assert response.status_code == 204
    with app.app_context():
        assert db.session.execute(db.select(Unit)).scalar_one().license_file.content_type == "application/pdf"


def test_missing_license_is_refused(client, captcha_answer):
    response = client.post("/register/form", data=registration_data(), headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "请上传营业执照" in response.get_data(as_text=True)


def test_extra_fields_such_as_status_and_role_are_ignored(client, captcha_answer, files, app):
    response, _ = register(client, files.png, status="approved", role="secretariat", is_enabled="0",
                           must_change_password="1", unit_id="1")
    assert response.status_code == 204
    with app.app_context():
        unit = db.session.execute(db.select(Unit)).scalar_one()
        assert unit.status == "pending" and unit.user.role == "unit" and unit.user.is_enabled


def test_name_and_credit_code_are_unique_among_live_registrations(client, captcha_answer, files, make):
    existing = make.unit(status="pending")
    response, _ = register(client, files.png, name=existing.name, credit_code=existing.credit_code)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "该单位已注册" in html and "该统一社会信用代码已注册" in html


def test_live_checks_for_name_and_username(client, make):
    unit = make.unit(name="已注册化工集团有限公司", username="taken01")
    def check(path, **args):
        return client.get(f"/register/{path}", query_string=args).get_data(as_text=True)

    assert "该单位已注册" in check("check-name", name=unit.name)
    assert "可以注册" in check("check-name", name="全新化工有限公司")
    assert "已被使用" in check("check-username", username="TAKEN01")
    assert "4-16个字符或数字" in check("check-username", username="a!")
    assert "可以使用" in check("check-username", username="fresh2024")


def test_rejected_unit_may_register_again_with_same_name_code_and_username(
        client, captcha_answer, files, make, app):
    old = make.unit(status="rejected", username="again01", reject_reason="营业执照不清晰")
    response, data = register(client, files.png, name=old.name, credit_code=old.credit_code,
                              username="again01")
    assert response.status_code == 204
    with app.app_context():
        units = db.session.execute(db.select(Unit).order_by(Unit.id)).scalars().all()
        assert [u.status for u in units] == ["rejected", "pending"]
        assert units[1].user.username == "again01"
        renamed = db.session.get(User, old.user.id)
        assert renamed.username.startswith("again01~r") and not renamed.is_enabled


def test_captcha_wrong_answer_refuses_and_form_keeps_values(client, files, known_captcha):
    challenge = known_captcha("AB34")
    key = staged_key(upload_license(client, files.png))
    data = registration_data(license_key=key, captcha="ZZZZ", captcha_id=challenge)
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "验证码错误" in html
    assert f'value="{data["contact"]}"' in html and f'value="{challenge}"' not in html  # a new image


def test_registration_with_real_captcha_answer_case_insensitive(client, files, known_captcha, app):
    challenge = known_captcha("AB34")
    key = staged_key(upload_license(client, files.png))
    data = registration_data(license_key=key, captcha="ab34", captcha_id=challenge)
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 204


def test_post_without_csrf_token_is_refused(client, captcha_answer, files, app):
    key = staged_key(upload_license(client, files.png))
    response = client.post("/register/form", data=registration_data(license_key=key), csrf=False)
    assert response.status_code == 400 and "安全令牌" in response.get_data(as_text=True)
    assert client.post("/register/license", data={"license": (io.BytesIO(files.png), "a.png")},
                       content_type="multipart/form-data", csrf=False).status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Unit.id))).scalar() == 0


def test_race_on_the_unique_index_becomes_a_form_error(app, ctx, files):
    """Two registrations that both passed the checks: the second gets a message, not a 500."""
    from app.core import uploads

    values, errors = None, None
    with app.test_request_context():
        data = registration_data()
        values, errors = registration.clean_registration(data)
        assert not errors
        first = uploads.store(files.png, "png", "a.png", "license")
        registration.register_unit(dict(values), first)
        second = uploads.store(files.png, "png", "b.png", "license")
        clone = dict(values, username="otheruser1")
        try:
            registration.register_unit(clone, second)
        except registration.RegistrationError as error:
            assert "name" in error.errors
        else:
            raise AssertionError("duplicate registration accepted")
        db.session.rollback()
    assert db.session.execute(db.select(db.func.count(StoredFile.id))).scalar() == 0


def test_live_credit_code_check_warns_about_another_province(client, make):
    from tests.factories import valid_credit_code

    code = valid_credit_code(4242)  # digits 3-4 are "11" (北京市)
    args = {"credit_code": code.lower(), "province_code": "37"}
    html = client.get("/register/check-credit-code", query_string=args).get_data(as_text=True)
    assert "北京市" in html and "不影响提交" in html
    same_args = {"credit_code": code, "province_code": "11"}
    same = client.get("/register/check-credit-code", query_string=same_args)
    assert "代码格式正确" in same.get_data(as_text=True)
    bad = client.get("/register/check-credit-code", query_string={"credit_code": "911100001000064852"})
    assert "校验位不正确" in bad.get_data(as_text=True)
    unit = make.unit()
    taken = client.get("/register/check-credit-code", query_string={"credit_code": unit.credit_code})
    assert "已注册" in taken.get_data(as_text=True)
