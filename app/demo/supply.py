"""Demo offers: what each producer sells under which certificate, at what size, price and dates."""

from __future__ import annotations

import math
from typing import Any

from app import vocab
from app.demo.helpers import common_name, cum, from_canonical, nice
from app.demo.reference import (
    BASE_PRICE_USD,
    DESCRIPTIONS,
    OFFER_SIZE,
    PRICE_BY_SPECIES,
    PRIMARY,
    SPECIES_VALUE,
    TITLES,
    TSR_NAME,
    USD_RATE,
    ProducerSegment,
)
from app.demo.state import Anchor, GeneratorState, Producer
from app.units import to_canonical


class OfferSteps(GeneratorState):
    """Offers, and the anchors requests are built around."""

    # -- offers -------------------------------------------------------------------------------------------------------

    def offers(
        self, prods: list[Producer], n: int
    ) -> tuple[list[dict[str, Any]], dict[str, list[Anchor]], dict[str, float]]:
        rng, t0 = self.rng, self.t0
        if not n:
            return [], {}, {}
        active = [p for p in prods if p.certs]
        if not active:
            raise ValueError("no producer holds a usable certificate")
        # Every producer gets an offer when there are enough; big producers get more.
        weights = [rng.lognormvariate(0, 0.7) for _ in active]
        owners = list(range(len(active))) if n >= len(active) else []
        owners += rng.choices(range(len(active)), weights=weights, k=n - len(owners))
        rng.shuffle(owners)
        width = max(5, len(str(n)))
        year = self.today.year
        out: list[dict[str, Any]] = []
        anchors: dict[str, list[Anchor]] = {}
        max_canon: dict[str, float] = {}
        rand, randint, uniform, choice = rng.random, rng.randint, rng.uniform, rng.choice
        species_cum: dict[str, tuple[list[str], list[float]]] = {}

        for k, owner in enumerate(owners, 1):
            p = active[owner]
            seg = p.seg
            cert = p.certs[0] if len(p.certs) == 1 else rng.choices(p.certs, cum_weights=p.cert_cum)[0]
            pt = rng.choices(cert.product_types, cum_weights=cert.cum)[0]
            category = seg.category

            # Species: oaks go to charcoal and fuelwood where the forest has them; latex is always Hevea.
            if category == "latex":
                species = ["Hevea brasiliensis"]
            else:
                key = seg.key + ("/oak" if pt in ("charcoal", "fuelwood") else "")
                pool = species_cum.get(key)
                if pool is None:
                    rows = list(seg.species)
                    if key.endswith("/oak"):
                        rows = [r for r in rows if r[0].startswith("Quercus")] or rows
                    pool = species_cum[key] = ([s for s, _ in rows], cum([w for _, w in rows]))
                species = [rng.choices(pool[0], cum_weights=pool[1])[0]]
                if len(pool[0]) > 1 and rand() < 0.25:
                    other = rng.choices(pool[0], cum_weights=pool[1])[0]
                    if other != species[0]:
                        species.append(other)

            # Claim: controlled wood only from CW/FM forests; some processed goods carry FSC Mix.
            if cert.scope == "CW/FM":
                claim = "FSC Controlled Wood"
            elif pt not in PRIMARY and rand() < 0.22:
                claim = "FSC Mix"
            else:
                claim = "FSC 100%"

            # Quantity and unit.
            lo, hi = OFFER_SIZE[pt]
            canon_raw = math.exp(uniform(math.log(lo), math.log(hi)))
            drc: float | None = None
            if category == "timber":
                bf_share = 0.3 if seg.country in ("MX", "HN", "GT") else 0.08
                unit = (
                    "bf"
                    if pt in ("sawn_timber", "mouldings_flooring", "furniture_parts") and rand() < bf_share
                    else "m3"
                )
            else:
                r = rand()
                if pt == "field_latex":
                    unit = "kg_latex" if r < 0.7 else "kg_drc"
                elif pt == "latex_concentrate":
                    unit = "kg_latex" if r < 0.5 else "t_drc" if r < 0.8 else "kg_drc"
                elif pt == "cup_lump":
                    unit = "kg_drc" if r < 0.7 else "t_drc"
                else:
                    unit = "t_drc" if r < 0.5 else "kg_drc"
                if unit == "kg_latex":
                    drc = round(uniform(30, 40), 1) if pt == "field_latex" else round(uniform(59.5, 61.5), 1)
            quantity = nice(from_canonical(category, canon_raw, unit, drc))
            canon = to_canonical(category, quantity, unit, drc)
            if canon > max_canon.get(pt, 0.0):
                max_canon[pt] = canon
            min_order = None
            if rand() < 0.55:
                min_order = nice(quantity * uniform(0.05, 0.3), "down")
                if not min_order or min_order >= quantity:
                    min_order = None

            # Availability: a quarter already available, most starting within the next 11 months.
            if rand() < 0.25:
                start = t0 - randint(15, 150)
                end = max(start + randint(45, 300), t0 + randint(30, 200))
            else:
                start = t0 + randint(0, 330)
                end = start + randint(45, 300)

            r = rand()
            status = "active" if r < 0.86 else "paused" if r < 0.95 else "closed"
            title_lang = "en" if category == "timber" and seg.lang != "en" and rand() < 0.2 else seg.lang
            title = self._title(title_lang, pt, species, seg.country, drc)
            lat = round(p.lat + uniform(-0.04, 0.04), 5)
            lon = round(p.lon + uniform(-0.04, 0.04), 5)

            offer: dict[str, Any] = {
                "ref": f"offer-{k:0{width}d}",
                "organization": p.ref,
                "certificate": cert.ref,
                "category": category,
                "product_type": pt,
                "species": species,
                "title": title,
                "claim": claim,
                "quantity": quantity,
                "unit": unit,
            }
            if drc is not None:
                offer["drc_percent"] = drc
            if min_order is not None:
                offer["min_order"] = min_order
            offer["available_from"] = self.iso(start)
            offer["available_to"] = self.iso(end)
            offer["lat"] = lat
            offer["lon"] = lon
            if rand() < 0.85:
                offer["price"] = self._price(pt, species[0], unit, drc, seg)
            offer["incoterm"] = self._incoterm(seg)
            offer["status"] = status
            if rand() < 0.6:
                texts = DESCRIPTIONS[title_lang][category]
                offer["description"] = choice(texts).format(year=year, loc=p.locality, n=randint(12, 240))
            out.append(offer)

            # Offers a request can be built around: they meet every hard constraint for some delivery window.
            usable = status == "active" and cert.status == "valid"
            if usable and end - t0 >= 21 and cert.expires_ord - max(start, t0) >= 60:
                min_canon = to_canonical(category, min_order, unit, drc) if min_order is not None else 0.0
                anchors.setdefault(pt, []).append(
                    Anchor(pt, claim, species, canon, min_canon, start, end, cert.expires_ord, lat, lon)
                )
        return out, anchors, max_canon

    def _title(self, lang: str, pt: str, species: list[str], country: str, drc: float | None) -> str:
        rng = self.rng
        template = rng.choice(TITLES[lang][pt])
        if vocab.PRODUCT_CATEGORY[pt] == "latex":
            tsr = (
                f"{TSR_NAME.get(country, 'TSR')} {rng.choice((10, 20, 20, 3))}"
                if lang == "en"
                else rng.choice(("10", "20"))
            )
            return template.format(drc=round(drc) if drc else 33, grade=rng.choice((1, 3, 3, 4, 5)), tsr=tsr)
        joiner = {"es": " y ", "pt": " e ", "en": " and "}[lang]
        sp = joiner.join(common_name(s, lang) for s in species)
        return template.format(sp=sp, Sp=sp[:1].upper() + sp[1:])

    def _price(self, pt: str, species: str, unit: str, drc: float | None, seg: ProducerSegment) -> dict[str, str]:
        rng = self.rng
        usd = BASE_PRICE_USD[pt] * rng.uniform(0.85, 1.2)
        if pt in PRICE_BY_SPECIES:
            usd *= SPECIES_VALUE.get(species, 1.0)
        r = rng.random()
        currency = seg.currency if r < 0.45 else "EUR" if r < 0.5 else "USD"
        per_unit = usd * USD_RATE[currency]
        if unit == "bf":
            per_unit /= vocab.BOARD_FEET_PER_M3
        elif unit == "t_drc":
            per_unit *= 1000
        elif unit == "kg_latex":
            per_unit *= (drc or 100.0) / 100.0
        return {"amount": f"{per_unit:.2f}", "currency": currency, "per": unit}

    def _incoterm(self, seg: ProducerSegment) -> str:
        r = self.rng.random()
        if seg.country in ("TH", "LK", "VN"):
            return "FOB" if r < 0.5 else "CIF" if r < 0.7 else "FCA" if r < 0.85 else "EXW" if r < 0.95 else "DAP"
        return "FCA" if r < 0.35 else "EXW" if r < 0.65 else "FOB" if r < 0.8 else "DAP" if r < 0.95 else "CIF"
