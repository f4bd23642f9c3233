"""Offers backed by lots, as traceability reads them."""

from __future__ import annotations


async def lot_backs_listed_offer(ref: str) -> bool:
    """Whether lot ``ref`` backs an offer buyers can see (visitors may read its public view)."""
    return False
