"""An import of our own code inside a function hides an arrow of the import graph: each one that is left says why
in a comment just above its import block (an import cycle, or a command that loads only what it needs)."""

from __future__ import annotations

import ast
from pathlib import Path

import app

APP = Path(app.__file__).parent


def unexplained(source: str) -> list[int]:
    """Line numbers of function-level ``app`` imports with no comment above their block of imports."""
    lines = source.split("\n")
    found: list[int] = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Import | ast.ImportFrom) or getattr(node, "level", 0):
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if not any(n == "app" or n.startswith("app.") for n in names):
                continue
            above = node.lineno - 2
            while (
                above >= 0
                and lines[above].strip().startswith(("from ", "import ", ")"))
                or (above >= 0 and lines[above].startswith(" " * (node.col_offset + 4)))
            ):
                above -= 1  # the rest of the import block (and the wrapped lines of a parenthesised import)
            if above < 0 or not lines[above].strip().startswith("#"):
                found.append(node.lineno)
    return found


def test_the_check_sees_an_unexplained_import() -> None:
    source = (
        "def f():\n"
        "    from app.offers import services\n"
        "\n"
        "def g():\n"
        "    # Imported here: app.offers imports this module at load.\n"
        "    import json\n"
        "    from app.offers import services\n"
        "    from app.sourcing.services import (\n"
        "        check_request,\n"
        "    )\n"
    )
    assert unexplained(source) == [2]


def test_every_function_level_import_of_our_code_says_why() -> None:
    modules = [p for p in sorted(APP.rglob("*.py")) if "piccolo_migrations" not in p.parts]
    assert len(modules) > 100
    missing = {
        str(p.relative_to(APP.parent)): lines for p in modules if (lines := unexplained(p.read_text(encoding="utf-8")))
    }
    assert missing == {}
