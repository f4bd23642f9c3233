"""Text analysis for the embedded backend, written to behave like Meilisearch's defaults.

- Folding: NFC, Latin diacritics removed, lower case (the FTS5 ``unicode61 remove_diacritics 2`` tokenizer folds the
  same way, so the vocabulary kept in Python and the FTS index agree).
- Typos (Meilisearch's rules): none below ``one_typo`` letters, one from ``one_typo``, two from ``two_typos``; a
  derivation whose first letter differs from the query word's costs two typos; transpositions count as one.
- The last query word is a prefix unless the text ends with a separator; typo-tolerant prefixes as well.
- Synonyms are matched exactly on one- to three-word spans of the query.
- Stop words (short function words of es/en/pt, ``STOP_WORDS``) in a query with other words are optional: they
  never decide what matches, and count for ranking (Meilisearch's "words" rule) only where they stand in a place
  name ("hule para" ranks offers from Pará first; "madera para construcción" is "madera construcción").
- Ranking buckets (see ``MatchPlan``): optional words missing, typos, proximity, attribute, exactness; then bm25.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

TOKEN_RE = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 10
#: Marks around matches inside highlighted text before it is escaped (private-use characters, never in the output).
PRE, POST = "\ue000", "\ue001"
#: Short function words of the three languages. In a query with other words they are optional (see the module
#: docstring); highlighted alone they would light up every title ("Tablas de caoba"), so they are never marked
#: except inside a matched multi-word name ("árbol de caucho", a synonym of "hule").
STOP_WORDS = frozenset(
    "a al an and as at by com con da das de del do dos e el em en for in la las los na nas no nos o of on or os "
    "para por the to u un una uns y".split()
)
HIGHLIGHT_STOP_WORDS = STOP_WORDS
#: Typo and prefix alternatives of the words of two neighbouring query words, above which proximity is measured on
#: the words as typed (their exact derivations) only.
MAX_PAIR_COMBINATIONS = 16


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for start, end in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for cp in range(start, end):
            decomposed = unicodedata.normalize("NFKD", chr(cp))
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            if base and base != chr(cp):
                table[cp] = base
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without Latin diacritics ("Pucté" -> "pucte")."""
    if text.isascii():  # nothing to compose or fold (the table starts at U+00C0): a third of the time
        return text.lower()
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


def tokens(text: str) -> list[str]:
    """Folded words of a text, split like the FTS5 unicode61 tokenizer splits."""
    return TOKEN_RE.findall(fold(text))


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[str, ...]
    last_is_prefix: bool


def parse_query(text: str) -> ParsedQuery:
    """The first ten words of the query; the last is a prefix unless the text ends with a separator."""
    folded = fold(text)
    words = tuple(TOKEN_RE.findall(folded)[:MAX_QUERY_WORDS])
    trailing = bool(folded) and bool(TOKEN_RE.match(folded[-1]))
    return ParsedQuery(words, bool(words) and trailing and len(TOKEN_RE.findall(folded)) <= MAX_QUERY_WORDS)


def typo_budget(word: str, one_typo: int, two_typos: int) -> int:
    """Typos allowed for a query word of this length."""
    return 2 if len(word) >= two_typos else 1 if len(word) >= one_typo else 0


