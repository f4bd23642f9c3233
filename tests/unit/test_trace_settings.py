"""The traceability checks' limits as ``FORESTMATCH_TRACE_*`` settings: the documented defaults, the engine's
``Thresholds`` built from them, and values refused at startup with the variable named."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings
from app.traceability.model import Thresholds
from app.traceability.services import thresholds_from

TRACE_VARIABLES = (
    "DRC_FIELD_LATEX_MIN",
    "DRC_FIELD_LATEX_MAX",
    "DRC_CUP_LUMP_MIN",
    "DRC_CUP_LUMP_MAX",
    "YIELD_WARNING_KG_HA",
    "YIELD_ERROR_KG_HA",
    "MIN_TAPPING_AGE_YEARS",
    "POINT_MAX_HA",
    "AREA_TOLERANCE_PERCENT",
    "OVERLAP_PERCENT",
    "FAR_FROM_COLLECTOR_KM",
)


@pytest.fixture(name="env")
def fx_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No FORESTMATCH_TRACE_* variable set, whatever the shell running the tests has."""
    for name in TRACE_VARIABLES:
        monkeypatch.delenv("FORESTMATCH_TRACE_" + name, raising=False)
    return monkeypatch


def test_defaults_are_the_documented_limits(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert thresholds_from(settings) == Thresholds()
    assert thresholds_from(settings) == Thresholds(
        drc_field_latex=(20.0, 45.0),
        drc_cup_lump=(45.0, 80.0),
        yield_warning_kg_ha=1200.0,
        yield_error_kg_ha=2000.0,
        min_tapping_age_years=6,
        point_max_ha=4.0,
        area_tolerance=0.10,
        overlap_share=0.05,
        far_from_collector_km=150.0,
    )


def test_each_variable_sets_its_limit(env: pytest.MonkeyPatch) -> None:
    values = {
        "DRC_FIELD_LATEX_MIN": "18",
        "DRC_FIELD_LATEX_MAX": "50.5",
        "DRC_CUP_LUMP_MIN": "40",
        "DRC_CUP_LUMP_MAX": "85",
        "YIELD_WARNING_KG_HA": "1000",
        "YIELD_ERROR_KG_HA": "1800",
        "MIN_TAPPING_AGE_YEARS": "5",
        "POINT_MAX_HA": "2.5",
        "AREA_TOLERANCE_PERCENT": "20",
        "OVERLAP_PERCENT": "1",
        "FAR_FROM_COLLECTOR_KM": " 90 ",
    }
    for name, value in values.items():
        env.setenv("FORESTMATCH_TRACE_" + name, value)
    assert thresholds_from(load_settings()) == Thresholds(
        drc_field_latex=(18.0, 50.5),
        drc_cup_lump=(40.0, 85.0),
        yield_warning_kg_ha=1000.0,
        yield_error_kg_ha=1800.0,
        min_tapping_age_years=5,
        point_max_ha=2.5,
        area_tolerance=0.20,
        overlap_share=0.01,
        far_from_collector_km=90.0,
    )


def test_an_empty_variable_keeps_the_default(env: pytest.MonkeyPatch) -> None:
    env.setenv("FORESTMATCH_TRACE_YIELD_ERROR_KG_HA", "")
    assert load_settings().trace_yield_error_kg_ha == 2000.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"YIELD_ERROR_KG_HA": "2,000"}, "FORESTMATCH_TRACE_YIELD_ERROR_KG_HA='2,000' is not a number."),
        ({"POINT_MAX_HA": "nan"}, "FORESTMATCH_TRACE_POINT_MAX_HA='nan': give a number of at least 0."),
        ({"FAR_FROM_COLLECTOR_KM": "-1"}, "FORESTMATCH_TRACE_FAR_FROM_COLLECTOR_KM='-1': give a number of at least 0."),
        (
            {"DRC_CUP_LUMP_MAX": "120"},
            "FORESTMATCH_TRACE_DRC_CUP_LUMP_MAX='120': give a number of at least 0 and at most 100.",
        ),
        (
            {"OVERLAP_PERCENT": "150"},
            "FORESTMATCH_TRACE_OVERLAP_PERCENT='150': give a number of at least 0 and at most 100.",
        ),
        ({"MIN_TAPPING_AGE_YEARS": "6.5"}, "FORESTMATCH_TRACE_MIN_TAPPING_AGE_YEARS='6.5' is not a whole number."),
        (
            {"DRC_FIELD_LATEX_MIN": "50"},
            "FORESTMATCH_TRACE_DRC_FIELD_LATEX_MIN (50) is above FORESTMATCH_TRACE_DRC_FIELD_LATEX_MAX (45): "
            "the first must not be larger than the second.",
        ),
        (
            {"YIELD_WARNING_KG_HA": "2500"},
            "FORESTMATCH_TRACE_YIELD_WARNING_KG_HA (2500) is above FORESTMATCH_TRACE_YIELD_ERROR_KG_HA (2000): "
            "the first must not be larger than the second.",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    env: pytest.MonkeyPatch, values: dict[str, str], message: str
) -> None:
    for name, value in values.items():
        env.setenv("FORESTMATCH_TRACE_" + name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == message
