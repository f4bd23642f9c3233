"""Settings read once from ``FORESTMATCH_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Every field maps to one ``FORESTMATCH_<NAME>`` variable."""

    #: Directory for the SQLite file, the generated secret key, the search index and the local maildir.
    var_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    #: ``sqlite:///path/to/file.db`` (default ``var/forestmatch.db``) or ``postgresql://user@host:port/db``.
    database_url: str = ""
    #: Signs session cookies and CSRF tokens. Generated into ``var/secret_key`` when unset.
    secret_key: str = ""
    #: Meilisearch server URL; unset means the embedded search backend.
    meili_url: str = ""
    #: Meilisearch API key.
    meili_key: str = ""
    #: Prefix for Meilisearch index names, so deployments can share a server.
    meili_index_prefix: str = "forestmatch"
    #: Redis URL for shared short-lived state (login rate limits); unset means the database is used.
    redis_url: str = ""
    #: Mark cookies ``Secure`` (set when served over HTTPS).
    secure_cookies: bool = False
    #: Debug mode: tracebacks in responses. Never on in production.
    debug: bool = False
    #: Failed sign-ins allowed per account (e-mail), from any address, within ``login_window_seconds``.
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
    #: Seconds a public listing fragment may be reused by a worker (0 disables the micro-cache).
    list_cache_seconds: float = 2.0
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


def load_settings() -> Settings:
    """Build settings from the environment (uncached; prefer ``get_settings``)."""
    env = _env()
    var_dir = Path(env.get("FORESTMATCH_VAR_DIR") or (Path.cwd() / "var")).resolve()
    database_url = env.get("FORESTMATCH_DATABASE_URL") or f"sqlite:///{var_dir / 'forestmatch.db'}"
    secret_key = env.get("FORESTMATCH_SECRET_KEY") or _load_secret(var_dir)
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        secret_key=secret_key,
        meili_url=env.get("FORESTMATCH_MEILI_URL", ""),
        meili_key=env.get("FORESTMATCH_MEILI_KEY", ""),
        meili_index_prefix=env.get("FORESTMATCH_MEILI_INDEX_PREFIX", "forestmatch"),
        redis_url=env.get("FORESTMATCH_REDIS_URL", ""),
        secure_cookies=_bool(env.get("FORESTMATCH_SECURE_COOKIES"), False),
        debug=_bool(env.get("FORESTMATCH_DEBUG"), False),
        login_max_attempts=int(env.get("FORESTMATCH_LOGIN_MAX_ATTEMPTS", "5")),
        login_max_attempts_per_address=int(env.get("FORESTMATCH_LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "50")),
        login_window_seconds=int(env.get("FORESTMATCH_LOGIN_WINDOW_SECONDS", "900")),
        default_locale=env.get("FORESTMATCH_DEFAULT_LOCALE", "es_MX"),
        db_pool_max=int(env.get("FORESTMATCH_DB_POOL_MAX", "10")),
        sync_in_app=_bool(env.get("FORESTMATCH_SYNC_IN_APP"), True),
        list_cache_seconds=float(env.get("FORESTMATCH_LIST_CACHE_SECONDS", "2")),
        base_url=env.get("FORESTMATCH_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        smtp_host=env.get("FORESTMATCH_SMTP_HOST", ""),
        smtp_port=int(env.get("FORESTMATCH_SMTP_PORT", "587")),
        smtp_user=env.get("FORESTMATCH_SMTP_USER", ""),
        smtp_password=env.get("FORESTMATCH_SMTP_PASSWORD", ""),
        smtp_from=env.get("FORESTMATCH_SMTP_FROM") or "ForestMatch <noreply@forestmatch.local>",
        smtp_starttls=_bool(env.get("FORESTMATCH_SMTP_STARTTLS"), True),
        smtp_ssl=_bool(env.get("FORESTMATCH_SMTP_SSL"), False),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
