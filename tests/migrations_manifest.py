"""The manifest of committed migrations: a sha256 per migration file, so an edit to one that landed fails the tests.

A committed migration may already have run on a deployed database; editing it changes nothing there and makes a
fresh database differ from an upgraded one. A fix is a new migration. Hashes are taken with line endings normalised
to LF, so a checkout with CRLF endings agrees with the manifest.

From the repository root, after adding a migration with ``piccolo migrations new``::

    python -m tests.migrations_manifest --add

appends the new files to ``tests/migrations.sha256``; it never rewrites a line already there.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path(__file__).resolve().parent / "migrations.sha256"
#: The one command that records new migrations (shown in test failures).
ADD_COMMAND = "python -m tests.migrations_manifest --add"
HEADER = (
    "# sha256 of each committed migration, line endings normalised to LF"
    " (checked by tests/unit/test_migrations_manifest.py).\n"
    "# Never change a line: a committed migration is never edited, a fix is a new migration.\n"
    f"# Record new migrations with: {ADD_COMMAND}\n"
)


def migration_files(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``, with ``/``) of every migration module under ``app/*/piccolo_migrations/``."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.glob("app/*/piccolo_migrations/*.py")
        if path.name != "__init__.py"
    )


def digest(path: Path) -> str:
    """sha256 of the file's bytes with CRLF and CR line endings turned into LF."""
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(data).hexdigest()


def read_manifest(manifest: Path = MANIFEST) -> dict[str, str]:
    """Relative path -> recorded sha256 (``sha256sum`` format: hash, two spaces, path; ``#`` starts a comment)."""
    recorded: dict[str, str] = {}
    if not manifest.exists():
        return recorded
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sha, name = line.split(maxsplit=1)
            recorded[name.strip()] = sha
    return recorded


def changed(root: Path = ROOT, manifest: Path = MANIFEST) -> list[str]:
    """Listed migrations whose content differs from the manifest, or that are gone."""
    return [
        name
        for name, sha in read_manifest(manifest).items()
        if not (root / name).is_file() or digest(root / name) != sha
    ]


def unlisted(root: Path = ROOT, manifest: Path = MANIFEST) -> list[str]:
    """Migration files the manifest does not list yet."""
    recorded = read_manifest(manifest)
    return [name for name in migration_files(root) if name not in recorded]


def add_new(root: Path = ROOT, manifest: Path = MANIFEST) -> list[str]:
    """Append the unlisted migrations to the manifest (creating it if needed); returns what was added."""
    new = unlisted(root, manifest)
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else HEADER
    if text and not text.endswith("\n"):
        text += "\n"
    text += "".join(f"{digest(root / name)}  {name}\n" for name in new)
    manifest.write_text(text, encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.migrations_manifest", description=__doc__.splitlines()[0])
    parser.add_argument("--add", action="store_true", help="record migrations the manifest does not list yet")
    args = parser.parse_args(argv)
    if args.add:
        added = add_new()
        print("\n".join(f"added {name}" for name in added) or "nothing to add")
    edited = changed()
    for name in edited:
        print(f"CHANGED after it was committed: {name} (restore it; put the fix in a new migration)")
    missing = unlisted()
    for name in missing:
        print(f"not in {MANIFEST.relative_to(ROOT).as_posix()}: {name} (record it with: {ADD_COMMAND})")
    return 1 if edited or missing else 0


if __name__ == "__main__":
    sys.exit(main())
