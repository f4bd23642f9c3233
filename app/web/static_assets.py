"""Versioned static file URLs: one content digest of ``static/`` in the path, so files can be cached forever."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from app.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"


@lru_cache(maxsize=1)
def static_version() -> str:
    """Digest of every static file's path and bytes; the same in every worker for the same release."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(STATIC_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def static_prefix() -> str:
    return f"/static/{static_version()}"


def static_url(path: str) -> str:
    """URL of a file under ``static/``, e.g. ``static_url('css/forestmatch.css')``."""
    return f"{static_prefix()}/{path.lstrip('/')}"


def static_file(path: str) -> Path:
    return STATIC_DIR / path
