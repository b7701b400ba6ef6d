"""邀请备案 views of the unit: the invitation table, its links, live counts and deletions."""
from flask import abort, flash, make_response, render_template, request, url_for

from app.core import ratelimit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render, trigger
from app.core.permissions import current_unit, get_owned_or_404, unit_required
from app.core.settings import current_filing_period
from app.core.validators import ascii_int
from app.filings.services import FilingError
from app.invitations import services as service
from app.invitations.models import Invitation
from app.invitations.views import bp

COUNTS_CHANGED = "invite-counts"
LIST_CHANGED = "invite-changed"


def _kind_or_404(kind):
    if kind not in service.KINDS:
        abort(404)
    return kind


def _listing(q=None, page=None):
    q = request.args.get("q", "") if q is None else q
    page = request.args.get("page", 1, type=int) if page is None else page
    period = current_filing_period()
    return {"listing": service.list_invitations(current_unit(), period.year, q, page), "q": q,
            "period": period}


def _dialog(partial, status=200, **context):
    """A dialog body for htmx, or the same content as a page without JavaScript."""
    return render("invite/dialog_page.html", f"invite/{partial}", status=status,
                  partial_template=f"invite/{partial}", **context)


def link_url(invitation, kind):
    """The absolute link an enterprise opens (BASE_URL when configured, else this host)."""
    from flask import current_app

    path = url_for("invite.link_page", code=kind[0], token=service.link_token(invitation, kind))
    base = current_app.config.get("BASE_URL")
    return base.rstrip("/") + path if base else url_for(
        "invite.link_page", code=kind[0], token=service.link_token(invitation, kind), _external=True)


@bp.get("/")
@unit_required
def index():
    """成果备案邀请: 操作说明, the add line and the table (htmx: the table only)."""
    return render("invite/index.html", "invite/_table.html", form={}, errors={}, **_listing())


@bp.post("/")
@unit_required
def create():
    """添加邀请: the new row appears at the top; errors stay beside the inputs with what was typed."""
    try:
        invitation = service.create_invitation(current_unit(), request.form)
    except service.InvitationError as exc:
        db.session.rollback()
        context = _listing(q=request.form.get("q", ""), page=1)
        return render("invite/index.html", "invite/_panel.html", status=422,
                      form=request.form, errors=exc.field_errors, **context)
    db.session.commit()
    if not is_htmx():
        flash(f"已添加邀请：{invitation.enterprise_name}", "success")
        return htmx_redirect(url_for("invite.index"))
    return render("invite/index.html", "invite/_panel.html", form={}, errors={}, added_id=invitation.id,
                  **_listing(q="", page=1))


@bp.get("/counts")
@unit_required
def counts():
    """备案数量 of the rows on screen, swapped in place (polled every few seconds)."""
    raw = request.args.get("ids", "")
    # ascii_int, not isdigit(): "²" and "፩" pass isdigit() and int() refuses them
    ids = [number for part in raw.split(",")[:200] if (number := ascii_int(part.strip())) is not None]
    unit = current_unit()
    period = current_filing_period()
    numbers = service.filing_counts(unit, period.year, service.owned_ids(unit, ids))
    response = make_response(render_template("invite/_counts.html", counts=numbers))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:invitation_id>/link/<kind>")
@unit_required
def show_link(invitation_id, kind):
    """小组邀请 / 班组邀请: the link with 复制链接, 发送邮件 and 重新生成链接."""
    invitation = get_owned_or_404(Invitation, invitation_id, current_unit())
    kind = _kind_or_404(kind)
    return _dialog("_link.html", invitation=invitation, kind=kind,
                  url=link_url(invitation, kind), message=None)


@bp.post("/<int:invitation_id>/link/<kind>/mail")
@unit_required
def mail_link(invitation_id, kind):
    """发送邮件: queue the link to the enterprise's e-mail address through the outbox."""
    invitation = get_owned_or_404(Invitation, invitation_id, current_unit())
    kind = _kind_or_404(kind)
    if not ratelimit.hit(f"invite-mail:{invitation.id}:{kind}", 5, 3600):
        db.session.commit()
        abort(429)
    url = link_url(invitation, kind)
    service.send_link_mail(invitation, kind, url, current_filing_period())
    db.session.commit()
    message = f"邀请链接邮件已放入发件箱，将发往 {invitation.email}（发送情况见邀请列表“操作”栏）。"
    if not is_htmx():
        flash(message, "success")
        return htmx_redirect(url_for("invite.index"))
    return _dialog("_link.html", invitation=invitation, kind=kind,
                  url=url, message=message)


