"""The account page's context: it composes the accounts domain (API tokens) with notifications (channel choices and
saved searches), so it lives here, above both, and neither domain's handlers import the other's."""

from __future__ import annotations

from typing import Any

from app.accounts import services as accounts
from app.notifications import services as notifications


async def account_context(user: accounts.CurrentUser, **extra: Any) -> dict[str, Any]:
    """Everything ``accounts/account.html.jinja2`` shows; ``extra`` (errors, a new token) wins."""
    return {
        "tokens": await accounts.list_api_tokens(user),
        "errors": {},
        "new_token": None,
        "notification_prefs": await notifications.get_preferences(user),
        "saved_searches": await notifications.list_saved_searches(user),
        **extra,
    }
