"""公示发布 (C-S10, spec B11): 发布公示 after 定级锁定, 异议 (recorded and handled), 结束公示 and 正式发布."""
from flask import flash, request, url_for
from flask_login import current_user

from app.core import uploads
from app.core.clock import china_today
from app.core.extensions import db
from app.core.htmx import htmx_redirect, render
from app.core.pagination import Page, page_number
from app.core.permissions import secretariat_required
from app.core.settings import current_declaration_period
from app.review import objections as objection_service
from app.review import publicity as service
from app.review import unit_results
from app.review.models import AWARD_LEVELS, PUBLICITY_KINDS
from app.review.publicity_files import KIND_NAMES, NAME_HEADERS, listed_rows
from app.secretariat.views import bp

NAMES_PER_PAGE = 50


def _year():
    return current_declaration_period().year


def _index_page(form, status=200, error=None):
    year = _year()
    return render("admin/publicity/index.html", "admin/publicity/_form.html", status=status, form=form,
                  year=year,
                  plans=service.plans(year), publicities=service.publicities(year), kinds=PUBLICITY_KINDS,
                  kind_names=KIND_NAMES, covered=service.covered_kinds(year), refusal=error,
                  titles={kind: service.default_title(year, kind) for kind in PUBLICITY_KINDS},
                  status_labels=service.STATUS_LABELS)


@bp.get("/publicity", endpoint="publicity")
@secretariat_required
def publicity():
    """公示发布: 定级锁定 per kind, the year's 公示 and the 发布公示 form."""
    return _index_page(service.form_for(_year()))


@bp.post("/publicity", endpoint="create_publicity")
@secretariat_required
def create_publicity():
    """发布公示: a 通知公告 with the list as xlsx and PDF (only after 定级锁定)."""
    year = _year()
    form, cleaned = service.parse(request.form, year)
    if cleaned is None:
        return _index_page(form, status=422)
    try:
        row = service.create(year, cleaned, current_user)
    except service.PublicityError as exc:
        db.session.rollback()
        return _index_page(form, status=422, error=str(exc))
    db.session.commit()
    flash(f"已发布公示：{row.title}。", "success")
    return htmx_redirect(url_for("admin.publicity_detail", publicity_id=row.id))


def _page_of(items, requested, per_page):
    number = page_number(requested, len(items), per_page)
    return Page(items=items[(number - 1) * per_page:number * per_page], page=number, per_page=per_page,
                total=len(items))


@bp.get("/publicity/<int:publicity_id>", endpoint="publicity_detail")
@secretariat_required
def publicity_detail(publicity_id):
    """One 公示: period, 异议 (提出人 · 联系电话 · 涉及成果 · 异议内容 · 处理结果 · 状态) and 公示名单."""
    row = service.get_or_404(publicity_id)
    names = _page_of(listed_rows(row.year, service.KINDS[row.kind]), request.args.get("page", 1, type=int),
                     NAMES_PER_PAGE)
    objections = objection_service.for_publicity(row, request.args.get("opage", 1, type=int))
    notices = unit_results.notices_by_id([row.notice_id, row.final_notice_id])
    return render("admin/publicity/detail.html", "admin/publicity/detail.html", publicity=row, names=names,
                  notices=notices,
                  objections=objections, kinds=PUBLICITY_KINDS, name_headers=NAME_HEADERS,
                  kind_names=KIND_NAMES, status_labels=service.STATUS_LABELS,
                  objection_labels=objection_service.STATUS_LABELS, period=service.period_text(row),
                  period_over=china_today() > row.ends_on)


def _act(publicity_id, action, done):
    row = service.get_or_404(publicity_id)
    try:
        replaced = action(row)
    except service.PublicityError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return htmx_redirect(url_for("admin.publicity_detail", publicity_id=publicity_id))
    db.session.commit()
    if replaced:
        uploads.delete_files(replaced)
    flash(done, "success")
    return htmx_redirect(url_for("admin.publicity_detail", publicity_id=publicity_id))


@bp.post("/publicity/<int:publicity_id>/end", endpoint="end_publicity")
@secretariat_required
def end_publicity(publicity_id):
    """结束公示: units can no longer file 异议 online."""
    return _act(publicity_id, lambda row: service.end(row, current_user), "已结束公示。")


@bp.post("/publicity/<int:publicity_id>/reissue", endpoint="reissue_publicity")
@secretariat_required
def reissue_publicity(publicity_id):
    """重新发布公示名单: the notice's xlsx and PDF made again from the current levels."""
    return _act(publicity_id, lambda row: service.reissue(row, current_user), "已重新发布公示名单。")


@bp.post("/publicity/<int:publicity_id>/publish", endpoint="publish_results")
@secretariat_required
def publish_results(publicity_id):
    """正式发布: after the period, with no 异议 待处理; 证书编号 allocated, 获奖名单 published."""
    return _act(publicity_id, lambda row: service.publish(row, current_user) and None,
                "已正式发布评审结果，获奖名单已在通知公告中发布，证书编号已生成。")


def _record_page(row, form, status=200):
    return render("admin/publicity/objection_form.html", "admin/publicity/_objection_form.html",
                  status=status, publicity=row, form=form, choices=objection_service.listed_choices(row))


@bp.route("/publicity/<int:publicity_id>/objections/new", methods=["GET", "POST"],
          endpoint="record_objection")
@secretariat_required
def record_objection(publicity_id):
    """登记异议 received by phone or mail (提出人, 联系电话, 涉及成果, 异议内容)."""
    row = service.get_or_404(publicity_id)
    if request.method == "GET":
        return _record_page(row, objection_service.empty_form())
    if row.status == "published":
        flash("评审结果已正式发布，不能再登记异议。", "error")
        return htmx_redirect(url_for("admin.publicity_detail", publicity_id=row.id))
    form, cleaned = objection_service.parse(request.form, objection_service.listed_choices(row), "提出人")
    if cleaned is None:
        return _record_page(row, form, status=422)
    objection_service.file(row, cleaned, current_user)
    db.session.commit()
    flash("已登记异议。", "success")
    return htmx_redirect(url_for("admin.publicity_detail", publicity_id=row.id))


def _handle_page(objection, form, status=200, error=None):
    return render("admin/publicity/handle.html", "admin/publicity/_handle_form.html", status=status,
                  objection=objection, result=objection_service.result_of(objection), form=form,
                  refusal=error,
                  levels=AWARD_LEVELS, publicity=service.get_or_404(objection.publicity_id),
                  objection_labels=objection_service.STATUS_LABELS)


@bp.route("/objections/<int:objection_id>/handle", methods=["GET", "POST"], endpoint="handle_objection")
@secretariat_required
def handle_objection(objection_id):
    """处理异议: 维持 with a 处理结果, or 调整 the level with a reason (and 重新发布公示名单)."""
    objection = objection_service.get_or_404(objection_id)
    if request.method == "GET":
        return _handle_page(objection, objection_service.handling_form(objection))
    result = objection_service.result_of(objection)
    form, cleaned = objection_service.parse_handling(request.form, result.level if result else "")
    if cleaned is None:
        return _handle_page(objection, form, status=422)
    try:
        replaced = objection_service.handle(objection, cleaned, current_user)
    except service.PublicityError as exc:
        db.session.rollback()
        return _handle_page(objection_service.get_or_404(objection_id), form, status=422, error=str(exc))
    db.session.commit()
    uploads.delete_files(replaced)
    flash("已处理异议" + ("，已重新发布公示名单。" if replaced else "。"), "success")
    return htmx_redirect(url_for("admin.publicity_detail", publicity_id=objection.publicity_id))
