"""The derived FSC claim of a lot (transfer system, TRACEABILITY.md), with exact arithmetic.

A delivery is *certified* when, on its date, its member was inside the group certificate's scope
(``certified_from <= date`` and ``certified_to`` absent or ``date <= certified_to``) and one certificate of the
member's group was valid then and covered the product. Valid: ``issued_on <= date <= expires_on`` and its status
``valid``, or ``invalid_since`` after the date; an ``expired`` one with no ``invalid_since`` was valid up to
``expires_on`` (expiry is what that date says). Covered: its ``product_types`` hold the product type of the
delivery's form (``field_latex`` -> ``field_latex``, ``cup_lump`` -> ``cup_lump``, keys of app/vocab.py), because
that raw material is what the member delivers, whatever the lot is processed into. A delivery is *unidentified*
when it lacks a member or a plot (or names one that is not on record); otherwise it is *uncertified*.

Deliveries of a lot: all certified -> ``FSC 100%`` (100 %); certified and uncertified -> ``FSC Mix`` with
``floor(certified dry kg * 100 / all dry kg)``; none certified -> no claim, 0 %; any unidentified -> no claim,
no percentage (None); a lot with no inputs has neither. A lot drawing on other lots takes the lowest claim and the
lowest percentage among its deliveries (as one part) and each lot it draws on (recursively; a cycle raises
``LotCycleError``). Kilograms drawn from a lot count as certified, uncertified and unidentified in the proportions
of that lot. Dry kg are ``Decimal`` built from the numbers' shortest decimal form, so a 70 % edge is exactly 70 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.traceability.model import Delivery, GroupCertificate, Lot, Member, Plot

FSC_100 = "FSC 100%"
FSC_MIX = "FSC Mix"
#: Claims from lowest to highest (None: no FSC claim).
CLAIM_RANK: dict[str | None, int] = {None: 0, FSC_MIX: 1, FSC_100: 2}
#: Delivery form -> the product type a certificate must cover (vocabulary keys).
FORM_PRODUCT: dict[str, str] = {"field_latex": "field_latex", "cup_lump": "cup_lump"}

CERTIFIED, UNCERTIFIED, UNIDENTIFIED = "certified", "uncertified", "unidentified"
ZERO = Decimal(0)


class LotCycleError(ValueError):
    """A lot draws, directly or not, on itself."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("lot cycle: " + " -> ".join(self.cycle))


