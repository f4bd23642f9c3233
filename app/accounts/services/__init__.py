"""Accounts: organisations, users, passwords, API tokens and signing in under the shared rate limit.

Split by concern: ``users`` (the signed-in user, passwords, sign-up, checking credentials, account changes),
``organisations`` (profile checks, refs, editing and reading profiles), ``tokens`` (API tokens) and ``signing_in``
(sign-in under the rate limit).
"""

from __future__ import annotations

from app.accounts.services.organisations import (
    check_organization,
    check_profile,
    get_organization,
    get_organization_by_id,
    list_organizations,
    slugify,
    unique_ref,
    update_organization,
)
from app.accounts.services.signing_in import sign_in
from app.accounts.services.tokens import create_api_token, list_api_tokens, revoke_api_token, user_for_token
from app.accounts.services.users import (
    MIN_PASSWORD,
    ROLES_FOR_KIND,
    CurrentUser,
    authenticate,
    change_password,
    check_password,
    create_user,
    hash_password,
    list_users,
    load_user,
    set_locale,
    set_user_active,
    sign_up,
    user_from_row,
    verify_password,
)

__all__ = [
    "MIN_PASSWORD",
    "ROLES_FOR_KIND",
    "CurrentUser",
    "authenticate",
    "change_password",
    "check_organization",
    "check_password",
    "check_profile",
    "create_api_token",
    "create_user",
    "get_organization",
    "get_organization_by_id",
    "hash_password",
    "list_api_tokens",
    "list_organizations",
    "list_users",
    "load_user",
    "revoke_api_token",
    "set_locale",
    "set_user_active",
    "sign_in",
    "sign_up",
    "slugify",
    "unique_ref",
    "update_organization",
    "user_for_token",
    "user_from_row",
    "verify_password",
]
