"""Accounts: organisations, users, passwords, API tokens and signing in under the shared rate limit."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.accounts.rate_limit import LoginRateLimiter
from app.accounts.tables import ApiToken, Organization, User
from app.clock import now
from app.db import atomic
from app.i18n import N_, SUPPORTED_LOCALES
from app.i18n import gettext as _
from app.indexing.services import record_change
from app.places import check_place
from app.validation import MAX_NAME, MAX_TEXT, Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import LEGAL_FORMS, ORG_KINDS

_hasher = PasswordHasher()
MIN_PASSWORD = 10
ROLES_FOR_KIND = {"producer": ("producer",), "buyer": ("buyer",), "both": ("producer", "buyer"), "program": ("staff",)}


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as the rest of the app sees it (no password hash)."""

    id: int
    email: str
    name: str
    role: str
    organization_id: int | None
    organization_name: str
    organization_ref: str
    organization_kind: str
    locale: str
    #: The ``account_session`` row when signed in through a browser session (None with an API token).
    session_id: int | None = None
    #: ISO code of the organisation's country: the time zone moments are shown in (vocab.COUNTRY_TIME_ZONES).
    organization_country: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_producer(self) -> bool:
        return self.role == "producer"

    @property
    def is_buyer(self) -> bool:
        return self.role == "buyer"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def slugify(text: str) -> str:
    from app.vocab import fold

    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:60] or "org"


_USER_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.locale,
    User.is_active,
    User.password_hash,
    User.organization.id.as_alias("organization_id"),
    User.organization.name.as_alias("organization_name"),
    User.organization.ref.as_alias("organization_ref"),
    User.organization.kind.as_alias("organization_kind"),
    User.organization.is_active.as_alias("organization_active"),
    User.organization.country.as_alias("organization_country"),
)


def user_from_row(row: dict[str, Any]) -> CurrentUser:
    """The CurrentUser of a row selected with the user's columns (``_USER_COLUMNS`` or the sessions' join)."""
    return CurrentUser(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        organization_id=row["organization_id"],
        organization_name=row["organization_name"] or "",
        organization_ref=row["organization_ref"] or "",
        organization_kind=row["organization_kind"] or "",
        locale=row["locale"] or "",
        organization_country=row.get("organization_country") or "",
    )


async def load_user(user_id: int) -> CurrentUser | None:
    """The active user with this id, or None (deactivated users lose their sessions at once)."""
    row = await User.select(*_USER_COLUMNS).where(User.id == user_id).first()
    if not row or not row["is_active"] or row["organization_active"] is False:
        return None
    return user_from_row(row)


# --- organisations ---------------------------------------------------------------------------------------------
def check_organization(raw: dict[str, Any], *, allow_program: bool = False) -> dict[str, Any]:
    """Validate organisation profile fields; raises FieldErrors."""
    c = Checker(raw)
    kinds = {**ORG_KINDS, **({"program": N_("Program backbone")} if allow_program else {})}
    clean: dict[str, Any] = {
        "name": c.name("name", required=True, max_len=MAX_NAME),
        "kind": c.choice("kind", kinds, required=True),
        "legal_form": c.choice("legal_form", LEGAL_FORMS),
        "locality": c.name("locality", max_len=120),
        "contact_email": c.email("contact_email"),
        "description": c.text("description", max_len=MAX_TEXT),
        "languages": c.text_list("languages", max_items=10, max_len=10),
    }
    clean["country"], clean["region"] = check_place(c, "country", "region")
    clean["lat"], clean["lon"] = c.lat_lon("lat", "lon")
    c.raise_if_errors()
    return clean


def check_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """``check_organization`` as the profile page edits it (the program's own organisation included)."""
    return check_organization(raw, allow_program=True)


async def unique_ref(table: Any, base: str) -> str:
    """A ref not used yet in ``table``, derived from ``base``."""
    ref = base
    while await table.exists().where(table.ref == ref):
        ref = f"{base}-{secrets.token_hex(3)}"
    return ref


