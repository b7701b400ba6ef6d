"""账号管理: create, disable and enable secretariat and 评审专家 accounts."""
from flask import flash, request, url_for
from flask_login import current_user

from app.core.extensions import db
from app.accounts.models import ROLE_LABELS
from app.core.htmx import htmx_redirect, is_htmx, render, trigger
from app.core.permissions import secretariat_required
from app.secretariat import accounts as accounts_service
from app.secretariat.views import bp


def _page(form, status=200, created=None, password=None, partial="admin/_account_form.html"):
    return render("admin/accounts.html", partial, status=status, form=form,
                  accounts=accounts_service.list_accounts(request.args.get("page", 1, type=int)),
                  role_labels=ROLE_LABELS, roles=accounts_service.ROLES, created=created, password=password)


@bp.get("/accounts", endpoint="accounts")
@secretariat_required
def accounts():
    """The accounts and the form for a new one (htmx too: the pager and the refresh pick their section)."""
    return _page(accounts_service.empty_form(), partial="admin/accounts.html")


@bp.post("/accounts", endpoint="create_account")
@secretariat_required
def create_account():
    """Create a secretariat or expert account; a generated first password is shown this once."""
    form, cleaned = accounts_service.parse(request.form)
    if cleaned is None:
        return _page(form, status=422)
    user = accounts_service.create(cleaned, current_user)
    db.session.commit()
    if cleaned["generated"]:
        # rendered, never flashed: a flash would carry the password in the session cookie
        response = _page(accounts_service.empty_form(), created=user, password=cleaned["password"])
        response.headers["Cache-Control"] = "no-store"
        return response if not is_htmx() else trigger(response, "accounts-changed")
    flash(f"已创建{ROLE_LABELS[user.role]}账号 {user.username}，首次登录后须修改密码。", "success")
    return htmx_redirect(url_for("admin.accounts"))


def _toggle(user_id, enabled):
    user = accounts_service.get_or_404(user_id)
    try:
        changed = accounts_service.set_enabled(user, enabled, current_user)
    except accounts_service.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return htmx_redirect(url_for("admin.accounts"))
    if changed:
        db.session.commit()
        flash(f"已{'启用' if enabled else '停用'}账号 {user.username}。", "success")
    return htmx_redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:user_id>/disable", endpoint="disable_account")
@secretariat_required
def disable_account(user_id):
    """Disable a secretariat account (its sessions end at once)."""
    return _toggle(user_id, False)


@bp.post("/accounts/<int:user_id>/enable", endpoint="enable_account")
@secretariat_required
def enable_account(user_id):
    """Enable a secretariat account again."""
    return _toggle(user_id, True)
