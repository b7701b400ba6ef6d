"""年度设置: a year's theme, deadlines, declaration window, quotas and periods; the open filing and declaration years."""
from flask import flash, request, url_for
from flask_login import current_user

from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.secretariat import year_settings
from app.secretariat.views import bp


@bp.get("/settings", endpoint="year_settings")
@secretariat_required
def year_settings_page():
    """Show the settings of the open year (or ?year=)."""
    year = request.args.get("year", type=int)
    form = year_settings.form_for(year if year and 2000 <= year <= 2100 else None)
    return render("admin/settings.html", "admin/_settings_form.html", form=form)


@bp.post("/settings", endpoint="save_year_settings")
@secretariat_required
def save_year_settings():
    """Save the year's settings; errors come back beside the fields (422)."""
    form, cleaned = year_settings.parse(request.form)
    if cleaned is None:
        return render("admin/settings.html", "admin/_settings_form.html", status=422, form=form)
    _setting, warnings = year_settings.save(cleaned, actor=current_user)
    db.session.commit()
    if warnings:
        flash(f"{cleaned['year']}年度设置已保存。请注意：" + "".join(warnings), "warning")
    else:
        flash(f"{cleaned['year']}年度设置已保存。", "success")
    return htmx_redirect(url_for("admin.year_settings", year=cleaned["year"]))