async def update_organization(user: CurrentUser, org_id: int, raw: dict[str, Any]) -> None:
    """Edit an organisation profile: members of that organisation or staff only."""
    if not (user.is_staff or user.organization_id == org_id):
        raise PermissionDenied()
    current = await Organization.select(Organization.kind).where(Organization.id == org_id).first()
    if not current:
        raise NotFound()
    raw = {**raw, "kind": current["kind"]}  # the kind decides roles; it is not edited from the profile
    clean = check_organization(raw, allow_program=True)
    clean.pop("kind")
    async with atomic():
        await Organization.update({**clean, Organization.updated_at: now()}).where(Organization.id == org_id)
        ref = await Organization.select(Organization.ref).where(Organization.id == org_id).first()
        await record_change("organization", ref["ref"])


async def get_organization(ref: str) -> dict[str, Any]:
    row = await Organization.select().where(Organization.ref == ref).output(load_json=True).first()
    if not row:
        raise NotFound()
    return row


async def get_organization_by_id(org_id: int) -> dict[str, Any]:
    row = await Organization.select().where(Organization.id == org_id).output(load_json=True).first()
    if not row:
        raise NotFound()
    return row


# --- users -----------------------------------------------------------------------------------------------------
def check_password(c: Checker, name: str = "password") -> str:
    password = c.raw.get(name) or ""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        c.fail(name, _("Use at least %(n)s characters.", n=MIN_PASSWORD))
    elif len(password) > 256:
        c.fail(name, _("Use at most %(n)s characters.", n=256))
    return password if isinstance(password, str) else ""


async def sign_up(raw: dict[str, Any]) -> CurrentUser:
    """Self-service sign-up: a new producer or buyer organisation with its first member."""
    c = Checker(raw)
    email = c.email("email", required=True)
    password = check_password(c)
    role = c.choice("role", {k: ORG_KINDS[k] for k in ("producer", "buyer")}, required=True)
    name = c.name("name", max_len=120)
    org_name = c.name("organization_name", required=True, max_len=MAX_NAME)
    country, region = check_place(c, "country", "region", required=True)
    locale = c.choice("locale", SUPPORTED_LOCALES)
    if email and await User.exists().where(User.email == email):
        c.fail("email", _("An account with this e-mail already exists. Sign in instead."))
    c.raise_if_errors()
    pw_hash = hash_password(password)
    async with atomic():
        ref = await unique_ref(Organization, slugify(org_name))
        org = Organization(
            ref=ref, name=org_name, kind=role, country=country, region=region, contact_email=email, languages=[]
        )
        await org.save()
        user = User(email=email, name=name, password_hash=pw_hash, role=role, organization=org.id, locale=locale)
        await user.save()
    loaded = await load_user(user.id)
    assert loaded is not None
    return loaded


async def create_user(
    *,
    email: str,
    password: str,
    role: str,
    organization_ref: str | None = None,
    name: str = "",
    organization_name: str | None = None,
    country: str = "",
) -> CurrentUser:
    """Create a user (CLI). Staff users join the program's backbone organisation."""
    c = Checker({"email": email, "password": password, "role": role})
    email = c.email("email", required=True)
    check_password(c)
    c.choice("role", ("producer", "buyer", "staff"), required=True)
    if email and await User.exists().where(User.email == email):
        c.fail("email", _("An account with this e-mail already exists. Sign in instead."))
    c.raise_if_errors()
    async with atomic():
        if role == "staff":
            org = await Organization.objects().where(Organization.ref == "program-backbone").first()
            if org is None:
                org = Organization(
                    ref="program-backbone",
                    name=organization_name or "ForestMatch program",
                    kind="program",
                    country=country,
                    languages=[],
                )
                await org.save()
        elif organization_ref:
            org = await Organization.objects().where(Organization.ref == organization_ref).first()
            if org is None:
                raise FieldErrors({"organization": _("No organisation with this ref.")})
            if role not in ROLES_FOR_KIND.get(org.kind, ()):
                raise FieldErrors({"role": _("This role does not fit the organisation's kind.")})
        else:
            ref = await unique_ref(Organization, slugify(organization_name or email.split("@")[0]))
            org = Organization(ref=ref, name=organization_name or email, kind=role, country=country, languages=[])
            await org.save()
        user = User(email=email, name=name, password_hash=hash_password(password), role=role, organization=org.id)
        await user.save()
    loaded = await load_user(user.id)
    assert loaded is not None
    return loaded


