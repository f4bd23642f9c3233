"""The lots subscriber of the event outbox: a certificate that changes (suspended, expired, its products) or a collector
that moves changes the claims and checks of the lots that depend on it, so those lots are derived again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.events import LOTS
from app.traceability.services import recompute_for


@dataclass
class LotsSubscriber:
    """``certificate_changed`` and ``organization_changed`` -> the touched lots' stored answers, derived again."""

    name: str = LOTS

    async def apply(self, rows: list[dict[str, Any]]) -> None:
        """Nothing outside the database."""

    async def commit(self, rows: list[dict[str, Any]]) -> None:
        certificates = {r["ref"] for r in rows if r["entity"] == "certificate"}
        organizations = {r["ref"] for r in rows if r["entity"] == "organization"}
        if certificates or organizations:
            await recompute_for(certificates=certificates, organizations=organizations)
