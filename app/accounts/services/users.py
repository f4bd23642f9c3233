"""Users and passwords: the signed-in user, password hashing, sign-up, accounts created from the CLI, checking
credentials, and what a user or staff changes on an account."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.accounts.services.organisations import slugify, unique_ref
from app.accounts.tables import Organization, User
from app.clock import now
from app.db import atomic
from app.i18n import SUPPORTED_LOCALES
from app.i18n import gettext as _
from app.places import check_place
from app.settings import PASSWORD_LANES, get_settings
from app.validation import MAX_NAME, Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import ORG_KINDS


@cache
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=PASSWORD_LANES)


def _hasher() -> PasswordHasher:
    """The hasher of the configured cost (``FORESTMATCH_PASSWORD_TIME_COST`` / ``_MEMORY_KIB``)."""
    settings = get_settings()
    return _hasher_for(settings.password_time_cost, settings.password_memory_kib)


MIN_PASSWORD = 10


#: A collector's people record deliveries and sell the lots they make, as a producer's people sell.
ROLES_FOR_KIND = {
    "producer": ("producer",),
    "buyer": ("buyer",),
    "both": ("producer", "buyer"),
    "collector": ("producer",),
    "program": ("staff",),
}


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
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password is the hash's (verified at the cost the hash itself records)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made at another cost than the configured one."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _dummy_hash() -> str:
    """A hash at the configured cost, verified for unknown e-mails so that their sign-in takes as long."""
    return _dummy_for(_hasher())


@cache
def _dummy_for(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-just-timing")


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
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(row["password_hash"], password) or not row["is_active"]:
        return None
    if row["organization_active"] is False:
        return None
    changes: dict[Any, Any] = {User.last_login_at: now()}
    if needs_rehash(row["password_hash"]):  # the cost was changed since: the password is at hand to hash again
        changes[User.password_hash] = hash_password(password)
    await User.update(changes).where(User.id == row["id"])
    return user_from_row(row)


async def change_password(user: CurrentUser, raw: dict[str, Any]) -> None:
    """Set a new password (the current one is asked again) and end the user's other sessions."""
    c = Checker(raw)
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    if not row or not verify_password(row["password_hash"], str(raw.get("current_password") or "")):
        c.fail("current_password", _("The current password is not right."))
    new = check_password(c, "new_password")
    c.raise_if_errors()
    # Imported here: app.accounts.sessions imports this module (CurrentUser) at load.
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
    # Imported here: app.accounts.sessions imports this module (CurrentUser) at load.
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
