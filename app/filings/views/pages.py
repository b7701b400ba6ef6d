"""The 小组备案 / 班组备案 pages, registered on the groups and teams blueprints by register_filing_views."""
import io

from flask import abort, flash, make_response, request, send_file, url_for
from werkzeug.exceptions import Forbidden

from app.core import audit
from app.core.clock import china_today
from app.core.errors import render_error
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render, trigger
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_filing_period
from app.filings import html
from app.filings import services as service
from app.filings.fields import KIND_LABELS, NAME_FIELDS, fields_for
from app.filings.forms import YearStatForm, filing_form
from app.filings.xlsx.export import export_filename, export_summary
from app.filings.xlsx.importer import ImportResult, import_filings
from app.filings.xlsx.template import build_template, template_filename

PER_PAGE = 20
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters():
    """?q=, ?enterprise=, ?invitation= from the query string."""
    invitation_id = request.args.get("invitation", type=int)
    return {
        "search": (request.args.get("q") or "").strip()[:100] or None,
        "enterprise": (request.args.get("enterprise") or "").strip()[:200] or None,
        "invitation_id": invitation_id,
    }


def _closed_message(period):
    return None if period.is_open else service.filing_closed_message(period)


def register_filing_views(bp, kind):
    """Add the filing pages of `kind` to blueprint `bp` (index, settings, new, edit, delete, import...)."""
    label = KIND_LABELS[kind]
    name_field = NAME_FIELDS[kind]

    def common(period, **extra):
        return dict(kind=kind, label=label, bp=bp.name, name_field=name_field, period=period,
                    closed_message=_closed_message(period), enterprise_options=html.enterprise_options,
                    summary_rows=html.summary_rows, **extra)

    @bp.get("/")
    @unit_required
    def index():
        """The filing list with search, enterprise filter and pagination."""
        unit, period = current_unit(), current_filing_period()
        filters = _filters()
        invitation = None
        if filters["invitation_id"] is not None:
            invitation = service.get_invitation(filters["invitation_id"])
            if invitation is None or invitation.unit_id != unit.id:
                abort(404)
        query = service.filings_query(kind, unit, period.year, **filters)
        pagination = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                                 error_out=False, max_per_page=PER_PAGE, count=False)
        pagination.total = db.session.scalar(service.count_query(query))
        enterprises = service.enterprise_names(kind, unit, period.year)
        context = common(period, pagination=pagination, filters=filters, invitation=invitation,
                         enterprises=enterprises, stat=service.get_year_stat(unit, period.year),
                         stat_fields=service.STAT_FIELDS)
        if is_htmx() and request.headers.get("HX-Target") == "filing-list":
            return render("filings/index.html", "filings/_list.html", **context)
        return render("filings/index.html", "filings/index.html", **context)

    @bp.route("/settings", methods=["GET", "POST"])
    @unit_required
    def settings():
        """设置: the unit's four figures for the year, then 提交 (closed with the deadline, like 修改)."""
        unit, period = current_unit(), current_filing_period()
        stat = service.get_year_stat(unit, period.year)
        form = YearStatForm(obj=stat)
        if request.method == "POST" and not period.is_open:
            _refuse_closed(period)
        if form.validate_on_submit():
            service.save_year_stat(unit, period.year, form.data)
            db.session.commit()
            flash(f"{period.year}年度设置已提交。", "success")
            return htmx_redirect(url_for(f"{bp.name}.index"))
        status = 422 if request.method == "POST" else 200
        return render("filings/settings.html", "filings/_settings_form.html", status,
                      **common(period, form=form))

    def _save(form, filing=None):
        unit, period = current_unit(), current_filing_period()
        try:
            if filing is None:
                saved = service.create_filing(kind, unit, period.year, form.filing_data(),
                                              submission_key=form.submission_key.data)
            else:
                saved = service.update_filing(filing, form.filing_data())
        except service.FilingError as exc:
            db.session.rollback()
            form.apply_errors(exc.field_errors)
            return None, exc.message
        db.session.commit()
        return saved, None

    @bp.route("/new", methods=["GET", "POST"])
    @unit_required
    def new():
        """添加: one record, then 保存."""
        unit, period = current_unit(), current_filing_period()
        form = filing_form(kind)
        if request.method == "GET":
            form.enterprise_name.data = unit.name
        message = None
        if request.method == "POST":
            if form.validate_on_submit():
                saved, message = _save(form)
                if saved is not None:
                    flash(f"已保存{label}“{getattr(saved, name_field)}”，注册编号 {saved.reg_no}。", "success")
                    return htmx_redirect(url_for(f"{bp.name}.index"))
            else:
                message = "请更正标出的项目。"
        return _form_page(form, period, url_for(f"{bp.name}.new"), f"添加{label}", message)

    @bp.route("/<int:filing_id>/edit", methods=["GET", "POST"])
    @unit_required
    def edit(filing_id):
        """修改 one record of the unit."""
        unit, period = current_unit(), current_filing_period()
        filing = service.get_filing_or_404(kind, unit, filing_id)
        form = filing_form(kind)
        if request.method == "GET":
            form.fill_from(filing)
        message = None
        if request.method == "POST":
            if form.validate_on_submit():
                saved, message = _save(form, filing)
                if saved is not None:
                    flash(f"已保存{label}“{getattr(saved, name_field)}”（{saved.reg_no}）。", "success")
                    return htmx_redirect(url_for(f"{bp.name}.index"))
            else:
                message = "请更正标出的项目。"
        return _form_page(form, period, url_for(f"{bp.name}.edit", filing_id=filing.id),
                          f"修改{label}（{filing.reg_no}）", message, filing=filing)

    def _form_page(form, period, action_url, title, message, filing=None):
        status = 422 if request.method == "POST" else 200
        context = common(period, form=form, action_url=action_url, title=title, form_message=message,
                         cancel_url=url_for(f"{bp.name}.index"), filing=filing)
        return render("filings/form.html", "filings/_form.html", status, **context)

    @bp.get("/<int:filing_id>")
    @unit_required
    def view(filing_id):
        """One record, read-only: every field as filed, with 修改 and 删除 while filing is open."""
        period = current_filing_period()
        filing = service.get_filing_or_404(kind, current_unit(), filing_id)
        return render("filings/view.html", "filings/view.html",
                      **common(period, filing=filing, specs=fields_for(kind)))

    @bp.post("/<int:filing_id>/delete")
    @unit_required
    def delete(filing_id):
        """Delete one record (hx-confirm on the button); the row disappears. Closed after the deadline."""
        filing = service.get_filing_or_404(kind, current_unit(), filing_id)
        reg_no = filing.reg_no
        try:
            service.delete_filing(filing)
        except service.FilingClosed:
            _refuse_closed(current_filing_period())
        except service.FilingError as exc:
            db.session.rollback()
            if is_htmx():  # not swapped into the row: the page shows the message (app.js toast)
                return render_error(409, exc.message)
            flash(exc.message, "error")
            return htmx_redirect(url_for(f"{bp.name}.index"))
        db.session.commit()
        if is_htmx():  # the row goes; the list (count, pages) refreshes on the event
            return trigger(make_response("", 200), "filings-changed")
        flash(f"已删除 {reg_no}。", "success")
        return htmx_redirect(url_for(f"{bp.name}.index"))

    @bp.route("/import", methods=["GET", "POST"])
    @unit_required
    def import_file():
        """批量导入: 下载导入模板 · 浏览 · 导入."""
        unit, period = current_unit(), current_filing_period()
        result = None
        status = 200
        if request.method == "POST" and period.is_open:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                result = ImportResult()
                result.add(None, None, "请先点击“浏览”选择要导入的文件（.xlsx），再点击“导入”。")
            else:
                result = import_filings(kind, upload.stream, unit=unit, year=period.year)
            if result.ok:
                db.session.commit()
            else:
                db.session.rollback()
                status = 422
        context = common(period, result=result, template_url=url_for(f"{bp.name}.template"),
                         action_url=url_for(f"{bp.name}.import_file"), list_url=url_for(f"{bp.name}.index"))
        return render("filings/import.html", "filings/_import.html", status, **context)

    @bp.get("/template.xlsx")
    @unit_required
    def template():
        """下载导入模板."""
        return _xlsx(build_template(kind), template_filename(kind))

    @bp.get("/summary")
    @unit_required
    def summary():
        """小组汇总表 / 班组汇总表: per enterprise, totals, then the full list (paginated)."""
        unit, period = current_unit(), current_filing_period()
        rows = service.enterprise_summary(kind, unit, period.year)
        totals = (sum(r.records for r in rows), sum(r.members for r in rows))
        pagination = db.paginate(service.filings_query(kind, unit, period.year),
                                 page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                                 error_out=False, max_per_page=PER_PAGE, count=False)
        pagination.total = totals[0]
        context = common(period, rows=rows, totals=totals, pagination=pagination, unit=unit)
        return render("filings/summary.html", "filings/summary.html", **context)

    @bp.get("/summary/print")
    @unit_required
    def summary_print():
        """打印: the 汇总表 with every record, the unit's name, the date and a 盖章 line, for paper."""
        unit, period = current_unit(), current_filing_period()
        rows = service.enterprise_summary(kind, unit, period.year)
        columns = service.print_columns(kind)
        records = db.session.execute(service.print_query(kind, unit, period.year)).all()
        totals = (sum(r.records for r in rows), sum(r.members for r in rows))
        context = common(period, rows=rows, totals=totals, unit=unit, columns=[text for text, _ in columns],
                         records=html.print_rows(records), record_count=len(records), today=china_today())
        return render("filings/summary_print.html", "filings/summary_print.html", **context)

    @bp.get("/summary.xlsx")
    @unit_required
    def export():
        """导出Excel: the summary and every record, formula-safe."""
        unit, period = current_unit(), current_filing_period()
        data = export_summary(kind, unit, period.year)
        audit.record(f"{kind}_filing.export", f"导出{period.year}年{label}备案汇总表")
        db.session.commit()
        return _xlsx(data, export_filename(kind, unit, period.year))


def _refuse_closed(period):
    """403 with the 备案已截止 text: after the deadline nothing of the year changes."""
    error = Forbidden()
    error.zh_message = service.filing_closed_message(period)
    raise error


def _xlsx(data, filename):
    """An xlsx download (werkzeug writes an RFC 5987 filename* for the Chinese name)."""
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response
