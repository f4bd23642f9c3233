"""Species synonyms for the search indexes, generated from ``app.vocab.SPECIES``.

Every name a species is known by (scientific, Spanish, English, Portuguese) is a synonym of every other; a genus
with a single listed species joins its group ("hevea" = "hule" = "seringueira"), a genus with several ("pinus")
is a one-way synonym of all their names. Names are stored folded (lower case, no accents, hyphens as spaces), the
form both backends normalise text to.

The generated map is kept in the settings files (so they are complete Meilisearch settings documents). Regenerate
after editing the vocabulary with ``python -m search_index.synonyms``; a test fails while they disagree.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from app.vocab import SPECIES, fold, species_names

SETTINGS_DIR = Path(__file__).resolve().parent / "settings"
#: Settings files whose synonyms come from the species vocabulary.
SPECIES_INDEXES = ("offers",)


def normalise_name(name: str) -> str:
    """Folded form of a name: accents and case removed, hyphens and runs of spaces as one space."""
    return re.sub(r"[\s\-]+", " ", fold(name)).strip()


def species_synonyms() -> dict[str, list[str]]:
    """The synonym map (``{name: [other names]}``, sorted) for every species in the vocabulary."""
    groups: list[tuple[str, list[str]]] = []
    for scientific in SPECIES:
        names = list(dict.fromkeys(normalise_name(n) for n in species_names(scientific)))
        groups.append((normalise_name(scientific.split()[0]), names))
    per_genus = Counter(genus for genus, _ in groups)
    synonyms: dict[str, set[str]] = defaultdict(set)
    for genus, names in groups:
        members = list(names)
        if per_genus[genus] == 1:
            members.append(genus)
        else:
            synonyms[genus].update(names)
        for name in members:
            synonyms[name].update(members)
    return {key: sorted(values - {key}) for key, values in sorted(synonyms.items()) if values - {key}}


def write_settings(indexes: tuple[str, ...] = SPECIES_INDEXES) -> list[Path]:
    """Rewrite the ``synonyms`` of these settings files from the vocabulary; returns the files changed."""
    changed = []
    synonyms = species_synonyms()
    for index in indexes:
        path = SETTINGS_DIR / f"{index}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("synonyms") != synonyms:
            data["synonyms"] = synonyms
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for changed_path in write_settings():
        print(f"updated {changed_path}")
    sys.exit(0)
