"""Units, vocabulary and species matching: pure functions."""

from __future__ import annotations

import pytest

from app.units import UnitError, to_canonical
from app.vocab import CERT_CODE_RE, LICENSE_CODE_RE, fold, resolve_species, species_matches


def test_board_feet_convert_to_cubic_metres() -> None:
    assert to_canonical("timber", 423.776, "bf") == pytest.approx(1.0)
    assert to_canonical("timber", 12.5, "m3") == 12.5


def test_latex_converts_to_kg_dry_rubber() -> None:
    assert to_canonical("latex", 2, "t_drc") == 2000.0
    assert to_canonical("latex", 1000, "kg_latex", drc_percent=35) == pytest.approx(350.0)


def test_wet_latex_needs_drc_and_units_must_fit_category() -> None:
    with pytest.raises(UnitError):
        to_canonical("latex", 1000, "kg_latex")
    with pytest.raises(UnitError):
        to_canonical("timber", 10, "kg_drc")


@pytest.mark.parametrize(
    "code", ["SCS-FM/COC-004512", "NC-COC-012345", "CU-FM/COC-123456", "BV-COC-000123", "SGS-CW/FM-000042"]
)
def test_certificate_codes_accepted(code: str) -> None:
    assert CERT_CODE_RE.match(code)


@pytest.mark.parametrize("code", ["ABC123", "SCS-XX-004512", "SCS-FM/COC-4512", "scs-fm/coc-004512 "])
def test_malformed_certificate_codes_rejected(code: str) -> None:
    assert CERT_CODE_RE.match(code) is None


def test_licence_code() -> None:
    assert LICENSE_CODE_RE.match("FSC-C012345")
    assert LICENSE_CODE_RE.match("FSC-C12345") is None


def test_common_names_resolve_in_three_languages() -> None:
    assert resolve_species("caoba") == "Swietenia macrophylla"
    assert resolve_species("Mahogany") == "Swietenia macrophylla"
    assert resolve_species("mogno") == "Swietenia macrophylla"
    assert resolve_species("seringueira") == "Hevea brasiliensis"
    assert resolve_species("árbol de caucho") == "Hevea brasiliensis"


def test_species_match_by_genus_or_name() -> None:
    assert species_matches("Pinus", "Pinus durangensis")
    assert species_matches("hule", "Hevea brasiliensis")
    assert species_matches("caoba", "Swietenia macrophylla")
    assert not species_matches("Pinus", "Quercus sideroxyla")
    assert not species_matches("cedro", "Swietenia macrophylla")


def test_fold_removes_accents_and_case() -> None:
    assert fold("Ramón PUCTÉ") == "ramon pucte"


def test_microcache_forgets_everything_on_invalidate() -> None:
    from app.web import microcache

    microcache.put(("k",), "v")
    assert microcache.get(("k",)) == "v"
    microcache.invalidate()
    assert microcache.get(("k",)) is None
