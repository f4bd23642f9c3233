"""Text matching for the PostgreSQL backend: the query's words, their typo and prefix derivations, and synonyms,
as ``tsquery`` text (with and without typos), following the contract's (Meilisearch's) rules.

Typo candidates come from the index's ``_terms`` table through its trigram index (``%`` for whole words, ``<%`` for
prefixes, thresholds low enough to keep every word within the allowed typos), then the exact rule decides:
optimal-string-alignment distance (a transposition is one typo), none below ``oneTypo`` letters, one from
``oneTypo``, two from ``twoTypos``, and a different first letter costs two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from search_index.analysis import (
    MAX_PAIR_COMBINATIONS,
    Derivations,
    MatchPlan,
    ParsedQuery,
    _covering,
    osa_rows,
    typo_budget,
)

#: Trigram thresholds for typo candidates (set on every connection; the exact rule is applied afterwards).
#: Two typos in a 9-letter word leave at least 4 of its 10 trigrams shared (similarity >= 0.25).
SIMILARITY_THRESHOLD = 0.2
WORD_SIMILARITY_THRESHOLD = 0.25

Candidates = Callable[[str, bool, int], Awaitable[list[str]]]


def _lexeme(word: str) -> str:
    # Words are runs of letters and digits (analysis.TOKEN_RE), so they never hold quotes or operators.
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"


def typo_cost(word: str, candidate: str, distance: int) -> int:
    """Typos Meilisearch counts for a derivation at this edit distance (a different first letter costs two)."""
    if candidate[:1] == word[:1]:
        return distance
    return 2 if distance == 1 else 99


async def derive(
    word: str, prefix: bool, budget: int, candidates: Candidates, whole: set[str] | None = None
) -> Derivations:
    """Whole terms and prefixes matching ``word`` within ``budget`` typos (those costing two also in the
    ``two_typo_*`` sets); ``whole`` receives the typo prefixes that are indexed words themselves."""
    out = Derivations()
    (out.exact_prefixes if prefix else out.exact_terms).add(word)
    if budget < 1:
        return out
    n = len(word)
    found = await candidates(word, prefix, budget)
    costs: dict[str, int] = {}
    for term in found:
        if prefix:
            head = term[: n + budget]
            last = osa_rows(word, head)[-1]
            for size in range(max(1, n - budget), len(head) + 1):
                cost = typo_cost(word, head, last[size]) if last[size] else 0
                if 0 < last[size] and cost <= budget:
                    key = head[:size]
                    costs[key] = min(cost, costs.get(key, cost))
                    break
                if last[size] == 0:
                    break  # an exact prefix: already matched
        elif term != word:
            distance = osa_rows(word, term)[-1][-1]
            cost = typo_cost(word, term, distance)
            if cost <= budget:
                costs[term] = cost
    for key, cost in costs.items():
        (out.typo_prefixes if prefix else out.typo_terms).add(key)
        if cost == 2:
            (out.two_typo_prefixes if prefix else out.two_typo_terms).add(key)
    if prefix and whole is not None:
        whole.update(p for p in out.typo_prefixes if p in found)
    return out


@dataclass
class TextPlan(MatchPlan):
    """A MatchPlan whose expressions are tsquery text (``typo_sets``, ``pairs`` and ``loose_last`` too, as the
    embedded backend's buckets: see ``analysis.MatchPlan``), plus what the attribute rule tests: every term, prefix
    and phrase of the query, to be restricted to one tsvector weight (``attribute_query``)."""

    #: Per query word, what matches it: (term, is a prefix) or a phrase (words joined by spaces).
    atoms: list[list[tuple[str, bool]]] = field(default_factory=list)

    def attribute_query(self, word: int, letters: str) -> str:
        """tsquery text: query word ``word`` in the attributes of weight ``letters`` ("A", "BCD"...)."""
        out = []
        for text, prefix in self.atoms[word]:
            if prefix:
                out.append(f"{_lexeme(text)}:*{letters}")
            elif " " in text:
                out.append("(" + " <-> ".join(f"{_lexeme(w)}:{letters}" for w in text.split(" ")) + ")")
            else:
                out.append(f"{_lexeme(text)}:{letters}")
        return " | ".join(out)


def _any(alts: list[str]) -> str:
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def _alternatives(terms: set[str], prefixes: set[str]) -> list[str]:
    covering = _covering(prefixes)
    alts = [_lexeme(t) for t in sorted(terms) if not t.startswith(tuple(covering))]
    return alts + [_lexeme(p) + ":*" for p in sorted(covering)]


def _phrase(words: tuple[str, ...]) -> str:
    return _lexeme(words[0]) if len(words) == 1 else "(" + " <-> ".join(_lexeme(w) for w in words) + ")"


async def build_plan(
    parsed: ParsedQuery,
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]],
    one_typo: int,
    two_typos: int,
    typos: bool,
    candidates: Candidates,
) -> TextPlan:
    """Every word (or a synonym of a span of one to three words) must match; the last word may be a prefix.

    The ranking sets follow ``analysis.build_match`` (the embedded backend's FTS5 expressions) in tsquery syntax;
    every query word is required here (Meilisearch's rule), so proximity pairs are neighbouring query words."""
    words = parsed.words
    n = len(words)
    derivations = []
    whole_prefixes: set[str] = set()
    for i, word in enumerate(words):
        budget = typo_budget(word, one_typo, two_typos) if typos else 0
        last = parsed.last_is_prefix and i == n - 1
        derivations.append(await derive(word, last, budget, candidates, whole_prefixes if last else None))

    def spans(size: int, i: int) -> list[tuple[str, ...]]:
        return synonyms.get(tuple(words[i : i + size]), []) if size > 1 and i + size <= n else []

    def options(i: int, with_typos: bool) -> list[str]:
        d = derivations[i]
        terms = d.exact_terms | d.typo_terms if with_typos else d.exact_terms
        prefixes = d.exact_prefixes | d.typo_prefixes if with_typos else d.exact_prefixes
        return _alternatives(terms, prefixes)

    def word_clause(i: int, with_typos: bool) -> str:
        return _any(options(i, with_typos) + [_phrase(s) for s in synonyms.get((words[i],), [])])

    def expression(with_typos: bool) -> str:
        memo: dict[int, str] = {}

        def rest(i: int) -> str:
            if i == n:
                return ""
            if i in memo:
                return memo[i]
            choices = []
            for size in (1, 2, 3):
                if i + size > n:
                    break
                if size == 1:
                    head = word_clause(i, with_typos)
                else:
                    alts = spans(size, i)
                    if not alts:
                        continue
                    head = "(" + " | ".join(_phrase(s) for s in alts) + ")"
                tail = rest(i + size)
                choices.append(f"{head} & {tail}" if tail else head)
            memo[i] = choices[0] if len(choices) == 1 else "(" + " | ".join(f"({o})" for o in choices) + ")"
            return memo[i]

        return rest(0)

    def covering_spans(i: int) -> list[str]:
        """Multi-word synonyms matched on a span that includes word ``i`` (they satisfy it without typos)."""
        out = []
        for size in (2, 3):
            for start in range(max(0, i - size + 1), i + 1):
                out += [_phrase(s) for s in spans(size, start)]
        return out

    typo_sets: list[tuple[str, int]] = []
    for i, d in enumerate(derivations):
        if not (d.typo_terms or d.typo_prefixes):
            continue
        paid = [word_clause(i, False), *covering_spans(i)]
        one = _alternatives(d.typo_terms - d.two_typo_terms, d.typo_prefixes - d.two_typo_prefixes)
        two = _alternatives(d.two_typo_terms, d.two_typo_prefixes)
        if one:
            typo_sets.append((f"{_any(one)} & !{_any(paid)}", 1))
            paid += one
        if two:
            typo_sets.append((f"{_any(two)} & !{_any(paid)}", 2))

    pairs = []
    for a in range(n - 1):
        left, right = options(a, True), options(a + 1, True)
        if len(left) * len(right) > MAX_PAIR_COMBINATIONS:
            left, right = options(a, False), options(a + 1, False)
        near = [f"({x} <-> {y})" for x in left for y in right]
        near += [f"({y} <-> {x})" for x in left for y in right]
        if near and len(near) <= 2 * MAX_PAIR_COMBINATIONS:
            pairs.append(_any(near))

    loose_last = None
    last_word = n - 1
    if parsed.last_is_prefix:
        d = derivations[last_word]
        whole = [_lexeme(t) for t in sorted({words[last_word]} | whole_prefixes)]
        whole += [_phrase(s) for s in synonyms.get((words[last_word],), [])]
        whole += covering_spans(last_word)
        loose = _alternatives(set(), d.exact_prefixes | d.typo_prefixes)
        loose_last = f"{_any(loose)} & !{_any(whole)}"

    terms: set[str] = set()
    prefixes: set[str] = set()
    phrases: set[tuple[str, ...]] = set()
    for i, d in enumerate(derivations):
        terms |= d.exact_terms | d.typo_terms
        prefixes |= d.exact_prefixes | d.typo_prefixes
        for size in (1, 2, 3):
            for alt in synonyms.get(tuple(words[i : i + size]), []) if i + size <= n else []:
                if len(alt) == 1:
                    terms.add(alt[0])
                else:
                    phrases.add(alt)
    atoms = []
    for i, d in enumerate(derivations):
        covering = _covering(d.exact_prefixes | d.typo_prefixes)
        atoms.append(
            [(t, False) for t in sorted(d.exact_terms | d.typo_terms) if not t.startswith(tuple(covering))]
            + [(p, True) for p in sorted(covering)]
            + [(" ".join(s), False) for s in synonyms.get((words[i],), [])]
        )
    return TextPlan(
        expression(True),
        expression(False),
        terms,
        prefixes,
        phrases,
        typo_sets=typo_sets,
        pairs=pairs,
        loose_last=loose_last,
        atoms=atoms,
    )
