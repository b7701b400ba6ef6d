"""单位管理: every registered unit with search and filters, its detail, and account actions."""
from flask import flash, request, url_for
from flask_login import current_user

from app.accounts.models import STATUS_LABELS
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import secretariat_required
from app.core.settings import open_filing_year
from app.secretariat import labels
from app.secretariat import units as unit_admin
from app.secretariat.views import bp


@bp.get("/units", endpoint="units")
@secretariat_required
def units():
    """The unit list (the table alone for htmx: active search and paging)."""
    filters = unit_admin.UnitFilters.from_args(request.args)
    pagination = unit_admin.search_units(filters, page=request.args.get("page", 1, type=int))
    provinces, industries = unit_admin.reference_lists()
    return render("admin/units.html", "admin/_unit_table.html", pagination=pagination, filters=filters,
                  provinces=provinces, industries=industries, status_labels=STATUS_LABELS,
                  account_labels=unit_admin.ACCOUNT_FILTERS, filed_labels=unit_admin.FILED_FILTERS,
                  filing_year=open_filing_year())


@bp.get("/units/<int:unit_id>", endpoint="unit_detail")
@secretariat_required
def unit_detail(unit_id):
    """A unit's registration data, change history, invitations and filings per year."""
    pages = {name: request.args.get(name, 1, type=int) for name in ("inv_page", "req_page", "log_page")}
    pages = {name: number for name, number in pages.items() if number > 1}  # links keep the others' pages
    return render("admin/unit_detail.html", "admin/unit_detail.html",
                  **unit_admin.unit_detail(unit_id, **pages), pages=pages, status_labels=STATUS_LABELS,
                  **labels.history_context())


@bp.post("/units/<int:unit_id>/disable", endpoint="disable_unit")
@secretariat_required
def disable_unit(unit_id):
    """Disable a unit's account; its open sessions end at once."""
    return _set_enabled(unit_id, False, "已停用“{}”的账号，其登录已全部失效。")


@bp.post("/units/<int:unit_id>/enable", endpoint="enable_unit")
@secretariat_required
def enable_unit(unit_id):
    """Enable a unit's account again."""
    return _set_enabled(unit_id, True, "已启用“{}”的账号。")


def _set_enabled(unit_id, enabled, message):
    """Enable or disable a unit's account, then show its detail page again."""
    unit = unit_admin.get_unit_or_404(unit_id)
    if unit_admin.set_enabled(unit, enabled, current_user):
        db.session.commit()
        flash(message.format(unit.name), "success")
    return htmx_redirect(url_for("admin.unit_detail", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/reset-link", endpoint="unit_reset_link")
@secretariat_required
def unit_reset_link(unit_id):
    """Send the unit a single-use password-reset link by email."""
    unit = unit_admin.get_unit_or_404(unit_id)
    back = htmx_redirect(url_for("admin.unit_detail", unit_id=unit.id))
    if not unit.user.is_enabled:
        flash("该账号已停用，请先启用后再发送重置密码链接。", "error")
        return back
    unit_admin.send_reset_link(unit, current_user)
    db.session.commit()
    flash(f"重置密码链接已发往 {unit.email}（单次有效）。", "success")
    return htmx_redirect(url_for("admin.unit_detail", unit_id=unit.id))
