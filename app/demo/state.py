"""What the demo generator steps share: the random source, the dates and the records passed between steps."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from app.demo.helpers import Names
from app.demo.reference import BuyerCity, ProducerSegment


@dataclass(slots=True)
class CertSlot:
    ref: str
    status: str
    scope: str
    expires_ord: int
    product_types: list[str]
    cum: list[float]  # cumulative product weights, for fast weighted choice


@dataclass(slots=True)
class Producer:
    ref: str
    seg: ProducerSegment
    locality: str
    lat: float
    lon: float
    legal_form: str
    certs: list[CertSlot]  # usable for offers (valid or suspended)
    cert_cum: list[float]


@dataclass(slots=True)
class Buyer:
    ref: str
    city: BuyerCity
    profile: str


@dataclass(slots=True)
class Anchor:
    """What a request needs to know about an offer it is built around."""

    product_type: str
    claim: str
    species: list[str]
    canon: float
    min_canon: float
    from_ord: int
    to_ord: int
    expires_ord: int
    lat: float
    lon: float


class GeneratorState:
    """The random source, today and the name registry every generation step draws from, in a fixed order."""

    def __init__(self, rng: random.Random, today: dt.date, names: Names) -> None:
        self.rng = rng
        self.today = today
        self.t0 = today.toordinal()
        self.names = names
        self._iso: dict[int, str] = {}

    def iso(self, ordinal: int) -> str:
        # Dates repeat a lot across 100k offers; formatting each ordinal once keeps generation fast.
        s = self._iso.get(ordinal)
        if s is None:
            s = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return s
