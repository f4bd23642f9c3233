"""Signing in under the shared rate limit (app.accounts.rate_limit)."""

from __future__ import annotations

from app.accounts.rate_limit import LoginRateLimiter
from app.accounts.services.users import CurrentUser, authenticate
from app.i18n import gettext as _
from app.validation import FieldErrors


async def sign_in(email: str, password: str, client: str, limiter: LoginRateLimiter) -> CurrentUser:
    """Check credentials under the rate limit; raises FieldErrors with a message for the form.

    The attempt is counted against the account and the client address before the password is checked (one atomic
    step), so concurrent tries can never check more passwords than the limit allows."""
    account_key = "account:" + email.strip().lower()
    address_key = "address:" + client
    attempt = await limiter.take([(account_key, limiter.max_attempts), (address_key, limiter.address_max_attempts)])
    if attempt is None:
        raise FieldErrors({"email": _("Too many failed attempts. Wait a few minutes and try again.")}, {"email": email})
    user = await authenticate(email, password)
    if user is None:  # the attempt stays counted as a failure
        raise FieldErrors({"password": _("E-mail or password is not right.")}, {"email": email})
    await limiter.clear(account_key)
    await limiter.give_back(attempt, address_key)
    return user