async def authenticate(email: str, password: str) -> CurrentUser | None:
    """The user for these credentials, or None. Always hashes, so timing does not reveal unknown e-mails."""
    row = await User.select(*_USER_COLUMNS).where(User.email == email.strip().lower()).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row["password_hash"], password) or not row["is_active"]:
        return None
    if row["organization_active"] is False:
        return None
    await User.update({User.last_login_at: now()}).where(User.id == row["id"])
    return user_from_row(row)


_DUMMY_HASH = hash_password("not-a-real-password-just-timing")


async def change_password(user: CurrentUser, raw: dict[str, Any]) -> None:
    """Set a new password (the current one is asked again) and end the user's other sessions."""
    c = Checker(raw)
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    if not row or not verify_password(row["password_hash"], str(raw.get("current_password") or "")):
        c.fail("current_password", _("The current password is not right."))
    new = check_password(c, "new_password")
    c.raise_if_errors()
    from app.accounts.sessions import end_sessions_of

    async with atomic():
        await User.update({User.password_hash: hash_password(new)}).where(User.id == user.id)
        # Other sessions (another browser, a lost phone) end with the old password; this one carries on.
        await end_sessions_of(user.id, keep=user.session_id)


async def set_locale(user: CurrentUser, locale: str) -> None:
    if locale in SUPPORTED_LOCALES:
        await User.update({User.locale: locale}).where(User.id == user.id)


async def set_user_active(staff: CurrentUser, user_id: int, active: bool) -> None:
    """Deactivate or reactivate an account (staff only; staff cannot lock themselves out)."""
    if not staff.is_staff:
        raise PermissionDenied()
    if user_id == staff.id:
        raise FieldErrors({"user": _("You cannot deactivate your own account.")})
    from app.accounts.sessions import end_sessions_of

    async with atomic():
        updated = await User.update({User.is_active: active}).where(User.id == user_id).returning(User.id)
        if not updated:
            raise NotFound()
        if not active:  # signed out everywhere now, and for good: reactivation does not revive old sessions
            await end_sessions_of(user_id)


async def list_users(staff: CurrentUser, *, page: int = 1, per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    if not staff.is_staff:
        raise PermissionDenied()
    total = await User.count()
    rows = await (
        User.select(
            User.id,
            User.email,
            User.name,
            User.role,
            User.is_active,
            User.created_at,
            User.last_login_at,
            User.organization.name.as_alias("organization_name"),
            User.organization.ref.as_alias("organization_ref"),
        )
        .order_by(User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, total


async def list_organizations(
    staff: CurrentUser, *, page: int = 1, per_page: int = 50
) -> tuple[list[dict[str, Any]], int]:
    if not staff.is_staff:
        raise PermissionDenied()
    total = await Organization.count()
    rows = await (
        Organization.select(
            Organization.id,
            Organization.ref,
            Organization.name,
            Organization.kind,
            Organization.legal_form,
            Organization.country,
            Organization.region,
            Organization.is_active,
            Organization.created_at,
        )
        .order_by(Organization.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, total


# --- API tokens ------------------------------------------------------------------------------------------------
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


# --- sign-in ----------------------------------------------------------------------------------------------------
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
