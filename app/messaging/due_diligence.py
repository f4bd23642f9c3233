"""The buyer's due diligence after a confirmed deal on an offer backed by lots: the GeoJSON due-diligence file(s) of
each lot and a one-page origin summary. Only the buyer organisation of a conversation with a confirmed deal may
download them; anyone else (the buyer before confirmation, another buyer, a competitor) gets NotFound."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.messaging.claim_words import claim_words
from app.messaging.services.core import get_conversation_for, side_of
from app.messaging.tables import MatchEvent
from app.traceability.engine import localized_message
from app.traceability.model import LotAnswer
from app.traceability.offer_lots import lots_of_offer
from app.traceability.services import LotHasErrors, dds_documents, derive, store_result
from app.traceability.services import _graph as lot_graph  # the graph with its plots' checks derived first
from app.validation import NotFound


@dataclass(frozen=True)
class DueDiligence:
    """What the buyer of a conversation may download: the offer's lots and the confirmed deals' details."""

    conversation: dict[str, Any]
    lots: list[str]
    deals: list[dict[str, Any]]


async def confirmed_deals(conversation_id: int) -> list[dict[str, Any]]:
    """The details of the conversation's deals the other side confirmed, oldest first."""
    events = (
        await MatchEvent.select(MatchEvent.id, MatchEvent.state, MatchEvent.details)
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    confirmed = {e["details"].get("event_id") for e in events if e["state"] == "deal_confirmed"}
    return [e["details"] for e in events if e["state"] in ("deal_closed", "corrected") and e["id"] in confirmed]


async def due_diligence_for(user: CurrentUser, conversation_id: int) -> DueDiligence:
    """The buyer's due diligence of a conversation: NotFound unless the user's organisation is the buyer, a deal is
    confirmed and the offer is backed by lots."""
    conversation = await get_conversation_for(user, conversation_id)
    if side_of(user, conversation) != "buyer":
        raise NotFound()
    deals = await confirmed_deals(conversation_id)
    lots = await lots_of_offer(conversation["offer"]) if deals else []
    if not lots:
        raise NotFound()
    return DueDiligence(conversation, lots, deals)


async def available_lots(user: CurrentUser, conversation: dict[str, Any], confirmed: bool) -> list[str]:
    """The lots whose downloads the thread page links for this reader ([] for anyone but the buyer after a deal)."""
    if not confirmed or side_of(user, conversation) != "buyer":
        return []
    return await lots_of_offer(conversation["offer"])


async def lot_files(user: CurrentUser, conversation_id: int, lot_ref: str) -> list[dict[str, Any]]:
    """The due-diligence GeoJSON file(s) of one of the offer's lots (LotHasErrors while it has an error check)."""
    dd = await due_diligence_for(user, conversation_id)
    if lot_ref not in dd.lots:
        raise NotFound()
    return await dds_documents(lot_ref)  # the operator's view: the confirmed buyer is allowed the file itself


def nameless(graph: Any, checks: Any) -> list[str]:
    """The checks' messages in the reader's language with every member's name replaced by the member's code."""
    names = sorted(
        ((m.name, m.member_code) for m in graph.members.values() if len(m.name.strip()) >= 2),
        key=lambda pair: -len(pair[0]),  # longest first, so "Maria Souza Lima" goes before "Maria Souza"
    )
    messages = []
    for check in checks:
        text = localized_message(check)
        for name, code in names:
            text = text.replace(name, code)
        messages.append(text)
    return messages


async def refused_messages(lot_ref: str, exc: LotHasErrors) -> list[str]:
    """Why a lot's due-diligence file was refused, for the buyer: its error checks, naming no smallholder."""
    return nameless(await lot_graph(lot_ref), [c for c in exc.checks if c.severity == "error"])


@dataclass(frozen=True)
class LotOrigin:
    """One lot as the origin summary prints it: no smallholder is named."""

    answer: LotAnswer
    #: country code -> locality -> (members, plots)
    places: dict[str, dict[str, tuple[int, int]]]
    #: (severity, code, message) with members' names replaced by their codes
    checks: list[tuple[str, str, str]]
    #: how many due-diligence files the lot gives (0 while it has an error check)
    files: int


def _origin(graph: Any, answer: LotAnswer, files: int) -> LotOrigin:
    drawn = [graph.deliveries[r] for r in sorted(graph.drawn) if r in graph.deliveries]
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    plots: dict[tuple[str, str], set[str]] = defaultdict(set)
    for delivery in drawn:
        member = graph.members.get(delivery.member)
        if member is None:
            continue
        plot = graph.plots.get(delivery.plot)
        key = ((plot.country if plot else "") or member.country, member.locality)
        members[key].add(member.ref)
        if plot:
            plots[key].add(plot.ref)
    places: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for (country, locality), refs in sorted(members.items()):
        places[country][locality] = (len(refs), len(plots[(country, locality)]))
    messages = nameless(graph, answer.checks)
    checks = [(c.severity, c.code, message) for c, message in zip(answer.checks, messages, strict=True)]
    return LotOrigin(answer=answer, places=dict(places), checks=checks, files=files)


async def origin_summary(user: CurrentUser, conversation_id: int) -> dict[str, Any]:
    """The one-page origin summary of a conversation's lots: each lot's claim, counts, countries and localities and
    checks, and the confirmed deals' claims; no smallholder's name (the due-diligence file carries names, with
    consent)."""
    dd = await due_diligence_for(user, conversation_id)
    lots = []
    for ref in dd.lots:
        graph = await lot_graph(ref)
        answer = derive(graph)
        await store_result(graph.lot_id, answer)
        try:
            files = len(await dds_documents(ref))
        except LotHasErrors:
            files = 0
        lots.append(_origin(graph, answer, files))
    return {
        "conversation": dd.conversation,
        "lots": lots,
        "deal_claims": [claim_words(d) for d in dd.deals if claim_words(d)],
    }
