"""Settings files and the embedded backend's text analysis (pure functions)."""

from __future__ import annotations

import pytest

from search_index import load_index_settings
from search_index.analysis import (
    Vocabulary,
    build_match,
    fold,
    mark_matches,
    parse_query,
    safe_highlight,
    typo_budget,
)
from search_index.index_settings import parse_settings
from search_index.synonyms import species_synonyms


def test_offers_settings_match_the_documented_fields() -> None:
    settings = load_index_settings("offers")
    assert settings.searchable == (
        "title",
        "species_names",
        "product_type_labels",
        "organization_name",
        "region_names",
        "locality",
        "country_names",
        "description",
    )
    assert settings.tie_breakers == (("created_at", True),)
    assert settings.place_columns == ("c4", "c5")
    assert settings.filterable == {
        "category",
        "product_type",
        "claim",
        "status",
        "country",
        "region",
        "certificate_status",
        "certificate_verified",
        "certificate_covers",
        "certificate_expires_on",
        "available_from",
        "available_to",
        "quantity_canonical",
        "organization_ref",
        "species",
        "species_keys",
        "min_order_canonical",
        "updated_at",
        "traceable",
        "eudr_ready",
        "_geo",
    }
    assert settings.sortable == {"quantity_canonical", "created_at", "certificate_expires_on", "_geo"}
    assert (settings.one_typo, settings.two_typos) == (5, 9)


def test_synonyms_in_the_settings_file_are_generated_from_the_vocabulary() -> None:
    # After editing app.vocab.SPECIES run: python -m search_index.synonyms
    assert load_index_settings("offers").raw["synonyms"] == species_synonyms()


def test_species_synonyms() -> None:
    synonyms = species_synonyms()
    assert set(synonyms["caoba"]) == {"mahogany", "big leaf mahogany", "mogno", "swietenia macrophylla", "swietenia"}
    assert {"hule", "seringueira", "hevea brasiliensis"} <= set(synonyms["hevea"])
    assert "hevea" in synonyms["seringueira"]
    assert "pinus" not in synonyms["pino real"]  # several pines: the genus is a one-way synonym
    assert "pino real" in synonyms["pinus"]
    assert "ramon" in synonyms["breadnut"]  # stored folded


def test_unknown_index_settings() -> None:
    with pytest.raises(ValueError):
        load_index_settings("nope")
    with pytest.raises(ValueError):
        load_index_settings("../offers")


def test_fold_and_query_parsing() -> None:
    assert fold("Pucté RAMÓN São Ñandú") == "pucte ramon sao nandu"
    assert parse_query("Tablas de cao") == parse_query("tablas  DE cao")
    assert parse_query("Tablas de cao").last_is_prefix is True
    assert parse_query("tablas de cao ").last_is_prefix is False
    assert parse_query("caoba!").last_is_prefix is False
    assert len(parse_query(" ".join(f"w{i}" for i in range(12))).words) == 10


@pytest.mark.parametrize(("word", "budget"), [("pino", 0), ("caoba", 1), ("mahogany", 1), ("seringueira", 2)])
def test_typo_budget(word: str, budget: int) -> None:
    assert typo_budget(word, 5, 9) == budget


def test_vocabulary_derivations_follow_meilisearch_rules() -> None:
    vocab = Vocabulary()
    vocab.add(["mahogany", "caoba", "seringueira", "tablas", "caobas"], 5)
    assert vocab.derive("mahgany", False, 1).typo_terms == {"mahogany"}
    assert vocab.derive("ahogany", False, 1).typo_terms == set()  # first letter: two typos
    assert vocab.derive("ahogany", False, 2).typo_terms == {"mahogany"}
    assert vocab.derive("serinqueyra", False, 2).typo_terms == {"seringueira"}
    assert vocab.derive("caova", False, 1).typo_terms == {"caoba"}
    assert vocab.derive("caov", True, 0).typo_prefixes == set()
    assert vocab.derive("caova", True, 1).typo_prefixes == {"caoba"}
    assert vocab.derive("tabls", True, 1).typo_prefixes == {"tabl", "tabla", "tablas"}
    assert vocab.derive("ahogany", False, 2).two_typo_terms == {"mahogany"}
    assert vocab.derive("serinqueyra", False, 2).two_typo_terms == {"seringueira"}
    assert vocab.derive("mahgany", False, 2).two_typo_terms == set()


