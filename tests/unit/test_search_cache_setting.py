"""FORESTMATCH_SEARCH_CACHE_ENTRIES: unset keeps the embedded backend's default cache, 0 turns it off."""

from __future__ import annotations

import pytest

from app.settings import load_settings


def test_unset_means_the_backend_default(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("FORESTMATCH_SEARCH_CACHE_ENTRIES", raising=False)
    monkeypatch.setenv("FORESTMATCH_VAR_DIR", str(tmp_path))
    assert load_settings().search_cache_entries is None


@pytest.mark.parametrize(("value", "entries"), [("0", 0), ("64", 64)])
def test_a_number_is_the_cache_size(monkeypatch: pytest.MonkeyPatch, tmp_path, value: str, entries: int) -> None:
    monkeypatch.setenv("FORESTMATCH_SEARCH_CACHE_ENTRIES", value)
    monkeypatch.setenv("FORESTMATCH_VAR_DIR", str(tmp_path))
    assert load_settings().search_cache_entries == entries
