"""证书管理 (C-S11, spec B12): the year's certificates (预览 · 下载 · 批量下载), the background image and the units'
证书信息更正 (同意 / 不同意). At /admin/certificates; no menu item of its own (C-S1 has none)."""
from flask import abort, flash, request, url_for
from flask_login import current_user

from app.core import audit
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.pagination import Page, page_number
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.core.uploads import UploadError, thumbnail_uri
from app.review import certificate_corrections as corrections
from app.review import certificates as service
from app.secretariat.views import bp

PER_PAGE = 50
KIND_CHOICES = (("", "全部"), ("group", "小组成果"), ("team", "班组成果"))


def _year():
    return request.args.get("year", type=int) or current_declaration_period().year


def _kind():
    kind = request.args.get("kind", "")
    return kind if kind in ("group", "team") else None


def _certificate_page(year, kind, page):
    select = service.certificate_select(year=year, kind=kind, published=False)
    total = db.session.scalar(db.select(db.func.count()).select_from(select.order_by(None).subquery()))
    number = page_number(page, total, PER_PAGE)
    rows = service.certificates(select.limit(PER_PAGE).offset((number - 1) * PER_PAGE))
    return Page(rows, number, PER_PAGE, total)


def _page(status=200, errors=None):
    year, kind = _year(), _kind()
    background = service.background_file(year)
    return render("admin/certificates/index.html", "admin/certificates/_page.html", status=status, year=year,
                  kind=kind or "", kind_choices=KIND_CHOICES,
                  certs=_certificate_page(year, kind, request.args.get("page", 1, type=int)),
                  corrections=corrections.admin_corrections(year, request.args.get("cpage", 1, type=int)),
                  published={k: service.is_published(year, k) for k in ("group", "team")},
                  background=background,
                  thumbnail=thumbnail_uri(background, (360, 260)) if background else None,
                  field_label=corrections.field_label, status_labels=corrections.STATUS_LABELS,
                  errors=errors or {})


@bp.get("/certificates", endpoint="certificates")
@secretariat_required
def certificates():
    """证书管理: certificates of the 当前申报年度, background image, 证书信息更正."""
    return _page()


def _certificate_or_404(declaration_id):
    cert = service.certificate_or_none(declaration_id, published=False)
    if cert is None:
        abort(404)
    return cert


@bp.get("/certificates/<int:declaration_id>/preview", endpoint="preview_certificate")
@secretariat_required
def preview_certificate(declaration_id):
    """预览: the certificate in the browser's viewer (before 发布 too; the number may still be unallocated)."""
    cert = _certificate_or_404(declaration_id)
    return service.pdf_response(cert, service.background_of(cert.year), inline=True)


@bp.get("/certificates/<int:declaration_id>/download", endpoint="download_certificate")
@secretariat_required
def download_certificate(declaration_id):
    """下载: the certificate as a file."""
    cert = _certificate_or_404(declaration_id)
    return service.pdf_response(cert, service.background_of(cert.year))


@bp.get("/certificates.zip", endpoint="certificates_zip")
@secretariat_required
def certificates_zip():
    """批量下载: every published certificate of the year (and kind) as one streamed zip."""
    year, kind = _year(), _kind()
    certs = service.certificates(service.certificate_select(year=year, kind=kind))
    if not certs:
        return _page(status=409, errors={"zip": "评审结果正式发布、证书编号分配后才能批量下载证书。"})
    audit.record("certificate.download_all", f"批量下载{year}年证书（{len(certs)}张）",
                 detail={"year": year, "kind": kind or "all", "count": len(certs)})
    db.session.commit()
    label = {"group": "小组成果", "team": "班组成果"}.get(kind, "全部")
    return service.zip_response(certs, service.background_of(year), service.zip_name(year, label))


@bp.post("/certificates/background", endpoint="certificate_background")
@secretariat_required
def certificate_background():
    """上传证书背景图 of the year (JPG or PNG)."""
    year = _year()
    try:
        service.set_background(year, request.files.get("background"))
    except UploadError as error:
        db.session.rollback()
        return _page(status=422, errors={"background": str(error)})
    db.session.commit()
    flash(f"{year}年证书背景图已上传。", "success")
    return htmx_redirect(url_for("admin.certificates", year=year))


@bp.post("/certificates/corrections/<int:correction_id>/<any(approve, decline):decision>",
         endpoint="decide_correction")
@secretariat_required
def decide_correction(correction_id, decision):
    """同意 / 不同意 a unit's 证书信息更正."""
    year = _year()
    row = corrections.get_or_404(correction_id, year)
    if decision == "approve":
        error = corrections.approve(row, current_user)
    else:
        error = corrections.decline(row, current_user, request.form.get("note"))
    if error:
        db.session.rollback()
        return _page(status=422, errors={row.id: error})
    db.session.commit()
    flash("已同意该证书信息更正，证书将使用新内容。" if decision == "approve" else "已不同意该证书信息更正。",
          "success")
    return htmx_redirect(url_for("admin.certificates", year=year) + "#corrections")
