"""HTTP handlers for certificates (pages and JSON API)."""

from __future__ import annotations

ROUTES: list = []
