"""HTTP handlers for staff (pages and JSON API)."""

from __future__ import annotations

ROUTES: list = []
