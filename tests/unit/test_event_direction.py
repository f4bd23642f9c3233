"""Domain services never call into notifications: they record events, and the alerts subscriber tells people.

Page and API handlers (``controllers.py``, ``api.py``) sit above the domains and may use notifications (a thread that
is opened marks its notifications read), and so does the wiring that subscribes them (``app/worker.py``);
notifications use no handler; the events layer knows no domain.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
#: Domains that come before notifications in the direction of imports (docs/architecture.md).
BELOW_NOTIFICATIONS = ("accounts", "certificates", "offers", "sourcing", "matching", "messaging", "indexing", "search")
HANDLERS = ("controllers.py", "api.py")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (APP / package).rglob("*.py") if "piccolo_migrations" not in p.parts)


def test_no_domain_service_imports_notifications() -> None:
    offenders = {
        str(path.relative_to(APP)): sorted(name for name in _imports(path) if name.startswith("app.notifications"))
        for package in BELOW_NOTIFICATIONS
        for path in _modules(package)
        if not path.name.endswith(("controllers.py", "api.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_notifications_import_no_page_or_api_handler() -> None:
    offenders = {
        str(path.relative_to(APP)): sorted(
            name for name in _imports(path) if name.endswith((".controllers", ".api")) or ".controllers." in name
        )
        for path in _modules("notifications")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_events_layer_imports_only_foundations() -> None:
    allowed = ("app.db", "app.events")
    imported = {
        name for path in _modules("events") for name in _imports(path) if name.startswith("app.") or name == "app"
    }
    assert sorted(name for name in imported if not name.startswith(allowed)) == []


#: Composition and plumbing sit above every domain; they may import any of them.
ABOVE_DOMAINS = ("app.main", "app.worker", "app.cli", "app.demo", "app.dashboard", "app.web", "app.piccolo_conf")
HANDLER_FILES = (*HANDLERS, "schemas.py", "forms.py")


def _is_handler(path: Path) -> bool:
    """Page and API handlers and what only they use: ``controllers.py``, ``api.py`` and their ``*_controllers.py`` /
    ``*_api.py`` siblings, request schemas and form readers."""
    return path.name in HANDLER_FILES or path.name.endswith(("_controllers.py", "_api.py"))


def _unit(module: str) -> str | None:
    """The package-level unit of a module; every domain's ``tables`` module is one floor below all services."""
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    if len(parts) >= 3 and parts[2] == "tables":
        return "tables"
    return ".".join(parts[:2])


def test_domain_services_form_no_import_cycle() -> None:
    """Between domain packages, services only import downwards (tables are a floor of their own: their foreign keys
    cross domains by nature); handlers, which sit beside their services, and composition are left out."""
    from graphlib import CycleError, TopologicalSorter

    graph: dict[str, set[str]] = {}
    for path in sorted(APP.rglob("*.py")):
        if "piccolo_migrations" in path.parts or _is_handler(path):
            continue
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")
        unit = _unit(module)
        if unit is None or unit.startswith(ABOVE_DOMAINS):
            continue
        for name in _imports(path):
            target = _unit(name)
            if target and target != unit and not target.startswith(ABOVE_DOMAINS):
                graph.setdefault(unit, set()).add(target)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle between domain services: {exc.args[1]}") from None
    assert order.index("app.events") < order.index("app.offers") < order.index("app.notifications")
