"""The shared limit on sign-in attempts (and password-reset requests), in the database or in Redis.

Checking and recording is one atomic step: an attempt is let through only if every key it counts against is under
its limit, and it is counted against all of them in the same step, before the password is checked. So however
many requests race for one account, exactly ``limit`` of them get a password checked. On SQLite the step is an
IMMEDIATE transaction (the database's write lock); on PostgreSQL a transaction holding an advisory lock per key
(taken in key order, so two attempts never deadlock); on Redis one Lua script.

A successful sign-in clears the account's failures and takes its own count back from the address, so only
failures weigh on an address. Counts live in a window of ``window`` seconds: sliding in the database (each failure
is a row with its time), fixed in Redis (a counter that expires ``window`` seconds after its first failure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.accounts.tables import LoginAttempt
from app.db import atomic, engine
from app.settings import get_settings

#: KEYS: the counters; ARGV[1]: window in seconds; ARGV[1 + i]: the limit of KEYS[i]. Returns 1 if counted, else 0.
_TAKE_LUA = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""
#: Take one attempt back from a counter (never below zero).
_GIVE_BACK_LUA = """
local left = redis.call('DECR', KEYS[1])
if left <= 0 then redis.call('DEL', KEYS[1]) end
return left
"""


@dataclass(frozen=True)
class Attempt:
    """An attempt let through the limit, already counted against its keys."""

    keys: tuple[str, ...]
    #: Database store: the login_attempt row recorded for each key (same order); empty with Redis.
    row_ids: tuple[int, ...] = ()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LoginRateLimiter:
    """Attempts per key in a window, stored where every worker sees them (database or Redis)."""

    def __init__(
        self,
        *,
        max_attempts: int | None = None,
        address_max_attempts: int | None = None,
        window: int | None = None,
        redis_url: str | None = None,
        prefix: str = "fm:login:",
    ) -> None:
        settings = get_settings()
        #: Failures allowed per account (e-mail) in the window.
        self.max_attempts = settings.login_max_attempts if max_attempts is None else max_attempts
        #: Failures allowed per client address in the window, on any accounts (larger: offices share addresses).
        self.address_max_attempts = (
            settings.login_max_attempts_per_address if address_max_attempts is None else address_max_attempts
        )
        self.window = settings.login_window_seconds if window is None else window
        self.prefix = prefix
        self.redis: Any = None
        url = settings.redis_url if redis_url is None else redis_url
        if url:
            import redis.asyncio as redis_asyncio

            self.redis = redis_asyncio.from_url(url)

    async def take(self, limits: list[tuple[str, int]]) -> Attempt | None:
        """Count one attempt against every ``(key, limit)`` if all are under their limits; None (nothing counted)
        when any is not."""
        keys = tuple(key for key, _limit in limits)
        if self.redis is not None:
            counted = await self.redis.eval(
                _TAKE_LUA,
                len(keys),
                *(self.prefix + k for k in keys),
                self.window,
                *(limit for _key, limit in limits),
            )
            return Attempt(keys) if int(counted) == 1 else None
        moment = _now()
        since = moment - dt.timedelta(seconds=self.window)
        async with atomic():
            if isinstance(engine(), PostgresEngine):
                for key in sorted(set(keys)):  # one order for everyone: two attempts never wait on each other
                    await LoginAttempt.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", "login:" + key)
            for key, limit in limits:
                recent = LoginAttempt.count().where((LoginAttempt.key == key) & (LoginAttempt.attempted_at > since))
                if await recent >= limit:
                    return None
            rows = await LoginAttempt.insert(*(LoginAttempt(key=key, attempted_at=moment) for key in keys)).returning(
                LoginAttempt.id
            )
            # Keep the table small: forget attempts older than the window.
            await LoginAttempt.delete().where(LoginAttempt.attempted_at < since)
        return Attempt(keys, tuple(int(r["id"]) for r in rows))

    async def give_back(self, attempt: Attempt, key: str) -> None:
        """Stop counting this attempt against ``key`` (a sign-in that succeeded is no failure of its address)."""
        if key not in attempt.keys:
            return
        if self.redis is not None:
            await self.redis.eval(_GIVE_BACK_LUA, 1, self.prefix + key)
            return
        await LoginAttempt.delete().where(LoginAttempt.id == attempt.row_ids[attempt.keys.index(key)])

    async def clear(self, key: str) -> None:
        """Forget every attempt counted against ``key``."""
        if self.redis is not None:
            await self.redis.delete(self.prefix + key)
            return
        await LoginAttempt.delete().where(LoginAttempt.key == key)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
