"""注册: 注册协议, the registration form with license upload, live checks, and the done page."""
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import captcha, registration
from app.accounts.registration import RegistrationError
from app.accounts.views import bp
from app.accounts.sessions import client_ip
from app.accounts.views.helpers import choices, fresh_captcha, home_url, typed, within_limit
from app.core import uploads
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render
from app.core.validators import credit_code_error, normalize_credit_code, normalize_name, normalize_text


@bp.get("/register")
def register_agreement():
    """注册协议 with the manual's five 提示; 同意注册协议 leads to the form."""
    return render_template("auth/register_agreement.html")


def license_context(stored_file, key, error=None):
    """What the license widget shows: 上传成功 with a thumbnail or the file name, or an error."""
    return {"license_file": stored_file, "license_key": key if stored_file else "",
            "license_thumb": uploads.thumbnail_uri(stored_file) if stored_file else None,
            "license_error": error}


def resolve_license(form, files):
    """The staged license: from the hidden key, else from a file chosen but not yet 上传ed."""
    key = form.get("license_key") or ""
    staged = uploads.find_staged(key)
    if staged is not None:
        return staged, key, None
    chosen = files.get("license")
    if chosen is not None and chosen.filename:
        try:
            staged, key = uploads.stage_license(chosen, client_ip() or "-")
            return staged, key, None
        except uploads.UploadError as error:
            return None, "", str(error)
    return None, "", None


@bp.route("/register/form", methods=["GET", "POST"])
def register_form():
    """申报账号注册: every field with the manual's hint; errors beside the fields, input kept."""
    if current_user.is_authenticated:
        return redirect(home_url())
    errors, values = {}, {}
    staged, key, license_error = None, "", None
    if request.method == "POST":
        values = typed(request.form)
        clean, errors = registration.clean_registration(request.form)
        staged, key, license_error = resolve_license(request.form, request.files)
        if license_error:
            errors["license"] = license_error
        elif staged is None:
            errors["license"] = "请上传营业执照：点击“浏览...”选择文件后，再点击“上传”，显示“上传成功”才完成上传。"
        if not captcha.verify(request.form.get("captcha_id"), request.form.get("captcha")):
            errors["captcha"] = captcha.ERROR_MESSAGE
        if not errors:
            try:
                registration.register_unit(clean, staged)
            except RegistrationError as error:
                errors = error.errors
        if not errors:
            db.session.commit()
            return htmx_redirect(url_for("auth.register_done"))
        if not is_htmx():
            # A page is never sent back with a password in it: without htmx (which keeps them in the
            # browser, accounts.js) both fields come back empty, and say so rather than "too short".
            for name in ("password", "password2"):
                errors.setdefault(name, "请重新输入密码（提交未成功时，为安全起见需重新输入）。")
    challenge = fresh_captcha()
    db.session.commit()  # the used captcha, the new one and a staged license survive a failed submit
    return render("auth/register_form.html", "auth/_register_form.html", status=422 if errors else 200,
                  form=values, errors=errors, captcha=challenge, **choices(),
                  **license_context(staged, key, errors.get("license")))


@bp.post("/register/license")
def upload_license():
    """上传: check and stage the license now, so the page shows 上传成功 before the form is submitted."""
    if not within_limit("upload", 40, 3600):
        db.session.commit()
        abort(429)
    try:
        staged, key = uploads.stage_license(request.files.get("license"), client_ip() or "-")
    except uploads.UploadError as error:
        db.session.commit()
        return render_template("auth/_license_field.html", **license_context(None, "", str(error))), 422
    db.session.commit()
    return render_template("auth/_license_field.html", **license_context(staged, key))


def _limit_live_checks():
    """The live checks answer at most 120 times per 10 minutes per address (429 after, counted in the DB)."""
    if not within_limit("check", 120, 600):
        db.session.commit()  # keep the count
        abort(429)


@bp.get("/register/check-name")
def check_name():
    """检查单位名称是否存在 (live, as the user leaves the field)."""
    name = normalize_name(request.args.get("name"))
    _limit_live_checks()
    message = registration.name_error(name)
    db.session.commit()
    return render_template("auth/_check.html", ok=message is None,
                           message=message or "该单位名称可以注册。", empty=not name)


@bp.get("/register/check-credit-code")
def check_credit_code():
    """统一社会信用代码: check character, already registered, and a warning when digits 3-4 name another province."""
    _limit_live_checks()
    code = normalize_credit_code(request.args.get("credit_code"))
    message = credit_code_error(code) if code else None
    if message is None and code and registration.credit_code_taken(code):
        message = registration.CODE_TAKEN
    warning = None
    if message is None and code:
        warning = registration.province_warning(code, request.args.get("province_code"))
    db.session.commit()
    return render_template("auth/_check.html", ok=message is None and warning is None, warn=bool(warning),
                           message=message or warning or "代码格式正确。", empty=not code)


@bp.get("/register/check-username")
def check_username():
    """检查账号是否可用 (live)."""
    username = normalize_text(request.args.get("username"))
    _limit_live_checks()
    message = registration.username_error(username)
    db.session.commit()
    return render_template("auth/_check.html", ok=message is None,
                           message=message or "该账号可以使用。", empty=not username)


@bp.get("/register/done")
def register_done():
    """After 提交注册资料: the registration awaits review; an email will follow."""
    return render_template("auth/register_done.html")
