"""``app/web`` holds only plumbing: no module in it imports a domain's HTTP handlers (``app.<domain>.controllers``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import app.web

WEB = Path(app.web.__file__).parent
CONTROLLERS = re.compile(r"app\.[a-z_]+\.controllers")


def controller_imports(source: str) -> list[str]:
    """The ``app.<domain>.controllers`` modules a piece of Python imports, in every import form."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if CONTROLLERS.fullmatch(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if CONTROLLERS.fullmatch(node.module):
                found.append(node.module)
                continue
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if CONTROLLERS.fullmatch(f"{node.module}.{alias.name}")
            ]
    return found


def test_the_check_sees_every_import_form() -> None:
    source = (
        "import app.offers.controllers\n"
        "from app.sourcing.controllers import read_request_form\n"
        "from app.certificates import controllers as certificate_pages\n"
        "from app.offers import services\n"
        "from app.web.forms import read_form\n"
    )
    assert controller_imports(source) == [
        "app.offers.controllers",
        "app.sourcing.controllers",
        "app.certificates.controllers",
    ]


def test_no_web_module_imports_a_domain_controller() -> None:
    modules = sorted(WEB.glob("*.py"))
    assert len(modules) > 10
    offenders = {
        path.name: imported for path in modules if (imported := controller_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
