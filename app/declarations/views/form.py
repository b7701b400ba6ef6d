"""申报表 (C-U5/C-U6): 新增 from a filing, 编辑 (保存 / 提交申报), 查看, and 提交 · 撤回 · 删除 from the list."""
from flask import flash, redirect, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from app.core import uploads
from app.core.extensions import db
from app.core.htmx import htmx_redirect, is_htmx, render
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.declarations import formal_check, forms
from app.declarations import files as declaration_files
from app.declarations import services as service
from app.declarations.fields import KIND_LABELS
from app.declarations.models import STATUS_RETURNED
from app.declarations.views import bp

CHANGED_ELSEWHERE = "该申报刚刚在其他窗口被修改或提交，请查看最新内容后再操作。"


def _context(declaration, form, window, **extra):
    """What the form page and its partials need."""
    context = dict(tab=declaration.kind if declaration else form.kind, kind=form.kind, label=KIND_LABELS[form.kind],
                   form=form, declaration=declaration, window=window, period=window.period, **extra)
    if declaration is not None:
        context["slots"] = declaration_files.slots(declaration, declaration.files)
        context["can_edit"] = service.can_edit(declaration, window)
        if declaration.status == STATUS_RETURNED and "check" not in extra:  # what to fix, above the form
            context["check"] = formal_check.latest_check(declaration)
    return context


@bp.route("/<any(group, team):kind>/new/<int:filing_id>", methods=["GET", "POST"])
@unit_required
def new(kind, filing_id):
    """新增申报 of one filing: the form prefilled from the filing and the unit; 保存 creates the draft."""
    unit, period = current_unit(), current_declaration_period()
    filing = service.get_filing_or_404(kind, unit, period.year, filing_id)
    window = service.window_for(unit, kind, period)
    if request.method == "GET":
        existing = service.declaration_of_filing(kind, filing.id)
        if existing is not None:
            flash(service.duplicate_message(kind, existing.decl_no), "warning")
            return htmx_redirect(url_for("declarations.show", declaration_id=existing.id))
        form = forms.prefilled(kind, filing, unit)
        form.values["submission_key"] = forms.new_submission_key()
        return render("declarations/form.html", "declarations/_form.html",
                      **_context(None, form, window, filing=filing))
    form, cleaned = forms.parse(kind, request.form, period)
    form.values["submission_key"] = request.form.get("submission_key", "")[:64]
    if not window.is_open:
        form.errors["window"] = window.refusal
    elif cleaned is not None:
        try:
            declaration = service.create_declaration(kind, unit, filing, cleaned,
                                                     submission_key=form.values["submission_key"] or None)
        except service.DeclarationError as exc:
            db.session.rollback()
            form.errors["window"] = exc.message
        else:
            db.session.commit()
            flash(f"已保存草稿，申报编号 {declaration.decl_no}。请继续上传附件材料、打印申报表盖章后上传，再提交申报。",
                  "success")
            return htmx_redirect(url_for("declarations.edit", declaration_id=declaration.id))
    return render("declarations/form.html", "declarations/_form.html", 422,
                  **_context(None, form, window, filing=filing))


def load_declaration(declaration_id, lock=False):
    """The current unit's declaration (404 otherwise) and the window of its kind."""
    declaration = service.get_declaration_or_404(current_unit(), declaration_id, lock=lock)
    return declaration, service.window_for(current_unit(), declaration.kind)


