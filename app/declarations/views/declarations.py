"""成果申报 (C-U2): the overview, 小组成果申报 / 班组成果申报 lists (C-U3), 新增申报 picker (C-U4), 附件下载."""
from flask import request

from app.core import notices as notice_service
from app.core.extensions import db
from app.core.htmx import is_htmx, render
from app.core.pagination import paginate
from app.core.permissions import current_unit, unit_required
from app.core.settings import current_declaration_period
from app.declarations import completeness
from app.declarations import files as declaration_files
from app.declarations import services as service
from app.declarations.fields import KIND_LABELS
from app.declarations.models import FormalCheck
from app.declarations.views import bp

PER_PAGE = 20
PICKER_STATES = {"todo": "未申报", "done": "已申报"}


def _search():
    return (request.args.get("q") or "").strip()[:100] or None


@bp.get("/")
@unit_required
def index():
    """成果申报: the window, the counts and what is still missing or needs a new scan."""
    unit, period = current_unit(), current_declaration_period()
    state = completeness.for_unit(unit, period)
    windows = {kind: service.window_for(unit, kind, period) for kind in KIND_LABELS}
    return render("declarations/index.html", "declarations/index.html", tab=None, state=state,
                  windows=windows, kind_labels=KIND_LABELS)


@bp.get("/<any(group, team):kind>/")
@unit_required
def declaration_list(kind):
    """小组成果申报 / 班组成果申报: the unit's declarations of the year (paginated, a fixed number of queries)."""
    unit, period = current_unit(), current_declaration_period()
    window = service.window_for(unit, kind, period)
    search = _search()
    query = service.declarations_query(unit, period.year, kind, search)
    pagination = paginate(query, request.args.get("page", 1, type=int), PER_PAGE)
    declarations = pagination.items
    ids = [d.id for d in declarations]
    scans = declaration_files.stamped_hashes(ids)
    checked = set(db.session.scalars(db.select(FormalCheck.declaration_id).where(
        FormalCheck.declaration_id.in_(ids)))) if ids else set()
    rows = []
    for declaration in declarations:
        scan = declaration_files.scan_state(declaration, scans.get(declaration.id))
        rows.append({"declaration": declaration, "scan": scan,
                     "can_edit": service.can_edit(declaration, window),
                     "can_withdraw": service.can_withdraw(declaration, window, declaration.id in checked)})
    context = dict(tab=kind, kind=kind, label=KIND_LABELS[kind], window=window, pagination=pagination, rows=rows,
                   search=search, offset=(pagination.page - 1) * PER_PAGE)
    if is_htmx() and request.headers.get("HX-Target") == "declaration-list":
        return render("declarations/list.html", "declarations/_list.html", **context)
    return render("declarations/list.html", "declarations/list.html", **context)


@bp.get("/<any(group, team):kind>/new")
@unit_required
def picker(kind):
    """新增申报 — 选择备案小组/班组: the unit's filings of the 当前申报年度, searchable, 未申报/已申报."""
    unit, period = current_unit(), current_declaration_period()
    window = service.window_for(unit, kind, period)
    search = _search()
    state = request.args.get("state") if request.args.get("state") in PICKER_STATES else None
    pagination = paginate(service.picker_query(kind, unit, period.year, search, state),
                          request.args.get("page", 1, type=int), PER_PAGE)
    declared = service.declarations_of_filings(kind, [f.id for f in pagination.items])
    context = dict(tab=kind, kind=kind, label=KIND_LABELS[kind], window=window, pagination=pagination,
                   declared=declared, search=search, state=state, states=PICKER_STATES)
    if is_htmx() and request.headers.get("HX-Target") == "picker-list":
        return render("declarations/picker.html", "declarations/_picker_list.html", **context)
    return render("declarations/picker.html", "declarations/picker.html", **context)


@bp.get("/downloads")
@unit_required
def downloads():
    """附件下载: the attachments the secretariat published with its notices (申报要求, 样表, 报告书格式)."""
    notices = [n for n in notice_service.published_notices(limit=30) if n.attachments]
    return render("declarations/downloads.html", "declarations/downloads.html", tab="downloads", notices=notices)
