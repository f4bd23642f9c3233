"""HTTP handlers for offers (pages and JSON API)."""

from __future__ import annotations

ROUTES: list = []