@bp.post("/<int:invitation_id>/link/<kind>/regenerate")
@unit_required
def regenerate_link(invitation_id, kind):
    """重新生成链接: the old link stops working at once."""
    invitation = get_owned_or_404(Invitation, invitation_id, current_unit())
    kind = _kind_or_404(kind)
    service.regenerate_link(invitation, kind)
    db.session.commit()
    message = "已生成新链接，原链接已失效。请把新链接发送给被邀请企业。"
    if not is_htmx():
        flash(message, "success")
        return htmx_redirect(url_for("invite.show_link", invitation_id=invitation.id, kind=kind))
    return _dialog("_link.html", invitation=invitation, kind=kind,
                  url=link_url(invitation, kind), message=message)


@bp.route("/<int:invitation_id>/filings/<kind>/delete", methods=["GET", "POST"])
@unit_required
def delete_filings(invitation_id, kind):
    """删除小组备案 / 删除班组备案: confirm with the number of this year's records, then delete."""
    invitation = get_owned_or_404(Invitation, invitation_id, current_unit())
    kind = _kind_or_404(kind)
    period = current_filing_period()
    number = service.filing_count(invitation, kind, period.year)
    context = {"invitation": invitation, "kind": kind, "period": period, "number": number,
               "done": None, "changed": False}
    if request.method == "POST" and period.is_open and number:
        expected = request.form.get("expected", type=int)
        if expected != number:  # more arrived since the question was asked: ask again
            context["changed"] = True
        else:
            try:
                context["done"] = service.delete_year_filings(invitation, kind, period.year)
            except FilingError as exc:
                db.session.rollback()
                return _dialog("_delete_filings.html", status=422, **dict(context, error=exc.message))
            db.session.commit()
            if not is_htmx():
                flash(f"已删除{context['done']}条{service.KIND_LABELS[kind]}备案记录。", "success")
                return htmx_redirect(url_for("invite.index"))
            response = _dialog("_delete_filings.html", **context)
            return trigger(response, COUNTS_CHANGED)
    return _dialog("_delete_filings.html", **context)


@bp.route("/<int:invitation_id>/delete", methods=["GET", "POST"])
@unit_required
def delete(invitation_id):
    """删除 the enterprise: say how many filings it has; the unit deletes them too or keeps them."""
    invitation = get_owned_or_404(Invitation, invitation_id, current_unit())
    period = current_filing_period()
    totals = {kind: service.filing_count(invitation, kind) for kind in service.KINDS}
    context = {"invitation": invitation, "totals": totals, "period": period, "error": None, "choice": None}
    if request.method == "POST":
        choice = request.form.get("filings") if any(totals.values()) else "keep"
        context["choice"] = choice
        if choice not in ("delete", "keep"):
            context["error"] = "请选择同时删除这些备案记录，或保留这些备案记录。"
        elif choice == "delete" and not period.is_open:
            context["error"] = "备案已截止，不能再删除备案记录；请选择保留这些备案记录。"
        else:
            name = invitation.enterprise_name
            try:
                service.delete_invitation(invitation, delete_filings=choice == "delete")
            except FilingError as exc:
                db.session.rollback()
                context["error"] = exc.message + "请选择保留这些备案记录。"
                return _dialog("_delete.html", status=422, **context)
            db.session.commit()
            message = f"已删除邀请：{name}" + ("，其备案记录已一并删除。" if choice == "delete" and any(totals.values())
                                           else "，其备案记录已保留在本单位的备案列表中。" if any(totals.values()) else "。")
            if not is_htmx():
                flash(message, "success")
                return htmx_redirect(url_for("invite.index"))
            response = _dialog("_deleted.html", message=message)
            return trigger(response, LIST_CHANGED)
        return _dialog("_delete.html", status=422, **context)
    return _dialog("_delete.html", **context)