def decimal(value: float | int | Decimal | None) -> Decimal:
    """A number as the Decimal of its shortest decimal form (0.7 is 0.7, not 0.6999...)."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def dry_kg(delivery: Delivery) -> Decimal:
    """Dry rubber kg of a delivery, exactly: as recorded, or wet kg x DRC % / 100."""
    if delivery.dry_kg is not None:
        return decimal(delivery.dry_kg)
    return decimal(delivery.wet_kg) * decimal(delivery.drc_percent) / 100


def certificate_valid_on(certificate: GroupCertificate, date: dt.date) -> bool:
    """Was the certificate valid on ``date``: within its dates, and ``valid`` then (see the module's rule)?"""
    if not certificate.issued_on <= date <= certificate.expires_on:
        return False
    if certificate.status == "valid":
        return True
    if certificate.invalid_since is not None:
        return date < certificate.invalid_since
    # Expired without an earlier suspension or termination: it was valid up to expires_on, checked above.
    return certificate.status == "expired"


def scope_reason(member: Member, date: dt.date) -> str | None:
    """Why the member was outside its group certificate's scope on ``date`` (None: inside)."""
    if member.certified_from is None or date < member.certified_from:
        return "not_in_scope_yet"
    if member.certified_to is not None and date > member.certified_to:
        return "left_scope"
    return None


def certificate_reason(certificates: Sequence[GroupCertificate], date: dt.date, product: str | None) -> str | None:
    """Why no certificate of the group covered the product on ``date`` (None: one did)."""
    if not certificates:
        return "no_group_certificate"
    valid = [c for c in certificates if certificate_valid_on(c, date)]
    if not valid:
        return "certificate_not_valid"
    if product is None or not any(product in c.product_types for c in valid):
        return "product_not_covered"
    return None


def classify(
    delivery: Delivery,
    members: Mapping[str, Member],
    plots: Mapping[str, Plot],
    certificates: Mapping[str, Sequence[GroupCertificate]],
) -> tuple[str, str | None]:
    """(certified | uncertified | unidentified, reason code when uncertified) of one delivery."""
    member = members.get(delivery.member) if delivery.member else None
    if member is None or not delivery.plot or delivery.plot not in plots:
        return UNIDENTIFIED, None
    reason = scope_reason(member, delivery.date) or certificate_reason(
        certificates.get(member.group, ()), delivery.date, FORM_PRODUCT.get(delivery.form)
    )
    return (UNCERTIFIED, reason) if reason else (CERTIFIED, None)


def delivery_claim(
    certified_kg: Decimal, uncertified_kg: Decimal, certified: int, uncertified: int, unidentified: int
) -> tuple[str | None, int | None]:
    """Claim and percentage of a lot's deliveries, from their dry kg and how many are of each status."""
    if unidentified:
        return None, None
    if not uncertified:
        return (FSC_100, 100) if certified else (None, None)
    if not certified:
        return None, 0
    total = certified_kg + uncertified_kg
    return FSC_MIX, int(certified_kg * 100 // total) if total > 0 else 0


def lowest(parts: Sequence[tuple[str | None, int | None]]) -> tuple[str | None, int | None]:
    """The lowest claim and the lowest percentage among parts (an unknown percentage is the lowest)."""
    if not parts:
        return None, None
    claim = min((c for c, _ in parts), key=CLAIM_RANK.__getitem__)
    percents = [p for _, p in parts]
    return claim, None if any(p is None for p in percents) else min(p for p in percents if p is not None)


@dataclass
class Derivation:
    """What a lot's claim was derived from: its claim, its dry kg by status, and everything behind it."""

    claim: str | None
    percent: int | None
    certified: Decimal = ZERO
    uncertified: Decimal = ZERO
    unidentified: Decimal = ZERO
    inputs_dry: Decimal = ZERO  # the lot's own inputs (whole deliveries + kg drawn from lots)
    lots: set[str] = field(default_factory=set)  # this lot and every lot behind it
    deliveries: set[str] = field(default_factory=set)  # refs of deliveries on record behind it
    #: (lot ref, "delivery" | "lot" | "empty", input ref) of inputs that are not on record.
    unknown_inputs: list[tuple[str, str, str]] = field(default_factory=list)
    #: member ref -> (date, delivery ref, reason) of the member's latest uncertified delivery.
    out_of_scope: dict[str, tuple[dt.date, str, str]] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.certified + self.uncertified + self.unidentified


def derive_claims(
    ref: str,
    *,
    lots: Mapping[str, Lot],
    deliveries: Mapping[str, Delivery],
    members: Mapping[str, Member],
    plots: Mapping[str, Plot],
    certificates: Mapping[str, Sequence[GroupCertificate]],
) -> dict[str, Derivation]:
    """Derive the claim of lot ``ref`` and of every lot behind it: lot ref -> its derivation.

    Raises KeyError for an unknown ``ref`` and LotCycleError when a lot draws on itself."""
    memo: dict[str, Derivation] = {}
    _derive(ref, lots, deliveries, members, plots, certificates, memo, [])
    return memo


def derive_claim(
    ref: str,
    *,
    lots: Mapping[str, Lot],
    deliveries: Mapping[str, Delivery],
    members: Mapping[str, Member],
    plots: Mapping[str, Plot],
    certificates: Mapping[str, Sequence[GroupCertificate]],
) -> Derivation:
    """The derivation of lot ``ref`` alone (see ``derive_claims``)."""
    found = derive_claims(
        ref, lots=lots, deliveries=deliveries, members=members, plots=plots, certificates=certificates
    )
    return found[ref]


def _derive(
    ref: str,
    lots: Mapping[str, Lot],
    deliveries: Mapping[str, Delivery],
    members: Mapping[str, Member],
    plots: Mapping[str, Plot],
    certificates: Mapping[str, Sequence[GroupCertificate]],
    memo: dict[str, Derivation],
    path: list[str],
) -> Derivation:
    if ref in memo:
        return memo[ref]
    if ref in path:
        raise LotCycleError([*path[path.index(ref) :], ref])
    lot = lots[ref]
    path.append(ref)
    result = Derivation(claim=None, percent=None, lots={ref})
    own = {CERTIFIED: ZERO, UNCERTIFIED: ZERO, UNIDENTIFIED: ZERO}
    counts = {CERTIFIED: 0, UNCERTIFIED: 0, UNIDENTIFIED: 0}
    parts: list[tuple[str | None, int | None]] = []
    for item in lot.inputs:
        if item.delivery is not None:
            delivery = deliveries.get(item.delivery)
            if delivery is None:
                result.unknown_inputs.append((ref, "delivery", item.delivery))
                counts[UNIDENTIFIED] += 1
                continue
            status, reason = classify(delivery, members, plots, certificates)
            kg = dry_kg(delivery)
            own[status] += kg
            result.inputs_dry += kg
            result.deliveries.add(delivery.ref)
            counts[status] += 1
            if reason is not None and delivery.member is not None:
                _note_out_of_scope(result.out_of_scope, delivery.member, (delivery.date, delivery.ref, reason))
        elif item.lot is not None:
            if item.lot not in lots:
                result.unknown_inputs.append((ref, "lot", item.lot))
                drawn = decimal(item.dry_kg)
                result.unidentified += drawn
                result.inputs_dry += drawn
                parts.append((None, None))
                continue
            source = _derive(item.lot, lots, deliveries, members, plots, certificates, memo, path)
            drawn = decimal(item.dry_kg) if item.dry_kg is not None else decimal(lots[item.lot].output_dry_kg)
            _draw(result, source, drawn)
            parts.append((source.claim, source.percent))
        else:
            result.unknown_inputs.append((ref, "empty", ""))
            parts.append((None, None))
    if any(counts.values()):
        n = counts
        parts.append(delivery_claim(own[CERTIFIED], own[UNCERTIFIED], n[CERTIFIED], n[UNCERTIFIED], n[UNIDENTIFIED]))
        result.certified += own[CERTIFIED]
        result.uncertified += own[UNCERTIFIED]
        result.unidentified += own[UNIDENTIFIED]
    result.claim, result.percent = lowest(parts)
    path.pop()
    memo[ref] = result
    return result


def _note_out_of_scope(into: dict[str, tuple[dt.date, str, str]], member: str, entry: tuple[dt.date, str, str]) -> None:
    # The latest uncertified delivery says why the member is out of scope now.
    if member not in into or entry[:2] > into[member][:2]:
        into[member] = entry


def _draw(result: Derivation, source: Derivation, drawn: Decimal) -> None:
    """Add ``drawn`` kg of lot ``source`` to ``result``, split like the source's own dry kg."""
    total = source.total
    if total > 0:
        result.certified += drawn * source.certified / total
        result.uncertified += drawn * source.uncertified / total
        result.unidentified += drawn * source.unidentified / total
    else:
        result.unidentified += drawn
    result.inputs_dry += drawn
    result.lots |= source.lots
    result.deliveries |= source.deliveries
    result.unknown_inputs.extend(u for u in source.unknown_inputs if u not in result.unknown_inputs)
    for member, entry in source.out_of_scope.items():
        _note_out_of_scope(result.out_of_scope, member, entry)


def find_cycle(lots: Mapping[str, Lot]) -> tuple[str, ...] | None:
    """A cycle of lots drawing on lots (its refs, the first repeated at the end), or None: for checks at import."""
    done: set[str] = set()
    for start in sorted(lots):
        if start in done:
            continue
        # Depth-first without recursion: a stack of (lot ref, its input lot refs not yet visited).
        path: list[str] = [start]
        stack = [iter(_drawn_lots(lots[start], lots))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                done.add(path.pop())
                stack.pop()
            elif nxt in path:
                return (*path[path.index(nxt) :], nxt)
            elif nxt not in done:
                path.append(nxt)
                stack.append(iter(_drawn_lots(lots[nxt], lots)))
    return None


def _drawn_lots(lot: Lot, lots: Mapping[str, Lot]) -> list[str]:
    return sorted({i.lot for i in lot.inputs if i.lot is not None and i.lot in lots})
