"""修改资料: contact details and password at once; name, credit code and license by change request."""
from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.accounts import services as accounts
from app.accounts.views import bp
from app.accounts.views.helpers import choices, typed
from app.accounts.views.register import license_context, resolve_license
from app.core.extensions import db
from app.core.htmx import is_htmx, render
from app.core.permissions import unit_required


def _profile_values(unit):
    fields = ("name", "credit_code", "contact", "mobile", "address", "postcode", "province_code",
              "industry_code", "email")
    return {field: getattr(unit, field) for field in fields}


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """修改资料 (units); other roles change only their password."""
    if not current_user.is_unit:
        return redirect(url_for("auth.change_password"))
    return _unit_profile()


@unit_required
def _unit_profile():
    unit = current_user.unit
    errors, values = {}, _profile_values(unit)
    staged, key = None, ""
    if request.method == "POST":
        values = typed(request.form)
        staged, key, license_error = resolve_license(request.form, request.files)
        if license_error:
            errors["license"] = license_error
        else:
            user = current_user._get_current_object()
            errors, change_request = accounts.update_profile(unit, user, request.form, staged)
        if not errors:
            db.session.commit()
            saved = "资料已保存。"
            if change_request is not None:
                saved += "单位名称、统一社会信用代码或营业执照的变更已提交秘书处审核，审核通过后生效，结果将以邮件通知。"
            if not is_htmx():
                flash(saved, "success")
                return redirect(url_for("auth.profile"), code=303)
            # inside the form, so the next 保存's 资料未保存 takes its place instead of standing beside it
            return render("auth/profile.html", "auth/_profile_form.html", unit=unit,
                          form=_profile_values(unit), errors={}, saved_message=saved,
                          pending=accounts.pending_change_request(unit), **choices(),
                          **license_context(None, ""))
        db.session.commit()  # keep a staged license for the next attempt
    return render("auth/profile.html", "auth/_profile_form.html", status=422 if errors else 200,
                  unit=unit, form=values, errors=errors, pending=accounts.pending_change_request(unit),
                  **choices(), **license_context(staged, key, errors.get("license")))
