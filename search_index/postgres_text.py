"""Text matching for the PostgreSQL backend: the query's words, their typo and prefix derivations, and synonyms,
as ``tsquery`` text (with and without typos), following the contract's (Meilisearch's) rules.

Typo candidates come from the index's ``_terms`` table through its trigram index (``%`` for whole words, ``<%`` for
prefixes, thresholds low enough to keep every word within the allowed typos), then the exact rule decides:
optimal-string-alignment distance (a transposition is one typo), none below ``oneTypo`` letters, one from
``oneTypo``, two from ``twoTypos``, and a different first letter costs two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from search_index.analysis import (
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


async def derive(word: str, prefix: bool, budget: int, candidates: Candidates) -> Derivations:
    """Whole terms and prefixes matching ``word`` within ``budget`` typos."""
    out = Derivations()
    (out.exact_prefixes if prefix else out.exact_terms).add(word)
    if budget < 1:
        return out
    n = len(word)
    for term in await candidates(word, prefix, budget):
        if prefix:
            head = term[: n + budget]
            last = osa_rows(word, head)[-1]
            for size in range(max(1, n - budget), len(head) + 1):
                if 0 < last[size] and typo_cost(word, head, last[size]) <= budget:
                    out.typo_prefixes.add(head[:size])
                    break
                if last[size] == 0:
                    break  # an exact prefix: already matched
        elif term != word:
            distance = osa_rows(word, term)[-1][-1]
            if typo_cost(word, term, distance) <= budget:
                out.typo_terms.add(term)
    return out


@dataclass
class TextPlan(MatchPlan):
    """A MatchPlan whose expressions are tsquery text."""


async def build_plan(
    parsed: ParsedQuery,
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]],
    one_typo: int,
    two_typos: int,
    typos: bool,
    candidates: Candidates,
) -> TextPlan:
    """Every word (or a synonym of a span of one to three words) must match; the last word may be a prefix."""
    words = parsed.words
    n = len(words)
    derivations = []
    for i, word in enumerate(words):
        budget = typo_budget(word, one_typo, two_typos) if typos else 0
        derivations.append(await derive(word, parsed.last_is_prefix and i == n - 1, budget, candidates))

    def phrase(words_: tuple[str, ...]) -> str:
        return _lexeme(words_[0]) if len(words_) == 1 else "(" + " <-> ".join(_lexeme(w) for w in words_) + ")"

    def word_clause(i: int, with_typos: bool) -> str:
        d = derivations[i]
        terms = d.exact_terms | d.typo_terms if with_typos else d.exact_terms
        prefixes = _covering(d.exact_prefixes | d.typo_prefixes if with_typos else d.exact_prefixes)
        alts = [_lexeme(t) for t in sorted(terms) if not t.startswith(tuple(prefixes))]
        alts += [_lexeme(p) + ":*" for p in sorted(prefixes)]
        alts += [phrase(s) for s in synonyms.get((words[i],), [])]
        return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"

    def expression(with_typos: bool) -> str:
        memo: dict[int, str] = {}

        def rest(i: int) -> str:
            if i == n:
                return ""
            if i in memo:
                return memo[i]
            options = []
            for size in (1, 2, 3):
                if i + size > n:
                    break
                if size == 1:
                    head = word_clause(i, with_typos)
                else:
                    alts = synonyms.get(tuple(words[i : i + size]))
                    if not alts:
                        continue
                    head = "(" + " | ".join(phrase(s) for s in alts) + ")"
                tail = rest(i + size)
                options.append(f"{head} & {tail}" if tail else head)
            memo[i] = options[0] if len(options) == 1 else "(" + " | ".join(f"({o})" for o in options) + ")"
            return memo[i]

        return rest(0)

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
    return TextPlan(expression(True), expression(False), terms, prefixes, phrases)
