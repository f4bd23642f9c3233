"""Maintain the gettext catalogues: ``python -m app.i18n.catalogs extract|update|check``.

Only the ``.po`` sources are committed; ``app.i18n`` compiles them when first loaded (see ``load_catalog``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from app.i18n import DOMAIN, LOCALE_DIR, SUPPORTED_LOCALES
from app.settings import PROJECT_ROOT

POT = LOCALE_DIR / f"{DOMAIN}.pot"
CFG = LOCALE_DIR.parent / "babel.cfg"
KEYWORDS = ["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "N_"]
#: Directories never scanned. Babel's default also skips every directory whose name starts with "_", which hid
#: templates/_macros/ (pagination, the form error summary) from the catalogues: name the skipped ones instead.
IGNORE_DIRS = ".* __pycache__"


def extract(output: Path = POT) -> None:
    """Write every translatable string of app/ and templates/ to ``output`` (the committed template by default)."""
    CommandLineInterface().run(
        [
            "pybabel",
            "extract",
            "-F",
            str(CFG),
            *KEYWORDS,
            f"--ignore-dirs={IGNORE_DIRS}",
            "--no-location",
            "--sort-output",
            "--omit-header",
            # Babel skips directories starting with "_" by default: templates/_macros holds user-facing text too.
            "--ignore-dirs",
            ".*",
            "-o",
            str(output),
            str(PROJECT_ROOT / "app"),
            str(PROJECT_ROOT / "templates"),
        ]
    )


def update() -> None:
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            continue
        po = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        command = "update" if po.exists() else "init"
        CommandLineInterface().run(
            ["pybabel", command, "-i", str(POT), "-d", str(LOCALE_DIR), "-l", locale, "-D", DOMAIN, "--no-wrap"]
            + (["--ignore-obsolete"] if command == "update" else [])
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"extract", "update"}:
        print("usage: python -m app.i18n.catalogs extract|update", file=sys.stderr)
        return 2
    {"extract": extract, "update": update}[argv[0]]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
