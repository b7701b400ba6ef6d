"""A unit's certificates (spec B12, C-U12): 下载证书 one by one or as a zip after 正式发布, and 证书信息更正
before it.

Every lookup is scoped to the logged-in unit: another unit's declaration, or one without a published
certificate, is a 404.
"""
from flask import abort, flash, render_template, request, url_for

from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.review import certificate_corrections as corrections
from app.review import certificates as service
from app.review.unit_blueprint import results_bp as bp


def _year():
    return request.args.get("year", type=int) or current_declaration_period().year


@bp.get("/certificates", endpoint="certificates")
@unit_required
def certificates():
    """证书: the unit's certificates of the year after 发布, else 评审中."""
    year = _year()
    certs = service.certificates(service.certificate_select(year=year, unit_id=current_unit().id))
    return render_template("results/certificates.html", year=year, certs=certs)


@bp.get("/certificates/<int:declaration_id>.pdf", endpoint="certificate_pdf")
@unit_required
def certificate_pdf(declaration_id):
    """下载证书: one certificate of the unit's own, published declaration (else 404)."""
    cert = service.certificate_or_none(declaration_id, unit_id=current_unit().id)
    if cert is None:
        abort(404)
    return service.pdf_response(cert, service.background_of(cert.year))


@bp.get("/certificates.zip", endpoint="certificates_zip")
@unit_required
def certificates_zip():
    """全部下载: the unit's published certificates of the year as one streamed zip; 评审中 (404) before 发布."""
    year = _year()
    certs = service.certificates(service.certificate_select(year=year, unit_id=current_unit().id))
    if not certs:
        return render_template("results/certificates.html", year=year, certs=[]), 404
    name = service.zip_name(year, current_unit().name)
    return service.zip_response(certs, service.background_of(year), name)


def _corrections_page(values=None, errors=None, status=200):
    unit, year = current_unit(), _year()
    return render("results/corrections.html", "results/_corrections.html", status=status, year=year,
                  declarations=corrections.correctable(unit, year),
                  rows=corrections.unit_corrections(unit, year),
                  values=values or {}, errors=errors or {}, field_label=corrections.field_label,
                  fields=corrections.FIELDS, status_labels=corrections.STATUS_LABELS)


@bp.route("/corrections", methods=["GET", "POST"], endpoint="corrections")
@unit_required
def certificate_corrections():
    """证书信息更正: the unit's requests and the form (before 发布)."""
    if request.method == "GET":
        return _corrections_page()
    unit = current_unit()
    values, errors, cleaned = corrections.parse(request.form, corrections.correctable(unit, _year()))
    if cleaned is None:
        return _corrections_page(values, errors, status=422)
    corrections.file(unit, cleaned)
    db.session.commit()
    flash("证书信息更正申请已提交，请等待秘书处审核。", "success")
    return htmx_redirect(url_for("results.corrections"))
