"""Committed migrations are never edited: each one's sha256 is recorded in ``tests/migrations.sha256``.

A failure here names the file. An edited migration: restore it (``git checkout main -- <file>``) and put the change
in a new migration. A new migration: record it with ``python -m tests.migrations_manifest --add``.
"""

from __future__ import annotations

from pathlib import Path

from tests.migrations_manifest import ADD_COMMAND, MANIFEST, add_new, changed, digest, migration_files, unlisted


def test_no_committed_migration_was_edited_or_removed() -> None:
    edited = changed()
    assert not edited, (
        f"committed migrations differ from {MANIFEST.name}: {', '.join(edited)}. A committed migration is never "
        "edited (it may already have run on a deployed database): restore it and write a new migration instead."
    )


def test_every_migration_is_in_the_manifest() -> None:
    missing = unlisted()
    assert not missing, f"migrations not in {MANIFEST.name}: {', '.join(missing)}. Record them with: {ADD_COMMAND}"


def test_the_manifest_lists_the_migrations_piccolo_runs() -> None:
    assert len(migration_files()) >= 19  # the glob finds the migration modules (a typo would find none)
    assert all(name.startswith("app/") and "/piccolo_migrations/" in name for name in migration_files())


def _project(tmp_path: Path, files: dict[str, bytes]) -> tuple[Path, Path]:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (tmp_path / "tests").mkdir(exist_ok=True)
    return tmp_path, tmp_path / "tests" / "migrations.sha256"


def test_an_edit_is_named_and_line_endings_are_not_an_edit(tmp_path: Path) -> None:
    first = "app/offers/piccolo_migrations/offers_2026_01_01t00_00_00_000000.py"
    second = "app/sourcing/piccolo_migrations/sourcing_2026_01_01t00_00_00_000000.py"
    root, manifest = _project(
        tmp_path,
        {
            first: b"ID = 'a'\n\nasync def forwards():\n    pass\n",
            second: b"ID = 'b'\n",
            "app/offers/piccolo_migrations/__init__.py": b"",
        },
    )
    assert unlisted(root, manifest) == [first, second]
    assert add_new(root, manifest) == [first, second]
    assert (unlisted(root, manifest), changed(root, manifest)) == ([], [])
    assert add_new(root, manifest) == []  # recording again adds nothing and rewrites no line

    (root / first).write_bytes(b"ID = 'a'\r\n\r\nasync def forwards():\r\n    pass\r\n")  # a Windows checkout
    assert changed(root, manifest) == []
    (root / first).write_bytes(b"ID = 'a'\n\nasync def forwards():\n    return None\n")
    assert changed(root, manifest) == [first]
    (root / second).unlink()
    assert changed(root, manifest) == [first, second]


def test_a_new_migration_is_reported_until_recorded(tmp_path: Path) -> None:
    old = "app/offers/piccolo_migrations/offers_2026_01_01t00_00_00_000000.py"
    new = "app/offers/piccolo_migrations/offers_2026_02_01t00_00_00_000000.py"
    root, manifest = _project(tmp_path, {old: b"ID = 'a'\n"})
    add_new(root, manifest)
    before = manifest.read_text()
    _project(tmp_path, {new: b"ID = 'b'\n"})
    assert unlisted(root, manifest) == [new]
    add_new(root, manifest)
    assert manifest.read_text() == before + f"{digest(root / new)}  {new}\n"
    assert (unlisted(root, manifest), changed(root, manifest)) == ([], [])
