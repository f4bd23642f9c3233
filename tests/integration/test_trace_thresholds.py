"""The checks read their limits from the settings (``FORESTMATCH_TRACE_*``): a lower limit flags a lot that passed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.imports.services import import_document
from app.settings import get_settings, load_settings
from app.traceability.deliveries import drc_warning
from app.traceability.services import lot_answer
from tests.integration.test_traceability_import import trace_doc


@pytest.fixture(name="trace_env")
def fx_trace_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set FORESTMATCH_TRACE_* variables in the test; the process's settings are read again before and after."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_a_lower_yield_limit_flags_a_lot_that_passed(clean_db: str, trace_env: pytest.MonkeyPatch) -> None:
    await import_document(trace_doc())
    before = await lot_answer("lot-1")
    assert [c.code for c in before.checks if c.code == "YIELD_IMPLAUSIBLE"] == []
    # p-2 is a 2.5 ha point that delivered 150 kg dry: 60 kg/ha, far below the documented 1,200 and 2,000.
    trace_env.setenv("FORESTMATCH_TRACE_YIELD_WARNING_KG_HA", "40")
    trace_env.setenv("FORESTMATCH_TRACE_YIELD_ERROR_KG_HA", "50")
    assert (load_settings().trace_yield_warning_kg_ha, load_settings().trace_yield_error_kg_ha) == (40.0, 50.0)
    get_settings.cache_clear()
    after = await lot_answer("lot-1")
    flagged = [(c.code, c.severity, c.ref) for c in after.checks if c.code == "YIELD_IMPLAUSIBLE"]
    assert flagged == [("YIELD_IMPLAUSIBLE", "error", "p-2")]
    assert after.eudr_ready is False
    check = next(c for c in after.checks if c.code == "YIELD_IMPLAUSIBLE")
    assert check.message == (
        f"The plot delivered 60 kg of dry rubber per hectare in the 365 days from {dict(check.params)['start']} "
        "(plausible: up to 50)."
    )


async def test_a_narrower_drc_range_flags_the_delivery(clean_db: str, trace_env: pytest.MonkeyPatch) -> None:
    await import_document(trace_doc())
    assert [c.code for c in (await lot_answer("lot-1")).checks if c.code == "DRC_OUT_OF_RANGE"] == []
    assert drc_warning("field_latex", 32) is None
    trace_env.setenv("FORESTMATCH_TRACE_DRC_FIELD_LATEX_MAX", "30")
    get_settings.cache_clear()
    after = await lot_answer("lot-1")
    assert [(c.code, c.ref) for c in after.checks if c.code == "DRC_OUT_OF_RANGE"] == [("DRC_OUT_OF_RANGE", "del-1")]
    assert drc_warning("field_latex", 32) == (
        "A DRC of 32 % is unusual for this form (usually 20-30 %). It is saved and flagged: check the reading."
    )
