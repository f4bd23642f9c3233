"""Domain services never call into notifications: they record events, and the alerts subscriber tells people.

Page and API handlers (``controllers.py``, ``api.py``) sit above the domains and may use notifications (a thread that
is opened marks its notifications read); notifications use no handler; the events layer knows no domain.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
#: Domains that come before notifications in the direction of imports (docs/architecture.md).
BELOW_NOTIFICATIONS = ("accounts", "certificates", "offers", "sourcing", "matching", "messaging", "indexing", "search")
HANDLERS = ("controllers.py", "api.py")
#: The wiring create_app and the worker command call: it subscribes notifications to the outbox.
WIRING = "indexing/runtime.py"


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
        if path.name not in HANDLERS and str(path.relative_to(APP)) != WIRING
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
