"""Small helpers of the demo generator: slugs, numbers a person would type, weighted draws, unique names."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence

from app import vocab
from app.demo.reference import EXTRA_COMMON, REQUEST_NOUNS, REQUEST_TITLE, BuyerCity

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 40) -> str:
    """ASCII slug, cut at a word boundary so refs and e-mail local parts stay short."""
    slug = _SLUG_RE.sub("-", vocab.fold(text).replace("đ", "d")).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "org"


def nice(x: float, mode: str = "nearest") -> float | int:
    """Round to a number a person would type: two significant digits above 100, units above 10, halves below."""
    if x >= 100:
        step: float = 10 ** (math.floor(math.log10(x)) - 1)
    elif x >= 10:
        step = 1
    elif x >= 1:
        step = 0.5
    else:
        step = 0.1
    q = x / step
    n = math.floor(q + 1e-9) if mode == "down" else math.ceil(q - 1e-9) if mode == "up" else round(q)
    if mode != "down":
        n = max(n, 1)
    value = n * step
    return int(value) if step >= 1 else round(value, 1)


def from_canonical(category: str, canon: float, unit: str, drc: float | None) -> float:
    if unit == "bf":
        return canon * vocab.BOARD_FEET_PER_M3
    if unit == "t_drc":
        return canon / 1000.0
    if unit == "kg_latex":
        return canon * 100.0 / (drc or 100.0)
    return canon


def allocate(n: int, weights: Sequence[float]) -> list[int]:
    """Split n over buckets: one each while possible (every area shows up), the rest by largest remainder."""
    k = len(weights)
    if n < k:
        order = sorted(range(k), key=lambda i: -weights[i])
        counts = [0] * k
        for i in order[:n]:
            counts[i] = 1
        return counts
    rest = n - k
    total = float(sum(weights))
    shares = [w * rest / total for w in weights]
    counts = [1 + int(s) for s in shares]
    left = n - sum(counts)
    for i in sorted(range(k), key=lambda i: -(shares[i] - int(shares[i])))[:left]:
        counts[i] += 1
    return counts


def cum(weights: Sequence[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def weighted_sample(rng: random.Random, items: Sequence[tuple[str, float]], k: int) -> list[str]:
    """k distinct items drawn by weight (small lists only)."""
    pool = list(items)
    out: list[str] = []
    while pool and len(out) < k:
        pick = rng.choices(range(len(pool)), weights=[w for _, w in pool])[0]
        out.append(pool.pop(pick)[0])
    return out


def request_title(city: BuyerCity, product_type: str, species: list[str]) -> str:
    """A buyer's title for a request, in the city's language (English where it has none of ours); no randomness,
    so adding titles left every other generated value as it was."""
    lang = city.lang if city.lang in REQUEST_NOUNS else "en"
    what = REQUEST_NOUNS[lang][product_type]
    with_species, for_place = REQUEST_TITLE[lang]
    if species:
        what = with_species.format(what=what, what_lower=what[:1].lower() + what[1:], sp=species[0])
    return for_place.format(what=what[:1].upper() + what[1:], place=city.locality)


def common_name(scientific: str, lang: str) -> str:
    names = vocab.SPECIES.get(scientific, {}).get(lang)
    if names:
        return names[0]
    return EXTRA_COMMON.get(scientific, {}).get(lang, scientific)


class Names:
    """Unique display names and refs: a repeated name gets a suffix ("Sección 2"), refs a counter ("-02")."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}
        self._slugs: dict[str, int] = {}

    def take(self, country: str, base: str, repeat_word: str, legal_suffix: str = "") -> tuple[str, str, str]:
        n = self._names.get(base, 0) + 1
        self._names[base] = n
        name = base if n == 1 else f"{base} {repeat_word} {n}"
        key = f"{country.lower()}-{slug(base)}"
        k = self._slugs.get(key, 0) + 1
        self._slugs[key] = k
        tail = f"{key}-{k:02d}"
        full = f"{name} {legal_suffix}".strip()
        return full, f"org-{tail}", tail


# --------------------------------------------------------------------------------------------------------------------
