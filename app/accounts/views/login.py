"""登录, 退出系统, 修改密码, 忘记密码 and the captcha image."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import captcha, password_reset, sessions
from app.accounts import services as accounts
from app.accounts.models import ROLE_LABELS
from app.accounts.sessions import client_ip
from app.accounts.views import bp
from app.accounts.views.helpers import fresh_captcha, home_url, safe_next, typed, within_limit
from app.core import ratelimit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render

# Pages a user who must change the password may still open.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.captcha_image", "static", "main.favicon"}

# First of the hooks: an expired session is ended before anything looks at current_user.
bp.before_app_request(sessions.refresh_session)


@bp.before_app_request
def require_password_change():
    """Send accounts with must_change_password (the first `admin`) to 修改密码 until they change it."""
    if request.endpoint in OPEN_WHILE_CHANGING or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        if request.method == "GET" and not is_htmx():
            flash("首次登录请先修改密码。", "warning")
        return htmx_redirect(url_for("auth.change_password"))
    return None


@bp.get("/captcha")
def captcha_image():
    """换图: a new captcha image and challenge id (an htmx fragment)."""
    challenge = fresh_captcha()
    db.session.commit()
    # a limited address gets the message in place of the image (a 429 would not be swapped in by htmx)
    return render_template("auth/_captcha.html", captcha=challenge)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """登录: 类型, 账号, 密码, 验证码; a fresh server-side session on success."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_url())
        challenge = fresh_captcha()
        db.session.commit()
        return render_template("auth/login.html", captcha=challenge, form={"role": "unit"},
                               next_url=safe_next(request.args.get("next")))
    form = request.form
    role = form.get("role") if form.get("role") in ROLE_LABELS else "unit"
    error, field = None, None
    if not captcha.verify(form.get("captcha_id"), form.get("captcha")):
        accounts.record_address_failure(client_ip())
        error, field = captcha.ERROR_MESSAGE, "captcha"
    else:
        result = accounts.authenticate(role, form.get("username"), form.get("password"), client_ip())
        if result.user is not None:
            sessions.start_session(result.user)
            db.session.commit()
            target = safe_next(form.get("next")) if not result.user.must_change_password else None
            return htmx_redirect(target or home_url(result.user))
        error, field = result.error, result.field
    challenge = fresh_captcha()
    db.session.commit()
    values = typed(form)
    values["role"] = role
    return render("auth/login.html", "auth/_login_box.html", status=422, captcha=challenge, form=values,
                  login_error=error, error_field=field, next_url=safe_next(form.get("next")))


@bp.post("/logout")
@login_required
def logout():
    """退出系统: end the server-side session."""
    sessions.end_session(current_user)
    db.session.commit()
    return htmx_redirect("/")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """修改密码: old password required; the account's other sessions end."""
    errors = {}
    if request.method == "POST":
        form = request.form
        errors = accounts.change_password(current_user._get_current_object(), form.get("old_password"),
                                          form.get("new_password"), form.get("new_password2"))
        if not errors:
            db.session.commit()
            flash("密码修改成功，请牢记新密码。", "success")
            return htmx_redirect(home_url())
    return render("auth/change_password.html", "auth/_change_password_form.html",
                  status=422 if errors else 200, errors=errors)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """忘记密码: a single-use reset link goes to the registered email (same answer whatever was typed)."""
    errors, form, sent = {}, {}, False
    if request.method == "POST":
        form = typed(request.form)
        username = (request.form.get("username") or "").strip()
        email = (request.form.get("email") or "").strip().lower()
        if not captcha.verify(request.form.get("captcha_id"), request.form.get("captcha")):
            errors["captcha"] = captcha.ERROR_MESSAGE
        elif not username or not email:
            errors["username" if not username else "email"] = "请填写登录账号和注册时填写的电子邮箱。"
        elif not (within_limit("reset", 10, 3600)
                  and ratelimit.hit(f"reset-user:{username.lower()}", 3, 3600)):
            errors["form"] = "操作过于频繁，请稍后再试。"
        else:
            user = sessions.get_user_by_username(username)
            if user is not None and password_reset.may_reset(user, email):
                password_reset.send_reset_link(user)
            sent = True
    challenge = fresh_captcha()
    db.session.commit()
    return render("auth/forgot_password.html", "auth/_forgot_password_form.html",
                  status=422 if errors else 200, errors=errors, form=form, sent=sent, captcha=challenge)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """The reset link: set a new password once; every session of the account ends."""
    valid = password_reset.find_valid(token) is not None
    errors = {}
    if valid and request.method == "POST":
        new_password = request.form.get("new_password") or ""
        message = accounts.password_error(new_password)
        if message:
            errors["new_password"] = message
        elif new_password != (request.form.get("new_password2") or ""):
            errors["new_password2"] = "两次输入的密码不一致，请再次输入密码。"
        elif password_reset.reset_password(token, new_password) is None:
            valid = False
        else:
            db.session.commit()
            flash("密码已重置，请使用新密码登录。", "success")
            return htmx_redirect(url_for("main.index"))
    return render("auth/reset_password.html", "auth/_reset_password_form.html",
                  status=422 if errors else (200 if valid else 404), errors=errors, valid=valid, token=token)
