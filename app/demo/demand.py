"""Demo sourcing requests: what buyers want, often built around a concrete offer so a match exists."""

from __future__ import annotations

import math
from typing import Any

from app import vocab
from app.demo.helpers import from_canonical, nice, request_title, weighted_sample
from app.demo.reference import (
    CLAIM_SETS,
    DEMAND_SIZE,
    DISTANCES,
    EU,
    LATEX_WANTED,
    PROFILE_CATEGORY,
    PROFILE_PRODUCTS,
    PROFILE_SPECIES,
)
from app.demo.state import Anchor, Buyer, GeneratorState
from app.geo import haversine_km
from app.units import to_canonical


class RequestSteps(GeneratorState):
    """Sourcing requests."""

    # -- requests -----------------------------------------------------------------------------------------------------

    def requests(
        self, buyer_list: list[Buyer], n: int, anchors: dict[str, list[Anchor]], max_canon: dict[str, float]
    ) -> list[dict[str, Any]]:
        rng = self.rng
        if not n:
            return []
        owners = list(range(len(buyer_list))) if n >= len(buyer_list) else []
        weights = [rng.uniform(0.5, 2.0) for _ in buyer_list]
        owners += rng.choices(range(len(buyer_list)), weights=weights, k=n - len(owners))
        rng.shuffle(owners)
        # About 10 % need several producers: bigger than any single offer of their product types.
        big = set(rng.sample(range(n), max(1, round(n * 0.1)))) if n >= 5 else set()
        width = max(4, len(str(n)))
        out = []
        for i, owner in enumerate(owners):
            buyer = buyer_list[owner]
            anchored = i in big or rng.random() < 0.72
            anchor = self._pick_anchor(buyer, anchors) if anchored else None
            out.append(self._request(f"req-{i + 1:0{width}d}", buyer, anchor, i in big, max_canon))
        return out

    def _pick_anchor(self, buyer: Buyer, anchors: dict[str, list[Anchor]]) -> Anchor | None:
        rng, t0 = self.rng, self.t0
        category = PROFILE_CATEGORY[buyer.profile]
        preferred = [(pt, w) for pt, w in PROFILE_PRODUCTS[buyer.profile] if anchors.get(pt)]
        fallback = [pt for pt in vocab.PRODUCT_TYPES[category] if anchors.get(pt)]
        if not preferred and not fallback:
            return None
        for _ in range(12):
            if preferred and rng.random() < 0.9:
                pt = rng.choices([p for p, _ in preferred], weights=[w for _, w in preferred])[0]
            else:
                pt = rng.choice(fallback)
            a = rng.choice(anchors[pt])
            lo = max(t0 + 7, a.from_ord - 20)
            if min(a.to_ord - 7, a.expires_ord - 21) >= lo:
                return a
        return None

    def _request(
        self, ref: str, buyer: Buyer, anchor: Anchor | None, big: bool, max_canon: dict[str, float]
    ) -> dict[str, Any]:
        rng, t0 = self.rng, self.t0
        city = buyer.city
        category = PROFILE_CATEGORY[buyer.profile]
        profile_products = PROFILE_PRODUCTS[buyer.profile]

        # Product types: the anchor's first, then related ones the buyer also takes.
        if anchor:
            extra_n = rng.choices((0, 1, 2), weights=(5, 3.5, 1.5))[0]
            extra = weighted_sample(rng, [(t, w) for t, w in profile_products if t != anchor.product_type], extra_n)
            product_types = [anchor.product_type, *extra]
        else:
            product_types = weighted_sample(rng, profile_products, rng.choices((1, 2, 3), weights=(5, 3, 1))[0])

        # Species wanted: usually any; sometimes a genus or a common name in the buyer's language.
        species: list[str] = []
        if anchor and rng.random() < 0.35:
            species = [self._wanted_name(anchor.species[0], city.lang)]
        elif not anchor and rng.random() < 0.3:
            wanted = LATEX_WANTED if category == "latex" else PROFILE_SPECIES.get(buyer.profile, ("Pinus",))
            species = [rng.choice(wanted)]

        claim_key = "pulp" if buyer.profile == "pulp" else category
        sets = CLAIM_SETS[claim_key]
        claims = list(rng.choices([s for s, _ in sets], weights=[w for _, w in sets])[0])
        if anchor and anchor.claim not in claims:
            claims = (claims + [anchor.claim]) if len(claims) < 3 else (claims[:2] + [anchor.claim])

        # Unit: US buyers often think in board feet; tyre makers in tonnes; dipping plants in wet latex.
        drc: float | None = None
        r = rng.random()
        if category == "timber":
            sawn = product_types[0] in ("sawn_timber", "mouldings_flooring", "furniture_parts", "panels")
            unit = "bf" if sawn and ((city.country == "US" and r < 0.45) or r < 0.06) else "m3"
        elif buyer.profile in ("tyres", "footwear"):
            unit = "t_drc" if r < 0.6 else "kg_drc"
        else:
            unit = "kg_latex" if r < 0.45 else "kg_drc" if r < 0.8 else "t_drc"
        if unit == "kg_latex":
            drc = 60.0 if "latex_concentrate" in product_types else 33.0

        # Quantity (canonical first), minimum per supplier and partial deliveries.
        biggest = max((max_canon.get(t, 0.0) for t in product_types), default=0.0)
        partial_ok = rng.random() < 0.75
        min_canon: float | None = None
        if big and biggest > 0:
            canon = biggest * rng.uniform(1.6, 3.0)
            partial_ok = True
            if anchor and rng.random() < 0.85:
                min_canon = anchor.canon * rng.uniform(0.1, 0.5)
        elif anchor:
            canon = anchor.canon * (rng.uniform(0.3, 1.0) if rng.random() < 0.7 else rng.uniform(1.0, 2.5))
            canon = max(canon, anchor.min_canon)
            if rng.random() < 0.55:
                min_canon = anchor.canon * rng.uniform(0.1, 0.7)
        else:
            lo, hi = DEMAND_SIZE[product_types[0]]
            canon = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            if biggest > 0:
                canon = min(canon, biggest * 0.8)  # only the deliberate ~10 % outgrow every single offer
            if rng.random() < 0.4:
                min_canon = canon * rng.uniform(0.05, 0.3)
        # Big requests round up so they stay above every single offer; others round up too so an offer's
        # minimum order is still met.
        quantity = nice(from_canonical(category, canon, unit, drc), "up")
        canon_q = to_canonical(category, quantity, unit, drc)
        if (anchor and canon_q > anchor.canon) or canon_q > biggest:
            partial_ok = True  # no single offer can fill it: the buyer must accept a bundle
        min_per_supplier = None
        if min_canon is not None:
            min_per_supplier = nice(from_canonical(category, min_canon, unit, drc), "down")
            if min_per_supplier <= 0 or min_per_supplier >= quantity:
                min_per_supplier = None

        # Delivery near the buyer; the window overlaps the anchor's availability inside its certificate's validity.
        d_lat = round(city.lat + rng.uniform(-0.03, 0.03), 4)
        d_lon = round(city.lon + rng.uniform(-0.03, 0.03), 4)
        if anchor:
            # Start no later than 20 days before the certificate expires, so the window fits inside its validity.
            lo = max(t0 + 7, anchor.from_ord - 20)
            hi = min(anchor.to_ord - 7, anchor.expires_ord - 21, lo + 90)
            needed_from = lo + rng.randint(0, hi - lo)
            needed_by = min(needed_from + rng.randint(20, 150), anchor.expires_ord - 1)
        else:
            needed_from = t0 + rng.randint(14, 240)
            needed_by = needed_from + rng.randint(30, 180)

        max_distance: int | None = None
        if anchor:
            if rng.random() < 0.65:
                dist = haversine_km(anchor.lat, anchor.lon, d_lat, d_lon) * rng.uniform(1.15, 1.6) + 100
                step = 100 if dist < 2000 else 500
                max_distance = int(math.ceil(dist / step) * step)
                if max_distance > 20000:  # beyond half the globe nobody sets a limit (and importers reject it)
                    max_distance = None
        elif rng.random() < 0.5:
            region = "EU" if city.country in EU else city.country
            max_distance = rng.choice(DISTANCES[region])

        r = rng.random()
        status = "closed" if r < (0.05 if anchor else 0.15) else "open"

        req: dict[str, Any] = {
            "ref": ref,
            "organization": buyer.ref,
            "title": request_title(city, product_types[0], species),
            "category": category,
            "product_types": product_types,
            "species": species,
            "accepted_claims": claims,
            "quantity": quantity,
            "unit": unit,
        }
        if drc is not None:
            req["drc_percent"] = drc
        if min_per_supplier is not None:
            req["min_per_supplier"] = min_per_supplier
        req["partial_ok"] = partial_ok
        req["delivery"] = {"country": city.country, "region": city.region, "lat": d_lat, "lon": d_lon}
        if max_distance is not None:
            req["max_distance_km"] = max_distance
        req["needed_from"] = self.iso(needed_from)
        req["needed_by"] = self.iso(needed_by)
        req["status"] = status
        return req

    def _wanted_name(self, scientific: str, lang: str) -> str:
        """How a buyer would write a species: genus, scientific name or a common name it knows."""
        rng = self.rng
        genus = scientific.split(" ")[0]
        options = [scientific]
        if genus in ("Pinus", "Quercus"):
            options += [genus, genus]
        common = vocab.SPECIES.get(scientific, {}).get(lang if lang in ("es", "pt", "en") else "en")
        if common:
            options += [common[0], common[0]]
        return rng.choice(options)
