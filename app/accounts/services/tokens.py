"""API tokens: created and shown once (only a digest is stored), listed, revoked, and resolved to their user."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from app.accounts.services.users import CurrentUser, load_user
from app.accounts.tables import ApiToken
from app.clock import now
from app.validation import Checker, NotFound


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(user: CurrentUser, name: str) -> str:
    """Create a token and return it once; only its digest is stored."""
    c = Checker({"name": name})
    clean = c.text("name", required=True, max_len=80)
    c.raise_if_errors()
    token = "fm_" + secrets.token_urlsafe(32)
    await ApiToken(user=user.id, name=clean, token_hash=_token_digest(token), prefix=token[:10]).save()
    return token


async def list_api_tokens(user: CurrentUser) -> list[dict[str, Any]]:
    return await (
        ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at)
        .where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id)
    )


async def revoke_api_token(user: CurrentUser, token_id: int) -> None:
    updated = await (
        ApiToken.update({ApiToken.revoked_at: now()})
        .where((ApiToken.id == token_id) & (ApiToken.user == user.id) & ApiToken.revoked_at.is_null())
        .returning(ApiToken.id)
    )
    if not updated:
        raise NotFound()


async def user_for_token(token: str) -> CurrentUser | None:
    row = await (
        ApiToken.select(ApiToken.id, ApiToken.user.id.as_alias("user_id"))
        .where((ApiToken.token_hash == _token_digest(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if not row:
        return None
    return await load_user(row["user_id"])
