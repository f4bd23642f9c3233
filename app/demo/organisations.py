"""Demo producers and buyers (organisations) and the producers' FSC certificates."""

from __future__ import annotations

from typing import Any

from app import vocab
from app.demo.helpers import allocate, cum, weighted_sample
from app.demo.reference import (
    BUYER_CITIES,
    BUYER_MAIL,
    BUYER_NAMES,
    BUYER_REPEAT,
    ES_SUFFIX,
    PRIMARY,
    PRODUCER_MAIL,
    PRODUCER_REPEAT,
    PRODUCER_SEGMENTS,
    PROFILE_CATEGORY,
    Place,
    ProducerSegment,
)
from app.demo.state import Buyer, CertSlot, GeneratorState, Producer


class OrganisationSteps(GeneratorState):
    """Organisations and certificates."""

    # -- organisations ------------------------------------------------------------------------------------------------

    def producers(self, n: int) -> tuple[list[dict[str, Any]], list[Producer]]:
        rng = self.rng
        orgs: list[dict[str, Any]] = []
        prods: list[Producer] = []
        counts = allocate(n, [s.weight for s in PRODUCER_SEGMENTS])
        for seg, count in zip(PRODUCER_SEGMENTS, counts, strict=True):
            if not count:
                continue
            by_locality = {p.locality: p for p in seg.places}
            candidates: list[tuple[str, str, Place | None]] = []
            for legal_form, name, loc in seg.names:
                if "{place}" in name:
                    candidates.extend((legal_form, name.format(place=p.locality), p) for p in seg.places)
                else:
                    candidates.append((legal_form, name, by_locality[loc] if loc else None))
            rng.shuffle(candidates)
            for i in range(count):
                legal_form, base, place = candidates[i % len(candidates)]
                place = place or rng.choice(seg.places)
                name, ref, tail = self.names.take(seg.country, base, PRODUCER_REPEAT[seg.lang])
                lat = round(place.lat + rng.uniform(-seg.jitter, seg.jitter), 5)
                lon = round(place.lon + rng.uniform(-seg.jitter, seg.jitter), 5)
                orgs.append(
                    {
                        "ref": ref,
                        "name": name,
                        "kind": "producer",
                        "legal_form": legal_form,
                        "country": seg.country,
                        "region": place.region,
                        "locality": place.locality,
                        "lat": lat,
                        "lon": lon,
                        "languages": list(seg.languages),
                        "contact_email": f"{PRODUCER_MAIL[seg.lang]}.{tail}@example.org",
                    }
                )
                prods.append(Producer(ref, seg, place.locality, lat, lon, legal_form, [], []))
        return orgs, prods

    def buyers(self, n: int) -> tuple[list[dict[str, Any]], list[Buyer]]:
        rng = self.rng
        orgs: list[dict[str, Any]] = []
        out: list[Buyer] = []
        counts = allocate(n, [c.weight for c in BUYER_CITIES])
        for city, count in zip(BUYER_CITIES, counts, strict=True):
            patterns = BUYER_NAMES[city.lang]
            profiles = [p for p, _ in city.profiles if p in patterns]
            profile_weights = [w for p, w in city.profiles if p in patterns]
            words = list(city.words)
            rng.shuffle(words)
            for i in range(count):
                # Each of the city's trades shows up first (Akron's first buyer makes tyres), then by weight;
                # name words rotate so neighbours do not share a name.
                if i < len(profiles):
                    profile = profiles[i]
                else:
                    profile = rng.choices(profiles, weights=profile_weights)[0]
                pattern, suffix = rng.choice(patterns[profile])
                word = words[i % len(words)]
                if city.country == "ES":
                    suffix = ES_SUFFIX.get(suffix, suffix)
                name, ref, tail = self.names.take(city.country, pattern.format(w=word), BUYER_REPEAT[city.lang], suffix)
                orgs.append(
                    {
                        "ref": ref,
                        "name": name,
                        "kind": "buyer",
                        "legal_form": "company",
                        "country": city.country,
                        "region": city.region,
                        "locality": city.locality,
                        "lat": round(city.lat + rng.uniform(-0.04, 0.04), 5),
                        "lon": round(city.lon + rng.uniform(-0.04, 0.04), 5),
                        "languages": list(city.languages),
                        "contact_email": f"{BUYER_MAIL[city.lang]}.{tail}@example.org",
                    }
                )
                out.append(Buyer(ref, city, profile))
        # A couple of Mexican timber traders both buy and sell (kind "both"), as in the program's partner list.
        mx = [i for i, b in enumerate(out) if b.city.country == "MX" and PROFILE_CATEGORY[b.profile] == "timber"]
        mx.sort(key=lambda i: out[i].profile not in ("importer", "construction", "flooring"))
        for i in mx[: max(1, round(n * 0.08)) if n >= 10 else 0]:
            orgs[i]["kind"] = "both"
        return orgs, out

    # -- certificates -------------------------------------------------------------------------------------------------

    def certificates(self, prods: list[Producer]) -> list[dict[str, Any]]:
        rng, t0 = self.rng, self.t0
        n = len(prods)
        second = [rng.random() < 0.35 for _ in range(n)]
        # The first producer (the demo producer account's organisation) holds two valid certificates, so the demo
        # shows it one verified by staff and one awaiting verification (app.demo.activity.certificate_reviews).
        if n:
            second[0] = True
        with_second = [i for i in range(n) if second[i]]
        # Fixed quotas so even the small demo shows every situation staff must handle.
        suspended = set(rng.sample(range(n), min(n, max(1, round(n * 0.06)) if n >= 5 else 0)))
        valid_primary = [i for i in range(n) if i not in suspended]
        expiring = set(rng.sample(valid_primary, min(len(valid_primary), max(2, round(n * 0.07)) if n >= 5 else 0)))
        lapsable = [i for i in with_second if i != 0]
        lapsed = rng.sample(lapsable, min(len(lapsable), max(2, round(n * 0.04)) if n >= 5 else 0))
        lapsed_status = {i: ("terminated" if j % 2 == 0 else "expired") for j, i in enumerate(lapsed)}
        used_codes: set[str] = set()
        used_licences: set[int] = set()
        certs: list[dict[str, Any]] = []
        five_years = 5 * 365

        def add(p: Producer, scope: str, status: str, issued: int, expires: int, types: list[str]) -> None:
            body = rng.choice(p.seg.bodies)
            while True:
                code = f"{body}-{scope}-{rng.randint(1000, 999999):06d}"
                if code not in used_codes:
                    used_codes.add(code)
                    break
            while True:
                licence = rng.randint(1000, 199999)
                if licence not in used_licences:
                    used_licences.add(licence)
                    break
            ref = f"cert-{len(certs) + 1:04d}"
            certs.append(
                {
                    "ref": ref,
                    "organization": p.ref,
                    "code": code,
                    "license_code": f"FSC-C{licence:06d}",
                    "scope": scope,
                    "status": status,
                    "issued_on": self.iso(issued),
                    "expires_on": self.iso(expires),
                    "product_types": types,
                    "group": p.legal_form == "smallholder_group",
                }
            )
            if status in ("valid", "suspended"):
                weights = dict(p.seg.products)
                p.certs.append(CertSlot(ref, status, scope, expires, types, cum([weights[t] for t in types])))

        for i, p in enumerate(prods):
            scope = "FM/COC" if rng.random() < 0.85 else "FM"
            if i in expiring:
                expires = t0 + rng.randint(7, 60)
            else:
                expires = t0 + rng.randint(90, five_years - 45)
            add(
                p,
                scope,
                "suspended" if i in suspended else "valid",
                expires - five_years + 1,
                expires,
                self._cert_types(p.seg, scope),
            )
            if not second[i]:
                continue
            if i in lapsed_status:
                status = lapsed_status[i]
                if status == "expired":
                    expires = t0 - rng.randint(20, 400)
                    issued = expires - five_years + 1
                else:  # terminated early: the dates may still run into the future
                    issued = t0 - rng.randint(365, 4 * 365)
                    expires = issued + five_years - 1
                add(p, "FM/COC", status, issued, expires, self._cert_types(p.seg, "FM/COC"))
            else:
                # A second forest unit or a controlled-wood area, often with another certification body.
                scope = "CW/FM" if p.seg.category == "timber" and rng.random() < 0.5 else "FM/COC"
                expires = t0 + rng.randint(120, five_years - 30)
                add(p, scope, "valid", expires - five_years + 1, expires, self._cert_types(p.seg, scope))
        for p in prods:
            p.cert_cum = cum([3.0 if j == 0 else 1.0 for j in range(len(p.certs))])
        return certs

    def _cert_types(self, seg: ProducerSegment, scope: str) -> list[str]:
        """Product types a certificate covers, consistent with the producer's category and the scope."""
        rng = self.rng
        offered = [t for t, _ in seg.products]
        order = {t: i for i, t in enumerate(vocab.PRODUCT_TYPES[seg.category])}
        if scope == "FM":  # forest gate only
            types = [t for t in offered if t in PRIMARY]
            types = types[: rng.randint(1, len(types))] if types else [offered[0]]
        elif scope == "CW/FM":
            types = ["roundwood"] + [t for t in ("chips", "fuelwood") if t in offered and rng.random() < 0.6]
        elif seg.category == "timber":
            extra = weighted_sample(rng, [(t, w) for t, w in seg.products if t != "roundwood"], rng.randint(1, 4))
            types = ["roundwood", *extra]
        else:
            types = weighted_sample(rng, seg.products, rng.randint(2, min(4, len(seg.products))))
        return sorted(types, key=order.__getitem__)
