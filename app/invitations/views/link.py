"""The enterprise's invitation-link pages (no account): file groups or teams by form or by import.

Every response sends Referrer-Policy: no-referrer (the token is in the URL). A token reaches only
its own invitation's records; unknown tokens count against a per-address guessing limit.
"""
import io

from flask import abort, make_response, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import Forbidden, NotFound

from app.core import ratelimit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render, trigger
from app.core.settings import current_filing_period
from app.filings.forms import filing_form
from app.filings.models import SOURCE_LINK_FORM, SOURCE_LINK_IMPORT
from app.filings.services import FilingError, create_filing, filings_query
from app.filings.xlsx.importer import ImportResult, import_filings
from app.filings.xlsx.template import build_template, template_filename
from app.invitations import services as service
from app.invitations.views import bp

CODES = {"g": service.GROUP, "t": service.TEAM}
GUESS_LIMIT = 30  # unknown tokens per address per window
GUESS_WINDOW = 600
LIST_PER_PAGE = 20
MAX_PAGE = 10_000  # keeps OFFSET inside the database's integer range whatever ?page= says
LIST_CHANGED = "link-filings-changed"


@bp.after_request
def no_referrer(response):
    """Invitation pages never leak their URL (the token) to other sites."""
    if request.endpoint and request.endpoint.startswith("invite.link_"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _guess_key():
    return f"invite-guess:{request.remote_addr}"


def _resolve(code, token):
    """The LinkState of a URL's token; guessing beyond the limit is refused with 429."""
    kind = CODES.get(code)
    if kind is None:
        abort(404)
    if ratelimit.count(_guess_key(), GUESS_WINDOW) >= GUESS_LIMIT:
        abort(429)
    state = service.resolve_link(kind, token, current_filing_period())
    if state.state == service.STATE_UNKNOWN:
        ratelimit.hit(_guess_key(), GUESS_LIMIT, GUESS_WINDOW)
        db.session.commit()
    return state


def _usable(code, token):
    """The LinkState when the link accepts filings now; refuse otherwise (POSTs too)."""
    state = _resolve(code, token)
    if state.usable:
        return state
    if state.state == service.STATE_CLOSED:
        error = Forbidden()
        error.zh_message = f"备案已截止，不能再通过此链接登记备案。如有疑问请联系{state.unit.name}。"
    else:
        error = NotFound() if state.state == service.STATE_UNKNOWN else Forbidden()
        error.zh_message = "链接已失效，不能再通过此链接登记备案。请联系邀请单位获取新的链接。"
    raise error


def _urls(code, token):
    return {name: url_for(f"invite.link_{name}", code=code, token=token)
            for name in ("page", "add", "import", "template", "list")}


def _filings_page(state, page=1):
    """One page of the enterprise's filings; past the end (records deleted meanwhile) the last page."""
    period = current_filing_period()
    query = filings_query(state.kind, state.unit, period.year, invitation_id=state.invitation.id)
    filings = db.paginate(query, page=min(max(1, page), MAX_PAGE), per_page=LIST_PER_PAGE, error_out=False)
    if filings.page > filings.pages > 0:
        filings = db.paginate(query, page=filings.pages, per_page=LIST_PER_PAGE, error_out=False)
    return filings


def _form(state, formdata=None):
    return filing_form(state.kind, formdata=formdata, locked_enterprise=state.invitation.enterprise_name)


@bp.get("/<any(g, t):code>/<token>")
def link_page(code, token):
    """The link page: who invited, the enterprise, the period, 添加 / 批量导入 and the filed list."""
    state = _resolve(code, token)
    status = {service.STATE_OK: 200, service.STATE_CLOSED: 200,
              service.STATE_RETIRED: 410, service.STATE_UNKNOWN: 404}[state.state]
    context = {"state": state, "urls": _urls(code, token), "code": code, "token": token}
    if state.invitation is not None:
        context["filings"] = _filings_page(state, request.args.get("page", 1, type=int))
    if state.usable:
        context["form"] = _form(state)
    return make_response(render_template("invite/link.html", **context), status)


@bp.get("/<any(g, t):code>/<token>/list")
def link_list(code, token):
    """The read-only list of what this enterprise filed through the link (refreshed after adding)."""
    state = _resolve(code, token)
    if state.invitation is None:
        abort(404)
    page = request.args.get("page", 1, type=int)
    urls = _urls(code, token)
    if not is_htmx():  # the list lives on the link page (opened without scripts, or reloaded)
        return redirect(f"{urls['page']}?page={page}#link-list", code=303)
    return render("invite/link.html", "invite/_link_list.html", state=state, urls=urls,
                  filings=_filings_page(state, page))


@bp.post("/<any(g, t):code>/<token>/add")
def link_add(code, token):
    """添加: one record with the shared filing form; the enterprise name is fixed by the invitation."""
    state = _usable(code, token)
    period = current_filing_period()
    form = _form(state, formdata=request.form)
    context = {"state": state, "urls": _urls(code, token), "code": code, "token": token}
    if form.validate_on_submit():
        try:
            filing = create_filing(state.kind, state.unit, period.year, form.filing_data(),
                                   invitation=state.invitation, source=SOURCE_LINK_FORM,
                                   submission_key=form.submission_key.data)
        except FilingError as exc:
            db.session.rollback()
            form.apply_errors(exc.field_errors)
            form_message = exc.message
        else:
            db.session.commit()
            if not is_htmx():
                return htmx_redirect(context["urls"]["page"])
            name = filing.group_name if state.kind == service.GROUP else filing.team_name
            next_form = _form(state)
            # the same person files the next record too: 联系人 and 手机 stay filled
            next_form.contact.data, next_form.mobile.data = filing.contact, filing.mobile
            response = render("invite/link.html", "invite/_link_form.html", form=next_form,
                              saved_message=f"已添加“{name}”（注册编号 {filing.reg_no}），可继续添加。",
                              **context)
            return trigger(response, LIST_CHANGED)
    else:
        form_message = "请更正标出的项目。"
    return render("invite/link.html", "invite/_link_form.html", status=422, form=form, form_message=form_message,
                  filings=_filings_page(state), **context)


@bp.get("/<any(g, t):code>/<token>/template")
def link_template(code, token):
    """The import template, the same file units download."""
    state = _usable(code, token)
    return send_file(io.BytesIO(build_template(state.kind)), as_attachment=True,
                     download_name=template_filename(state.kind),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/<any(g, t):code>/<token>/import")
def link_import(code, token):
    """批量导入: all rows or none; the enterprise name is fixed by the invitation."""
    state = _usable(code, token)
    period = current_filing_period()
    urls = _urls(code, token)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        result = ImportResult()
        result.add(None, None, "请先点击“浏览”选择要导入的文件（.xlsx），再点击“导入”。")
    else:
        result = import_filings(state.kind, upload.stream, unit=state.unit, year=period.year,
                                invitation=state.invitation, enterprise_name=state.invitation.enterprise_name,
                                source=SOURCE_LINK_IMPORT)
    if result.errors:
        db.session.rollback()
    else:
        db.session.commit()
        if not is_htmx():
            return htmx_redirect(urls["page"])
    response = render("invite/link.html", "invite/_link_import.html", status=422 if result.errors else 200,
                      state=state, urls=urls, result=result, import_open=True, form=_form(state),
                      filings=_filings_page(state))
    return response if result.errors else trigger(response, LIST_CHANGED)
