"""形式审查: the list of declarations to check (with the system's findings), one declaration's checklist and
conclusion, and 批量参评 with a preview of what will change."""
from flask import flash, request, url_for
from flask_login import current_user

from app.core.clock import china_today
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period, declaration_period
from app.declarations import conclusions, formal_check, overview
from app.declarations.models import STATUS_LABELS, STATUS_SUBMITTED
from app.declarations.unit_documents import DOC_LABELS, document_states
from app.secretariat.formal_check_rows import check_rows
from app.secretariat.views import bp
from app.secretariat.views.declarations import file_rows, get_declaration_or_404

MAX_BULK = 200


def _list_context(filters):
    counts, total = overview.status_counts(filters)
    page = overview.search(filters, page=request.args.get("page", 1, type=int), order="submitted",
                           counts=(counts, total))
    period = current_declaration_period()  # the page's heading shows it: computed once per request
    earliest = (period if period.year == filters.year else declaration_period(year=filters.year)).earliest_completion
    findings = formal_check.list_findings([row.id for row in page.items], earliest)
    unit_label, unit_error = overview.unit_filter_label(filters)
    provinces, industries = overview.reference_lists() if not is_htmx() else ((), ())  # selects: full page only
    rows = check_rows(page.items, findings, url_for("admin.formal_checks") + "/", overview.KIND_LABELS,
                      STATUS_LABELS, conclusions.conclusion_label)
    return dict(pagination=page, filters=filters, rows=rows, counts=counts, counts_total=total,
                status_labels=STATUS_LABELS, kinds=overview.KIND_LABELS, unit_label=unit_label,
                unit_error=unit_error, provinces=provinces, industries=industries)


@bp.get("/formal-checks", endpoint="formal_checks")
@secretariat_required
def formal_checks():
    """形式审查 list: 待形式审查 first by default, the system's findings per declaration, 批量参评."""
    filters = overview.Filters.from_args(request.args, default_status=STATUS_SUBMITTED)
    return render("admin/formal_check/index.html", "admin/formal_check/_table.html", **_list_context(filters))


def _findings(declaration):
    """(earliest completion date, the unit's documents, the automatic results) of one declaration."""
    earliest = declaration_period(china_today(), declaration.year).earliest_completion
    documents = document_states(declaration.year, [declaration.unit_id])[declaration.unit_id]
    return earliest, documents, formal_check.auto_results(declaration, documents, earliest)


def _check_page(declaration, form, status=200, conflict=None, findings=None):
    earliest, documents, auto = findings or _findings(declaration)
    return render("admin/formal_check/check.html", "admin/formal_check/_form.html", status=status,
                  declaration=declaration, form=form, auto=auto, check_items=formal_check.item_rows(earliest),
                  results=formal_check.RESULTS,
                  conclusions=conclusions.CONCLUSIONS, allowed=conclusions.ALLOWED.get(declaration.status, ()),
                  final_message=conclusions.FINAL_MESSAGES.get(declaration.status), conflict=conflict,
                  history=formal_check.history(declaration.id), files=file_rows(declaration),
                  documents=documents, status_labels=STATUS_LABELS, doc_labels=DOC_LABELS,
                  conclusion_labels=conclusions.CONCLUSIONS)


@bp.get("/formal-checks/<int:declaration_id>", endpoint="formal_check")
@secretariat_required
def formal_check_page(declaration_id):
    """One declaration's 形式审查: its data and files, the checklist with the system's findings, the history."""
    declaration = get_declaration_or_404(declaration_id)
    findings = _findings(declaration)
    form = conclusions.initial_form(declaration, findings[2], china_today(), formal_check.latest_check(declaration))
    return _check_page(declaration, form, findings=findings)


@bp.post("/formal-checks/<int:declaration_id>", endpoint="decide_formal_check")
@secretariat_required
def decide_formal_check(declaration_id):
    """Save a conclusion as a new 形式审查 (nothing is overwritten when another clerk decided first)."""
    declaration = get_declaration_or_404(declaration_id)
    today = china_today()
    form = None
    try:
        form, cleaned = conclusions.parse(request.form, declaration, today)
        if cleaned is None:
            return _check_page(declaration, form, status=422)
        conclusions.record(declaration, cleaned, current_user)
    except conclusions.Conflict as conflict:
        db.session.rollback()
        declaration = get_declaration_or_404(declaration_id)
        form = conflict.form or form
        form.values["version"] = str(declaration.version)  # deciding again starts from what is there now
        return _check_page(declaration, form, status=409, conflict=str(conflict))
    db.session.commit()
    flash(f"已保存 {declaration.decl_no} 的形式审查结论：{conclusions.conclusion_label(cleaned['conclusion'])}，"
          "并已邮件通知申报单位。", "success")
    return htmx_redirect(url_for("admin.formal_check", declaration_id=declaration.id))


def _back():
    """The list to return to (only a 形式审查 list address is accepted)."""
    back = request.form.get("back") or ""
    list_url = url_for("admin.formal_checks")
    if back == list_url or (back.startswith(list_url + "?") and "\\" not in back and "//" not in back):
        return back
    return list_url


def _selected():
    """{declaration id: version} of the ticked rows (ids and versions bounded)."""
    chosen = {}
    for value in request.form.getlist("selected")[:MAX_BULK]:
        id_text, _, version_text = value.partition(":")
        if id_text.isdecimal() and version_text.isdecimal() and len(id_text) < 10 and len(version_text) < 10:
            chosen[int(id_text)] = int(version_text)
    return chosen


@bp.post("/formal-checks/bulk/preview", endpoint="bulk_accept_preview")
@secretariat_required
def bulk_accept_preview():
    """批量参评, step 1: what will be accepted and what is left out (and why); nothing changes yet."""
    chosen = _selected()
    preview = conclusions.bulk_preview(list(chosen), china_today())
    return render("admin/formal_check/bulk.html", "admin/formal_check/_bulk.html", preview=preview,
                  versions=chosen, back=_back(),
                  max_bulk=MAX_BULK, too_many=len(request.form.getlist("selected")) > MAX_BULK)


@bp.post("/formal-checks/bulk", endpoint="bulk_accept")
@secretariat_required
def bulk_accept():
    """批量参评, step 2: accept the previewed declarations that still pass (each re-checked, version-checked)."""
    chosen = _selected()
    accepted, skipped = conclusions.bulk_accept(chosen, current_user, china_today())
    db.session.commit()
    if accepted:
        flash(f"已批量参评 {len(accepted)} 项，并已邮件通知申报单位。", "success")
    if skipped:
        flash("未参评 " + "；".join(f"{d.decl_no}：{reason}" for d, reason in skipped[:10])
              + ("……" if len(skipped) > 10 else ""), "warning")
    return htmx_redirect(url_for("admin.formal_checks"))