def edits1(word: str, alphabet: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    out |= {a + c + b for a, b in splits for c in alphabet}
    out.discard(word)
    return out


def osa_rows(query: str, term: str) -> list[list[int]]:
    """Optimal-string-alignment (Damerau) DP table; row i, column j = distance(query[:i], term[:j])."""
    rows = [list(range(len(term) + 1))]
    for i in range(1, len(query) + 1):
        row = [i] + [0] * len(term)
        qc = query[i - 1]
        prev = rows[-1]
        for j in range(1, len(term) + 1):
            cost = 0 if qc == term[j - 1] else 1
            best = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and qc == term[j - 2] and query[i - 2] == term[j - 1]:
                best = min(best, rows[-2][j - 2] + 1)
            row[j] = best
        rows.append(row)
    return rows


@dataclass
class Derivations:
    """What one query word matches: whole indexed terms and prefixes (FTS ``"p"*``), split by typo cost."""

    exact_terms: set[str] = field(default_factory=set)
    exact_prefixes: set[str] = field(default_factory=set)
    typo_terms: set[str] = field(default_factory=set)
    typo_prefixes: set[str] = field(default_factory=set)
    #: The typo derivations that cost two typos (a subset of ``typo_terms`` / ``typo_prefixes``).
    two_typo_terms: set[str] = field(default_factory=set)
    two_typo_prefixes: set[str] = field(default_factory=set)


class Vocabulary:
    """The indexed terms of one index generation, for typo and prefix derivations."""

    def __init__(self) -> None:
        self.terms: set[str] = set()
        self.by_first: dict[str, list[str]] = {}
        self.alphabet = ""
        self._sorted: list[str] = []
        self._dirty = False
        self.last_id = 0
        self._cache: dict[tuple[str, bool, int], Derivations] = {}

    def add(self, new_terms: Iterable[str], last_id: int) -> None:
        added = [t for t in new_terms if t and t not in self.terms]
        if added:
            self.terms.update(added)
            for term in added:
                self.by_first.setdefault(term[0], []).append(term)
            self.alphabet = "".join(sorted(set(self.alphabet).union(*added)))
            self._dirty = True
            self._cache.clear()
        self.last_id = max(self.last_id, last_id)

    def has_prefix(self, prefix: str) -> bool:
        if self._dirty:
            self._sorted = sorted(self.terms)
            self._dirty = False
        i = bisect.bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    def derive(self, word: str, prefix: bool, budget: int) -> Derivations:
        """Terms and prefixes matching ``word`` within ``budget`` typos (Meilisearch's counting)."""
        key = (word, prefix, budget)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        out = Derivations()
        (out.exact_prefixes if prefix else out.exact_terms).add(word)
        if budget >= 1:
            for variant in edits1(word, self.alphabet):
                cost = 1 if variant[:1] == word[:1] else 2
                if not variant or cost > budget:
                    continue
                if prefix and self.has_prefix(variant):
                    out.typo_prefixes.add(variant)
                    if cost == 2:
                        out.two_typo_prefixes.add(variant)
                elif not prefix and variant in self.terms:
                    out.typo_terms.add(variant)
                    if cost == 2:
                        out.two_typo_terms.add(variant)
        if budget >= 2:
            self._two_typos(word, prefix, out)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = out
        return out

    def _two_typos(self, word: str, prefix: bool, out: Derivations) -> None:
        # Two typos only for derivations keeping the first letter (a first-letter typo already costs two).
        n = len(word)
        letters = set(word)
        seen: set[str] = set()
        for term in self.by_first.get(word[0], ()):
            if prefix:
                if len(term) < n - 2:
                    continue
                head = term[: n + 2]
                if head in seen:
                    continue
                seen.add(head)
                if len(letters ^ set(head[:n])) > 6:
                    continue
                last = osa_rows(word, head)[-1]
                for size in range(max(1, n - 2), len(head) + 1):
                    if last[size] <= 2:
                        if last[size] == 2 and head[:size] not in out.typo_prefixes:
                            out.two_typo_prefixes.add(head[:size])
                        out.typo_prefixes.add(head[:size])
                        break
            else:
                if abs(len(term) - n) > 2 or term == word or len(letters ^ set(term)) > 4:
                    continue
                distance = osa_rows(word, term)[-1][-1]
                if distance <= 2:
                    if distance == 2 and term not in out.typo_terms:
                        out.two_typo_terms.add(term)
                    out.typo_terms.add(term)


def synonym_table(synonyms: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Synonyms keyed by the folded words of each name, alternatives as folded word tuples."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for key, values in synonyms.items():
        words = tuple(tokens(key))
        if words:
            alts = table.setdefault(words, [])
            for value in values:
                value_words = tuple(tokens(value))
                if value_words and value_words not in alts and value_words != words:
                    alts.append(value_words)
    return table


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _covering(prefixes: set[str]) -> set[str]:
    """The prefixes not already covered by a shorter one ("cao" covers "caob" and "caoba")."""
    out: set[str] = set()
    for prefix in sorted(prefixes, key=len):
        if not prefix.startswith(tuple(out)):
            out.add(prefix)
    return out


@dataclass
class MatchPlan:
    """FTS5 MATCH expressions for a query: what must match, and the sets the ranking buckets test membership in.

    Documents are ranked (after an explicit sort) by: optional words missing (``optional``: one expression per stop
    word of the query, restricted to the place columns), total typos (``typo_sets``: documents paying ``cost`` typos
    on one query word, disjoint per word), proximity (``pairs``: documents where two neighbouring query words stand
    together in one attribute), attribute (the first searchable attribute holding a match, by bm25 with one column
    weighted), exactness (``loose_last``: documents matching the last word only as the prefix of a longer word),
    then bm25 and the settings' tie-breakers."""

    expression: str
    exact_expression: str
    highlight_terms: set[str]
    highlight_prefixes: set[str]
    #: Synonyms of several words ("arbol de caucho"), highlighted only where they stand whole, as FTS5 matched them.
    highlight_phrases: set[tuple[str, ...]] = field(default_factory=set)
    typo_sets: list[tuple[str, int]] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    loose_last: str | None = None


def _alternatives(terms: set[str], prefixes: set[str]) -> list[str]:
    covering = _covering(prefixes)
    alts = [_quote(t) for t in sorted(terms) if not t.startswith(tuple(covering))]
    return alts + [_quote(p) + "*" for p in sorted(covering)]


def _any(alts: list[str]) -> str:
    return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"


def build_match(
    parsed: ParsedQuery,
    vocabulary: Vocabulary,
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]],
    one_typo: int,
    two_typos: int,
    typos: bool = True,
    place_columns: tuple[str, ...] = (),
) -> MatchPlan:
    """The FTS5 expressions: every word that is not a stop word (or a synonym of a span of words) must match.

    ``place_columns``: FTS column names of the place attributes, where an optional stop word counts as matched."""
    words = parsed.words
    n = len(words)
    optional = {i for i, w in enumerate(words) if w in STOP_WORDS}
    if len(optional) == n:
        optional = set()  # a query of stop words only ("para") looks for them
    derivations = []
    for i, word in enumerate(words):
        budget = typo_budget(word, one_typo, two_typos) if typos and i not in optional else 0
        derivations.append(vocabulary.derive(word, parsed.last_is_prefix and i == n - 1, budget))

    def spans(size: int, i: int) -> list[tuple[str, ...]]:
        return synonyms.get(tuple(words[i : i + size]), []) if size > 1 and i + size <= n else []

    def word_clause(i: int, with_typos: bool) -> str:
        d = derivations[i]
        terms = d.exact_terms | d.typo_terms if with_typos else d.exact_terms
        prefixes = d.exact_prefixes | d.typo_prefixes if with_typos else d.exact_prefixes
        alts = _alternatives(terms, prefixes)
        alts += [_quote(" ".join(s)) for s in synonyms.get((words[i],), [])]
        return _any(alts)

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
                    if i in optional:
                        options.append(rest(i + 1))
                        continue
                    head = word_clause(i, with_typos)
                else:
                    alts = spans(size, i)
                    if not alts:
                        continue
                    head = "(" + " OR ".join(_quote(" ".join(s)) for s in alts) + ")"
                tail = rest(i + size)
                options.append(f"{head} AND {tail}" if tail else head)
            if "" in options:  # an optional word at the end: nothing more is required
                options = [""]
            memo[i] = options[0] if len(options) == 1 else "(" + " OR ".join(f"({o})" for o in options) + ")"
            return memo[i]

        return rest(0)

    def covering_spans(i: int) -> list[str]:
        """Multi-word synonyms matched on a span that includes word ``i`` (they satisfy it without typos)."""
        out = []
        for size in (2, 3):
            for start in range(max(0, i - size + 1), i + 1):
                out += [_quote(" ".join(s)) for s in spans(size, start)]
        return out

    typo_sets: list[tuple[str, int]] = []
    for i, d in enumerate(derivations):
        if i in optional or not (d.typo_terms or d.typo_prefixes):
            continue
        paid = [word_clause(i, False), *covering_spans(i)]
        one = _alternatives(d.typo_terms - d.two_typo_terms, d.typo_prefixes - d.two_typo_prefixes)
        two = _alternatives(d.two_typo_terms, d.two_typo_prefixes)
        if one:
            typo_sets.append((f"{_any(one)} NOT {_any(paid)}", 1))
            paid += one
        if two:
            typo_sets.append((f"{_any(two)} NOT {_any(paid)}", 2))

    optional_sets = []
    if place_columns:
        columns = "{" + " ".join(place_columns) + "} : "
        optional_sets = [columns + "(" + word_clause(i, False) + ")" for i in sorted(optional)]

    pairs = []
    required = [i for i in range(n) if i not in optional]
    for a, b in zip(required, required[1:], strict=False):
        gap = b - a - 1  # stop words skipped between them in the query

        def options(i: int, with_typos: bool) -> list[str]:
            d = derivations[i]
            terms = d.exact_terms | d.typo_terms if with_typos else d.exact_terms
            prefixes = d.exact_prefixes | d.typo_prefixes if with_typos else d.exact_prefixes
            return _alternatives(terms, prefixes)

        left, right = options(a, True), options(b, True)
        if len(left) * len(right) > MAX_PAIR_COMBINATIONS:
            left, right = options(a, False), options(b, False)
        near = [f"NEAR({x} {y}, {gap})" for x in left for y in right]
        if near and len(near) <= MAX_PAIR_COMBINATIONS:
            pairs.append(_any(near))

    loose_last = None
    last = n - 1
    if parsed.last_is_prefix and last not in optional:
        # Matched as a whole word: the word itself, a typo derivation that is an indexed word ("caova": "caoba",
        # not the "carva" of "carvalho"), a synonym.
        d = derivations[last]
        whole_terms = {words[last]} | {p for p in d.typo_prefixes if p in vocabulary.terms}
        whole = [_quote(t) for t in sorted(whole_terms)]
        whole += [_quote(" ".join(s)) for s in synonyms.get((words[last],), [])]
        whole += covering_spans(last)
        loose = _alternatives(set(), d.exact_prefixes | d.typo_prefixes)
        loose_last = f"{_any(loose)} NOT {_any(whole)}"

    terms: set[str] = set()
    prefixes: set[str] = set()
    phrases: set[tuple[str, ...]] = set()
    for i, d in enumerate(derivations):
        if i not in optional:
            terms |= d.exact_terms | d.typo_terms
            prefixes |= d.exact_prefixes | d.typo_prefixes
        for size in (1, 2, 3):
            for alt in synonyms.get(tuple(words[i : i + size]), []) if i + size <= n else []:
                if size == 1 and i in optional:
                    continue
                if len(alt) == 1:
                    terms.add(alt[0])
                else:
                    phrases.add(alt)
    return MatchPlan(
        expression(True), expression(False), terms, prefixes, phrases, typo_sets, optional_sets, pairs, loose_last
    )


