"""Deterministic demo data in the ``forestmatch/1`` bulk format (../shared/IMPORT_FORMAT.md).

``generate(seed)`` builds what a program officer sees on first run: community forest producers (Mexican ejidos and
comunidades, Petén concessions, Honduran cooperatives, Amazon extractive reserves and indigenous territories), rubber
smallholder groups (Guatemala, Brazil, Thailand, Sri Lanka, Viet Nam), buyers in Mexico, the USA and the EU, their FSC
certificates, offers and sourcing requests. Everything is derived from ``random.Random(seed)`` and ``today``, so the
same arguments always give the same document; dates are relative to ``today``.

Invariants the generator keeps (tests check them):
- every offer names a certificate of its own organisation whose ``product_types`` cover the offer's product type;
- units belong to the category, ``drc_percent`` appears exactly with ``kg_latex``;
- every date window is ordered, every ref unique, codes match the vocabulary regexes;
- a good share of requests is "anchored" on a concrete offer so at least one offer meets every hard constraint, and
  about 10 % of requests are larger than any single offer of their product types (they need a bundle).

The tables live in ``app/demo/data/*.json`` (read by ``app.demo.reference``), the steps in ``organisations``,
``supply`` and ``demand``. The work is linear in the number of records (100k offers take a few seconds).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Sequence
from typing import Any

from app.demo.demand import RequestSteps
from app.demo.helpers import Names
from app.demo.organisations import OrganisationSteps
from app.demo.supply import OfferSteps

FORMAT = "forestmatch/1"


class _Generator(OrganisationSteps, OfferSteps, RequestSteps):
    """All generation steps over one shared state; ``generate`` calls them in a fixed order."""


def generate(
    seed: int = 42,
    *,
    producers: int = 60,
    buyers: int = 25,
    offers: int = 400,
    requests: int = 80,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """A complete ``forestmatch/1`` document; the same arguments (and ``today``) always give the same document."""
    if min(producers, buyers, offers, requests) < 0:
        raise ValueError("counts must not be negative")
    if offers and not producers:
        raise ValueError("offers need at least one producer")
    if requests and not buyers:
        raise ValueError("requests need at least one buyer")
    today = today or dt.date.today()
    rng = random.Random(seed)
    names = Names()
    gen = _Generator(rng, today, names)
    orgs, prods = gen.producers(producers)
    certs = gen.certificates(prods)
    buyer_orgs, buyer_list = gen.buyers(buyers)
    offer_list, anchors, max_canon = gen.offers(prods, offers)
    request_list = gen.requests(buyer_list, requests, anchors, max_canon)
    return {
        "format": FORMAT,
        "organizations": orgs + buyer_orgs,
        "certificates": certs,
        "offers": offer_list,
        "requests": request_list,
    }


def summary(doc: dict[str, Any]) -> dict[str, int]:
    """Record counts per section, organisations split by kind ("buyers" counts kind buyer and both)."""
    orgs = doc.get("organizations", [])
    kinds = [o.get("kind") for o in orgs]
    return {
        "organizations": len(orgs),
        "producers": kinds.count("producer"),
        "buyers": kinds.count("buyer") + kinds.count("both"),
        "both": kinds.count("both"),
        "certificates": len(doc.get("certificates", [])),
        "offers": len(doc.get("offers", [])),
        "requests": len(doc.get("requests", [])),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.demo.generator [SEED] [OFFERS]``: print a demo document as JSON."""
    import json

    args = list(sys.argv[1:] if argv is None else argv)
    seed = int(args[0]) if args else 42
    kwargs: dict[str, Any] = {"offers": int(args[1])} if len(args) > 1 else {}
    json.dump(generate(seed, **kwargs), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