def test_match_plan_ranking_sets() -> None:
    """What each ranking bucket tests: typos paid per word (one or two), neighbouring words together, the last word
    matched only as a prefix, stop words optional and counted in place columns only."""
    vocab = Vocabulary()
    vocab.add(["caoba", "carvalho", "seringueira", "mahogany", "hule", "para", "quintana", "roo"], 8)
    plan = build_match(parse_query("caova"), vocab, {}, 5, 9, place_columns=("c4",))
    assert plan.expression == '("caoba"* OR "caova"* OR "carva"*)'
    assert plan.typo_sets == [('("caoba"* OR "carva"*) NOT "caova"*', 1)]
    # "caoba" is a whole indexed word one typo away: only "carva" (of "carvalho") matches as a mere prefix.
    assert plan.loose_last == '("caoba"* OR "caova"* OR "carva"*) NOT ("caoba" OR "caova")'
    assert (plan.optional, plan.pairs) == ([], [])
    plan = build_match(parse_query("serinqueyra mahgany "), vocab, {}, 5, 9, place_columns=("c4",))
    assert plan.typo_sets == [('"seringueira" NOT "serinqueyra"', 2), ('"mahogany" NOT "mahgany"', 1)]
    assert plan.loose_last is None
    plan = build_match(parse_query("hule para"), vocab, {}, 5, 9, place_columns=("c4", "c5"))
    assert plan.expression == '"hule"'
    assert plan.optional == ['{c4 c5} : ("para"*)']
    assert plan.highlight_terms == {"hule"} and plan.highlight_prefixes == set()
    plan = build_match(parse_query("para"), vocab, {}, 5, 9, place_columns=("c4",))
    assert (plan.expression, plan.optional) == ('"para"*', [])  # stop words alone are looked for
    plan = build_match(parse_query("quintana de roo "), vocab, {}, 5, 9, place_columns=("c4",))
    assert plan.expression == '"quintana" AND "roo"'
    assert plan.pairs == ['NEAR("quintana" "roo", 1)']


def test_highlight_marks_prefix_part_and_escapes() -> None:
    assert safe_highlight(mark_matches("Caobas & <i>caoba</i>", {"caoba"}, {"cao"})) == (
        "<mark>Cao</mark>bas &amp; &lt;i&gt;<mark>caoba</mark>&lt;/i&gt;"
    )
    assert safe_highlight(mark_matches("Pucté", {"pucte"}, set())) == "<mark>Pucté</mark>"


def test_highlight_marks_a_phrase_synonym_only_where_it_stands_whole() -> None:
    phrases = {("arbol", "de", "caucho"), ("para", "rubber")}
    text = "Hule de árbol y caucho para llantas; Árbol de Caucho joven"
    assert safe_highlight(mark_matches(text, {"hule"}, set(), phrases)) == (
        "<mark>Hule</mark> de árbol y caucho para llantas; <mark>Árbol</mark> de <mark>Caucho</mark> joven"
    )


def test_function_words_are_never_marked() -> None:
    """Both backends' marks pass here (Meilisearch marks a query's "de" wherever it stands)."""
    de, pino, madera = "\ue000de\ue001", "\ue000pino\ue001", "\ue000Madera\ue001"
    assert safe_highlight(f"{madera} {de} {pino} y tablas {de} encino") == (
        "<mark>Madera</mark> de <mark>pino</mark> y tablas de encino"
    )
    assert safe_highlight("\ue000De\ue001 primera, \ue000Pará\ue001") == "De primera, <mark>Pará</mark>"


def test_custom_ranking_rules_are_tie_breakers_on_sortable_attributes() -> None:
    raw = {"searchableAttributes": ["title"], "sortableAttributes": ["created_at"]}
    settings = parse_settings("x", {**raw, "rankingRules": ["words", "typo", "created_at:desc", "created_at:asc"]})
    assert settings.tie_breakers == (("created_at", True), ("created_at", False))
    with pytest.raises(ValueError, match="sortable"):
        parse_settings("x", {**raw, "rankingRules": ["words", "title:desc"]})