def mark_matches(
    text: str,
    terms: set[str],
    prefixes: set[str],
    phrases: set[tuple[str, ...]] | frozenset[tuple[str, ...]] = frozenset(),
) -> str:
    """``text`` with PRE/POST around every word matching a term (whole word) or a prefix (the prefix part), and
    around each word of a phrase where all its words follow one another."""
    text = unicodedata.normalize("NFC", text)
    found = list(TOKEN_RE.finditer(text))
    folded_words = [fold(m.group()) for m in found]
    in_phrase: set[int] = set()
    present = set(folded_words) if phrases else set()
    for phrase in phrases:
        size = len(phrase)
        if not size or phrase[0] not in present:  # most texts hold no synonym phrase's first word
            continue
        for start in range(len(found) - size + 1):
            if tuple(folded_words[start : start + size]) == phrase:
                in_phrase.update(range(start, start + size))
    out: list[str] = []
    pos = 0
    starts = tuple(prefixes)
    for index, (match, folded) in enumerate(zip(found, folded_words, strict=True)):
        word = match.group()
        if folded in terms or index in in_phrase:
            length = len(word)
        elif not folded.startswith(starts):  # one test in C before looking for the longest prefix
            continue
        else:
            best = max((len(p) for p in prefixes if folded.startswith(p)), default=0)
            if not best:
                continue
            length, folded_len = 0, 0
            while length < len(word) and folded_len < best:
                folded_len += len(fold(word[length]))
                length += 1
        out.append(text[pos : match.start()])
        out.append(PRE + word[:length] + POST)
        pos = match.start() + length
    out.append(text[pos:])
    return "".join(out)


