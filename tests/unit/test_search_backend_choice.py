"""Which search backend the settings select, and the refusals that name the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings
from search_index import create_backend
from search_index.backend import BackendChoiceError, choose_backend

PG = "postgresql://forest@db.example:5432/forestmatch"
SQLITE = "sqlite:////srv/forestmatch/var/forestmatch.db"


@pytest.mark.parametrize(
    ("meili_url", "database_url", "choice", "expected"),
    [
        ("http://meili:7700", PG, "", "meilisearch"),
        ("http://meili:7700", SQLITE, "", "meilisearch"),
        ("", PG, "", "postgresql"),
        ("", "postgres://forest@db/forestmatch", "", "postgresql"),
        ("", SQLITE, "", "embedded"),
        ("", "", "", "embedded"),
        ("http://meili:7700", PG, "postgresql", "postgresql"),
        ("", SQLITE, "embedded", "embedded"),
    ],
)
def test_the_backend_follows_the_settings(meili_url: str, database_url: str, choice: str, expected: str) -> None:
    assert choose_backend(meili_url=meili_url, database_url=database_url, choice=choice) == expected


@pytest.mark.parametrize(
    ("meili_url", "database_url", "choice", "named"),
    [
        ("", PG, "embedded", ("FORESTMATCH_DATABASE_URL", "FORESTMATCH_SEARCH_BACKEND", "SQLite")),
        ("", SQLITE, "postgresql", ("FORESTMATCH_SEARCH_BACKEND=postgresql", "FORESTMATCH_DATABASE_URL")),
        ("", PG, "meilisearch", ("FORESTMATCH_MEILI_URL",)),
        ("", PG, "elastic", ("FORESTMATCH_SEARCH_BACKEND='elastic'",)),
    ],
)
def test_combinations_that_cannot_work_are_refused(
    meili_url: str, database_url: str, choice: str, named: tuple[str, ...]
) -> None:
    with pytest.raises(BackendChoiceError) as refused:
        choose_backend(meili_url=meili_url, database_url=database_url, choice=choice)
    for words in named:
        assert words in str(refused.value)
    with pytest.raises(BackendChoiceError):
        create_backend(directory=Path("/nonexistent"), meili_url=meili_url, database_url=database_url, choice=choice)


def test_the_app_refuses_to_start_with_embedded_search_on_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORESTMATCH_DATABASE_URL", PG)
    monkeypatch.setenv("FORESTMATCH_SEARCH_BACKEND", "embedded")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "embedded search backend needs a SQLite database" in str(refused.value)
    assert "FORESTMATCH_DATABASE_URL" in str(refused.value)
    monkeypatch.setenv("FORESTMATCH_SEARCH_BACKEND", "")
    assert load_settings().search_backend == ""


def test_create_backend_builds_the_chosen_one(tmp_path: Path) -> None:
    from search_index.embedded import EmbeddedBackend
    from search_index.postgres import PostgresBackend

    assert isinstance(create_backend(directory=tmp_path, database_url=PG), PostgresBackend)
    assert isinstance(create_backend(directory=tmp_path, database_url=SQLITE), EmbeddedBackend)
    assert create_backend(directory=tmp_path, database_url=PG, prefix="site-b").name == "postgresql"
