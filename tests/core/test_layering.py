"""The layering stays true: an area imports the core and the areas it builds on, never the reverse,
and views are imported by nothing but the factory (and their own blueprint package)."""
import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# area -> the areas it may import (itself and the core always allowed)
BUILDS_ON = {
    "core": set(),
    "accounts": {"core"},
    "filings": {"core", "accounts"},
    "invitations": {"core", "accounts", "filings"},
    "declarations": {"core", "accounts", "filings"},
    "review": {"core", "accounts", "filings", "declarations"},
    "secretariat": {"core", "accounts", "filings", "invitations", "declarations", "review"},
    "main": {"core", "accounts", "filings", "invitations", "declarations", "review"},
}
# composition roots: they know every area
ROOTS = {"app", "app.commands", "app.housekeeping", "app.models"}


def module_name(path):
    """app/filings/xlsx/guard.py -> app.filings.xlsx.guard"""
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted):
    """True when dotted names a module or package under app/."""
    rel = Path(*dotted.split("."))
    return (APP.parent / rel).with_suffix(".py").exists() or (APP.parent / rel / "__init__.py").exists()


def imports_of(source, current):
    """Every app module a source imports (function-local imports included)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "app")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(current.split(".")[: -node.level] + ([base] if base else []))
            if base.split(".")[0] != "app":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if is_module(sub) else base)
    return found


def area_of(dotted):
    """app.filings.xlsx.guard -> filings; roots -> None."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in BUILDS_ON else None


def is_views(dotted):
    """True for a module of a blueprint's views (app.<area>.views or below)."""
    parts = dotted.split(".")
    return len(parts) >= 3 and parts[2] == "views"


def violations(sources):
    """Layering problems in {module: source}: (importer, imported, why)."""
    problems = []
    for current, source in sources.items():
        if current in ROOTS:
            continue
        here = area_of(current)
        for imported in imports_of(source, current):
            there = area_of(imported)
            if imported in ROOTS - {"app"} or imported == "app":
                problems.append((current, imported, "only the factory and commands use the composition roots"))
            elif there is not None and there != here and there not in BUILDS_ON.get(here, set()):
                problems.append((current, imported, f"{here} does not build on {there}"))
            elif is_views(imported):
                own_package = ".".join(imported.split(".")[:3])
                if not current.startswith(own_package):
                    problems.append((current, imported, "views are imported only by the factory"))
    return problems


def app_sources():
    """{module name: source} of every module under app/."""
    return {module_name(p): p.read_text(encoding="utf-8") for p in APP.rglob("*.py")}


def test_every_area_imports_only_what_it_builds_on():
    sources = app_sources()
    assert {area_of(m) for m in sources} - {None} == set(BUILDS_ON), "an area package is missing from BUILDS_ON"
    assert violations(sources) == []


def test_the_factory_registers_each_blueprint_from_its_area():
    roots_imports = imports_of((APP / "__init__.py").read_text(encoding="utf-8"), "app")
    for views in ("app.accounts.views", "app.filings.views", "app.invitations.views", "app.secretariat.views",
                  "app.main.views", "app.review.views"):
        assert views in roots_imports


@pytest.mark.parametrize("module, source, why", [
    ("app.core.permissions", "from app.accounts.models import STATUS_APPROVED", "core does not build on accounts"),
    ("app.filings.services", "def f():\n    from app.declarations import services", "filings does not build on"),
    ("app.filings.services", "from app.review.views import bp", "filings does not build on review"),
    ("app.invitations.services", "from app.filings.views import pages", "views are imported only by the factory"),
    ("app.accounts.services", "import app.secretariat.units", "accounts does not build on secretariat"),
    ("app.core.outbox", "from app import housekeeping", "composition roots"),
])
def test_the_checker_catches_a_reverse_import(module, source, why):
    found = violations({module: source})
    assert len(found) == 1 and why in found[0][2], found


def test_the_checker_allows_building_on_lower_layers():
    assert violations({
        "app.invitations.services": "from app.filings.services import create_filing\nfrom app.core import audit",
        "app.filings.views.pages": "from app.filings.views import groups_bp",
        "app.secretariat.dashboard": "from app.filings.models import QcGroupFiling",
    }) == []


def import_cycles(sources):
    """Groups of modules that import each other (a blueprint package importing its own views excepted)."""
    graph = {m: {i for i in imports_of(s, m) if i in sources and i != m} for m, s in sources.items()}
    for m in graph:
        if m.endswith(".views"):
            graph[m] = {i for i in graph[m] if not i.startswith(m + ".")}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles():
    assert import_cycles(app_sources()) == []
    assert import_cycles({"app.core.outbox": "from app.core import settings",
                          "app.core.settings": "def f():\n    from app.core import outbox"}) != []
