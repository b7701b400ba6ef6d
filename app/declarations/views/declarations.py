"""小组成果申报 / 班组成果申报 and 附件下载 (owned by the declaration-form work; placeholders for now)."""
from flask import redirect, render_template, url_for

from app.core.permissions import unit_required
from app.declarations.views import bp


@bp.get("/")
@unit_required
def index():
    """成果申报: the first tab."""
    return redirect(url_for("declarations.declaration_list", kind="group"))


@bp.get("/<any(group, team):kind>/")
@unit_required
def declaration_list(kind):
    """小组成果申报 / 班组成果申报 (placeholder)."""
    tab = "group" if kind == "group" else "team"
    return render_template("declarations/placeholder.html", tab=tab)


@bp.get("/downloads")
@unit_required
def downloads():
    """附件下载 (placeholder)."""
    return render_template("declarations/placeholder.html", tab="downloads")
