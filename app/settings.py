"""Settings read once from ``FORESTMATCH_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse a minimal KEY=VALUE ``.env`` file; real environment variables win."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def _env() -> dict[str, str]:
    merged = _read_dotenv(Path.cwd() / ".env")
    merged.update({k: v for k, v in os.environ.items() if k.startswith("FORESTMATCH_")})
    return merged


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A ``FORESTMATCH_*`` variable holds a value the application cannot start with; the message names it."""


def _number(env: dict[str, str], name: str, default: float, high: float = math.inf) -> float:
    """A number from ``0`` to ``high`` (the default when the variable is unset or empty)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number.") from None
    if not math.isfinite(value) or value < 0 or value > high:
        bound = "" if math.isinf(high) else f" and at most {high:g}"
        raise SettingsError(f"{name}={raw!r}: give a number of at least 0{bound}.")
    return value


def _whole(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number.") from None
    if value < 0:
        raise SettingsError(f"{name}={raw!r}: give a whole number of at least 0.")
    return value


#: Argon2 lanes of a password hash (argon2-cffi's default); the memory must be at least 8 KiB a lane.
PASSWORD_LANES = 4


def _password_cost(env: dict[str, str], name: str, default: int, least: int) -> int:
    value = _whole(env, name, default)
    if value < least:
        raise SettingsError(f"{name}={value}: give at least {least}.")
    return value


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when the variable is unset or empty)."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return choices[0]
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r}: give one of {', '.join(choices)}.")
    return raw


#: A bearer token shorter than this is refused at startup: it guards what the site's internals look like.
MIN_TOKEN_LENGTH = 24


def _token(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw and len(raw) < MIN_TOKEN_LENGTH:
        raise SettingsError(f"{name}: give a token of at least {MIN_TOKEN_LENGTH} characters (or leave it unset).")
    return raw


def _ordered(low_name: str, high_name: str, low: float, high: float) -> tuple[float, float]:
    if low > high:
        raise SettingsError(
            f"{low_name} ({low:g}) is above {high_name} ({high:g}): the first must not be larger than the second."
        )
    return low, high


_TRACE = "FORESTMATCH_TRACE_"


def _trace_thresholds(env: dict[str, str]) -> dict[str, float | int]:
    """The traceability checks' limits (``trace_*`` fields), defaults as TRACEABILITY.md documents them."""

    def num(suffix: str, default: float, high: float = math.inf) -> float:
        return _number(env, _TRACE + suffix, default, high)

    values: dict[str, float | int] = {}
    for form, low, high in (("field_latex", 20.0, 45.0), ("cup_lump", 45.0, 80.0)):
        key = f"DRC_{form.upper()}"
        low, high = _ordered(
            f"{_TRACE}{key}_MIN", f"{_TRACE}{key}_MAX", num(f"{key}_MIN", low, 100), num(f"{key}_MAX", high, 100)
        )
        values[f"trace_drc_{form}_min"], values[f"trace_drc_{form}_max"] = low, high
    warning, error = _ordered(
        _TRACE + "YIELD_WARNING_KG_HA",
        _TRACE + "YIELD_ERROR_KG_HA",
        num("YIELD_WARNING_KG_HA", 1200.0),
        num("YIELD_ERROR_KG_HA", 2000.0),
    )
    values["trace_yield_warning_kg_ha"], values["trace_yield_error_kg_ha"] = warning, error
    values["trace_min_tapping_age_years"] = _whole(env, _TRACE + "MIN_TAPPING_AGE_YEARS", 6)
    values["trace_point_max_ha"] = num("POINT_MAX_HA", 4.0)
    values["trace_area_tolerance_percent"] = num("AREA_TOLERANCE_PERCENT", 10.0, 100)
    values["trace_overlap_percent"] = num("OVERLAP_PERCENT", 5.0, 100)
    values["trace_far_from_collector_km"] = num("FAR_FROM_COLLECTOR_KM", 150.0)
    return values


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Every field maps to one ``FORESTMATCH_<NAME>`` variable."""

    #: Directory for the SQLite file, the generated secret key, the search index and the local maildir.
    var_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    #: ``sqlite:///path/to/file.db`` (default ``var/forestmatch.db``) or ``postgresql://user@host:port/db``.
    database_url: str = ""
    #: Signs session cookies and CSRF tokens. Generated into ``var/secret_key`` when unset.
    secret_key: str = ""
    #: Meilisearch server URL; unset means the PostgreSQL search backend on a PostgreSQL database, else embedded.
    meili_url: str = ""
    #: Meilisearch API key.
    meili_key: str = ""
    #: Prefix for Meilisearch index names, so deployments can share a server.
    meili_index_prefix: str = "forestmatch"
    #: Force a search backend (``meilisearch``, ``postgresql``, ``embedded``); unset chooses by the settings above.
    #: The embedded backend is refused on a PostgreSQL database (each host would keep its own index).
    search_backend: str = ""
    #: Redis URL for shared short-lived state (login rate limits); unset means the database is used.
    redis_url: str = ""
    #: Mark cookies ``Secure`` (set when served over HTTPS).
    secure_cookies: bool = False
    #: Debug mode: tracebacks in responses. Never on in production.
    debug: bool = False
    #: Failed sign-ins allowed per account (e-mail), from any address, within ``login_window_seconds``.
    #: Argon2id cost of a password hash: passes over the memory and the memory in KiB (the argon2-cffi defaults,
    #: RFC 9106's second recommendation; stored hashes carry their own, so changing these applies to new hashes and
    #: to each account's next sign-in).
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    login_max_attempts: int = 5
    #: Failed sign-ins allowed per client address, on any accounts, within ``login_window_seconds`` (larger: an
    #: office behind one NAT address must not be locked out by one colleague's typos).
    login_max_attempts_per_address: int = 50
    #: Window for the sign-in rate limit.
    login_window_seconds: int = 900
    #: Default language for visitors without a preference.
    default_locale: str = "es_MX"
    #: PostgreSQL pool size per worker; 0 opens one connection per query (no pool).
    db_pool_max: int = 10
    #: Run the search sync worker inside each app process; false when ``forestmatch worker`` runs apart.
    sync_in_app: bool = True
    #: Seconds a public listing fragment may be reused by a worker at most (0 disables the micro-cache). A change
    #: recorded by any process ends its use at once (``app.web.microcache``); the age bounds writes made around the
    #: services.
    list_cache_seconds: float = 300.0
    #: Seconds a worker may use its bitmaps of the publicly listed offers at most (``app.offers.listing``; 0: the
    #: offer list reads every page by SQL). A change recorded by any process ends their use at once; the age bounds
    #: writes made around the services.
    listing_index_seconds: float = 300.0
    #: Searches whose counts, facets and page hits the embedded backend keeps per index version (0: none; for cold
    #: benchmarks). None: the backend's default.
    search_cache_entries: int | None = None
    #: Public address of the site, used for links in e-mails.
    base_url: str = "http://127.0.0.1:8000"
    #: SMTP server for e-mail; unset means e-mails are written to the local maildir ``<var_dir>/maildir``.
    smtp_host: str = ""
    #: SMTP port (587 for STARTTLS submission, 465 with ``smtp_ssl``, 25 for a local relay).
    smtp_port: int = 587
    #: SMTP user name; unset means no login.
    smtp_user: str = ""
    #: SMTP password.
    smtp_password: str = ""
    #: Sender address of notification e-mails.
    smtp_from: str = "ForestMatch <noreply@forestmatch.local>"
    #: Upgrade the SMTP connection with STARTTLS before logging in.
    smtp_starttls: bool = True
    #: Connect with TLS from the start (SMTPS, usually port 465) instead of STARTTLS.
    smtp_ssl: bool = False
    #: Log lines as ``text`` (readable, on stderr) or ``json`` (one JSON object per line on stdout, for collectors).
    log_format: str = "text"
    #: One log line per request (request id, route, status, duration, user id); probes that answer 2xx are left out.
    access_log: bool = True
    #: Bearer token Prometheus sends to read ``/metrics``; unset means ``/metrics`` is off (404).
    metrics_token: str = ""
    # Traceability checks (TRACEABILITY.md): the limits a lot's checks compare with. Changing one changes the
    # answers derived from then on; stored answers are derived again when their records change.
    #: DRC_OUT_OF_RANGE: lowest plausible dry rubber content of field latex, in %.
    trace_drc_field_latex_min: float = 20.0
    #: DRC_OUT_OF_RANGE: highest plausible dry rubber content of field latex, in %.
    trace_drc_field_latex_max: float = 45.0
    #: DRC_OUT_OF_RANGE: lowest plausible dry rubber content of cup lump, in %.
    trace_drc_cup_lump_min: float = 45.0
    #: DRC_OUT_OF_RANGE: highest plausible dry rubber content of cup lump, in %.
    trace_drc_cup_lump_max: float = 80.0
    #: YIELD_IMPLAUSIBLE warning: dry kg per hectare of a plot over any 365 days above this.
    trace_yield_warning_kg_ha: float = 1200.0
    #: YIELD_IMPLAUSIBLE error: dry kg per hectare of a plot over any 365 days above this.
    trace_yield_error_kg_ha: float = 2000.0
    #: TOO_YOUNG: years after planting before a Hevea plot's deliveries are plausible.
    trace_min_tapping_age_years: int = 6
    #: POINT_OVER_4HA: largest area in hectares a plot may declare with a point instead of a polygon.
    trace_point_max_ha: float = 4.0
    #: AREA_MISMATCH: how far, in % of the polygon's geodesic area, the declared area may differ from it.
    trace_area_tolerance_percent: float = 10.0
    #: PLOT_OVERLAP: share of the smaller polygon, in %, that polygons of different members may overlap.
    trace_overlap_percent: float = 5.0
    #: FAR_FROM_COLLECTOR (a warning): distance in km from the collector beyond which a plot is flagged.
    trace_far_from_collector_km: float = 150.0

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        assert not self.is_postgres
        return Path(self.database_url.removeprefix("sqlite:///"))


def _load_secret(var_dir: Path) -> str:
    """Return the persisted secret key, creating it once so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL so two workers starting at once agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def _check_search_backend(meili_url: str, database_url: str, choice: str) -> None:
    """SettingsError (naming the variables) when the search backend cannot work with the database."""
    from search_index.backend import BackendChoiceError, choose_backend

    try:
        choose_backend(meili_url=meili_url, database_url=database_url, choice=choice)
    except BackendChoiceError as exc:
        raise SettingsError(str(exc)) from None