@bp.route("/<int:declaration_id>/edit", methods=["GET", "POST"])
@unit_required
def edit(declaration_id):
    """编辑: 保存 keeps a draft (even incomplete); 提交申报 saves, then runs every check of A12."""
    declaration, window = load_declaration(declaration_id, lock=request.method == "POST")
    if not service.can_edit(declaration, window):
        if request.method == "POST":
            flash(window.closed_message or "该申报已提交，不能再修改。", "warning")
        return htmx_redirect(url_for("declarations.show", declaration_id=declaration.id))
    if request.method == "GET":
        form = forms.from_declaration(declaration)
        return render("declarations/form.html", "declarations/_editor.html", **_context(declaration, form, window))
    period = service.period_of(declaration, window.period)
    form, cleaned = forms.parse(declaration.kind, request.form, period)
    submitting = request.form.get("action") == "submit"
    if cleaned is None:
        form.errors.setdefault("window", "请更正标出的项目，本次修改尚未保存。")
        return _editor(declaration, form, window, 422)
    try:
        service.update_declaration(declaration, cleaned)
        if submitting:
            service.submit_declaration(declaration, window)
        db.session.commit()
    except service.DeclarationError as exc:
        db.session.commit()  # the draft keeps what was typed; only 提交 is refused
        form = forms.from_declaration(declaration)
        form.add_problems(exc.problems)
        form.errors.setdefault("window", "草稿已保存。" + exc.message)
        return _editor(declaration, form, window, 422)
    except StaleDataError:
        db.session.rollback()
        flash(CHANGED_ELSEWHERE, "warning")
        return htmx_redirect(url_for("declarations.show", declaration_id=declaration_id))
    if submitting:
        flash(f"已提交申报 {declaration.decl_no}，回执已发送到本单位的电子邮箱。", "success")
        return htmx_redirect(url_for("declarations.show", declaration_id=declaration.id))
    form = forms.from_declaration(declaration)
    if not is_htmx():
        flash("已保存。", "success")
        return redirect(url_for("declarations.edit", declaration_id=declaration.id), code=303)
    return _editor(declaration, form, window, 200, saved=True)


def _editor(declaration, form, window, status, **extra):
    return render("declarations/form.html", "declarations/_editor.html", status,
                  **_context(declaration, form, window, **extra))


@bp.get("/<int:declaration_id>")
@unit_required
def show(declaration_id):
    """查看: the declaration as saved, its files, state and the latest 形式审查 opinion."""
    declaration, window = load_declaration(declaration_id)
    check = formal_check.latest_check(declaration)
    form = forms.from_declaration(declaration)
    return render("declarations/show.html", "declarations/show.html",
                  **_context(declaration, form, window, check=check,
                             can_withdraw=service.can_withdraw(declaration, window, check is not None)))


@bp.post("/<int:declaration_id>/submit")
@unit_required
def submit(declaration_id):
    """提交 from the list: the saved draft is checked; problems are shown on its form."""
    declaration, window = load_declaration(declaration_id, lock=True)
    try:
        done = service.submit_declaration(declaration, window)
        db.session.commit()
    except service.DeclarationError as exc:
        db.session.rollback()
        if not service.can_edit(declaration, window):
            flash(exc.problems.get("window") or exc.message, "error")
            return htmx_redirect(url_for("declarations.show", declaration_id=declaration.id))
        form = forms.from_declaration(declaration)
        form.add_problems(exc.problems)
        form.errors.setdefault("window", exc.message)
        return render("declarations/form.html", "declarations/_editor.html", 422,
                      **_context(declaration, form, window))
    except StaleDataError:
        db.session.rollback()
        done = False
    flash(f"已提交申报 {declaration.decl_no}，回执已发送到本单位的电子邮箱。" if done
          else f"申报 {declaration.decl_no} 已经提交，无需重复提交。", "success")
    return htmx_redirect(url_for("declarations.declaration_list", kind=declaration.kind))


def _list_action(declaration, act, done_message):
    """Run a 撤回/删除 of the list: commit, or say why not; back to the list either way."""
    kind = declaration.kind
    try:
        result = act()
        db.session.commit()
    except service.DeclarationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except StaleDataError:
        db.session.rollback()
        flash(CHANGED_ELSEWHERE, "warning")
    else:
        uploads.delete_files(result or [])
        flash(done_message, "success")
    return htmx_redirect(url_for("declarations.declaration_list", kind=kind))


@bp.post("/<int:declaration_id>/withdraw")
@unit_required
def withdraw(declaration_id):
    """撤回: back to 草稿 while the window is open and before 形式审查."""
    declaration, window = load_declaration(declaration_id, lock=True)
    return _list_action(declaration, lambda: service.withdraw_declaration(declaration, window),
                        f"已撤回申报 {declaration.decl_no}，修改后请重新提交。")


@bp.post("/<int:declaration_id>/delete")
@unit_required
def delete(declaration_id):
    """删除 a draft and its files (the 申报编号 is not issued again)."""
    declaration, window = load_declaration(declaration_id, lock=True)
    return _list_action(declaration, lambda: service.delete_declaration(declaration, window),
                        f"已删除草稿 {declaration.decl_no}。")