_MARKS_RE = re.compile(f"({PRE}|{POST})")


def _unmark_stop_words(parts: list[str]) -> list[str]:
    """Drop the marks around a function word (STOP_WORDS): never highlighted, even inside a marked name.
    ``parts``: text split at PRE/POST, balanced."""
    out: list[str] = []
    marked = False
    for part in parts:
        if part == PRE:
            marked = True
        elif part == POST:
            marked = False
        elif marked and unicodedata.normalize("NFC", part.strip()).lower() in STOP_WORDS:  # "Pará" is no "para"
            out.append(part)
        elif marked:
            out += [PRE, part, POST]
        elif part:
            out.append(part)
    return out


def safe_highlight(marked: str) -> str:
    """Escape text carrying PRE/POST marks for HTML, then turn the marks into ``<mark>`` tags. Used for both
    backends' output; function words are left unmarked (see STOP_WORDS)."""
    if PRE not in marked and POST not in marked:
        return html.escape(marked)
    balanced: list[str] = []
    open_mark = False
    for part in _MARKS_RE.split(marked):
        if part == PRE and not open_mark:
            balanced.append(PRE)
            open_mark = True
        elif part == POST and open_mark:
            balanced.append(POST)
            open_mark = False
        elif part not in (PRE, POST):
            balanced.append(part)
    if open_mark:
        balanced.append(POST)
    out: list[str] = []
    for part in _unmark_stop_words(balanced):
        out.append("<mark>" if part == PRE else "</mark>" if part == POST else html.escape(part))
    return "".join(out)