def load_settings() -> Settings:
    """Build settings from the environment (uncached; prefer ``get_settings``)."""
    env = _env()
    var_dir = Path(env.get("FORESTMATCH_VAR_DIR") or (Path.cwd() / "var")).resolve()
    database_url = env.get("FORESTMATCH_DATABASE_URL") or f"sqlite:///{var_dir / 'forestmatch.db'}"
    secret_key = env.get("FORESTMATCH_SECRET_KEY") or _load_secret(var_dir)
    search_backend = env.get("FORESTMATCH_SEARCH_BACKEND", "").strip().lower()
    _check_search_backend(env.get("FORESTMATCH_MEILI_URL", ""), database_url, search_backend)
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        secret_key=secret_key,
        meili_url=env.get("FORESTMATCH_MEILI_URL", ""),
        meili_key=env.get("FORESTMATCH_MEILI_KEY", ""),
        meili_index_prefix=env.get("FORESTMATCH_MEILI_INDEX_PREFIX", "forestmatch"),
        search_backend=search_backend,
        redis_url=env.get("FORESTMATCH_REDIS_URL", ""),
        secure_cookies=_bool(env.get("FORESTMATCH_SECURE_COOKIES"), False),
        debug=_bool(env.get("FORESTMATCH_DEBUG"), False),
        password_time_cost=_password_cost(env, "FORESTMATCH_PASSWORD_TIME_COST", 3, 1),
        password_memory_kib=_password_cost(env, "FORESTMATCH_PASSWORD_MEMORY_KIB", 65536, 8 * PASSWORD_LANES),
        login_max_attempts=int(env.get("FORESTMATCH_LOGIN_MAX_ATTEMPTS", "5")),
        login_max_attempts_per_address=int(env.get("FORESTMATCH_LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "50")),
        login_window_seconds=int(env.get("FORESTMATCH_LOGIN_WINDOW_SECONDS", "900")),
        default_locale=env.get("FORESTMATCH_DEFAULT_LOCALE", "es_MX"),
        db_pool_max=int(env.get("FORESTMATCH_DB_POOL_MAX", "10")),
        sync_in_app=_bool(env.get("FORESTMATCH_SYNC_IN_APP"), True),
        list_cache_seconds=float(env.get("FORESTMATCH_LIST_CACHE_SECONDS", "300")),
        listing_index_seconds=float(env.get("FORESTMATCH_LISTING_INDEX_SECONDS", "300")),
        search_cache_entries=int(env["FORESTMATCH_SEARCH_CACHE_ENTRIES"])
        if env.get("FORESTMATCH_SEARCH_CACHE_ENTRIES", "").strip()
        else None,
        base_url=env.get("FORESTMATCH_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        smtp_host=env.get("FORESTMATCH_SMTP_HOST", ""),
        smtp_port=int(env.get("FORESTMATCH_SMTP_PORT", "587")),
        smtp_user=env.get("FORESTMATCH_SMTP_USER", ""),
        smtp_password=env.get("FORESTMATCH_SMTP_PASSWORD", ""),
        smtp_from=env.get("FORESTMATCH_SMTP_FROM") or "ForestMatch <noreply@forestmatch.local>",
        smtp_starttls=_bool(env.get("FORESTMATCH_SMTP_STARTTLS"), True),
        smtp_ssl=_bool(env.get("FORESTMATCH_SMTP_SSL"), False),
        log_format=_choice(env, "FORESTMATCH_LOG_FORMAT", ("text", "json")),
        access_log=_bool(env.get("FORESTMATCH_ACCESS_LOG"), True),
        metrics_token=_token(env, "FORESTMATCH_METRICS_TOKEN"),
        **_trace_thresholds(env),  # type: ignore[arg-type]
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
