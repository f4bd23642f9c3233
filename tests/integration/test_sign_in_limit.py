"""The sign-in limit: checking and recording an attempt is one atomic step, on SQLite, PostgreSQL and Redis.

Concurrent wrong passwords for one account get exactly the limit checked, never more (the probe got 12 of 30 and
18 of 60 past a limit of 5). The per-account lock (failures on an account from anywhere) is separate from the
per-address throttle (failures from one address on any account, with a larger limit), so one office behind NAT is
not locked out by a colleague's typos.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from piccolo.engine.postgres import PostgresEngine

from app.accounts.rate_limit import LoginRateLimiter
from app.accounts.services import sign_in
from app.accounts.services import users as account_users
from app.accounts.tables import LoginAttempt
from app.db import engine
from app.validation import FieldErrors
from tests.factories import PASSWORD, make_user

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database number of its own, and a fresh key prefix per test
TOO_MANY = "Too many failed attempts. Wait a few minutes and try again."
NOT_RIGHT = "E-mail or password is not right."


async def _redis_available() -> str | None:
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # no server: the Redis variant is skipped with the reason
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    finally:
        await client.aclose()
    return None


@pytest.fixture(name="store", params=["database", "redis"])
async def fx_store(request: pytest.FixtureRequest, clean_db: str) -> AsyncIterator[str]:
    """Where the limiter keeps its counts; on PostgreSQL a pool of 10 connections, like one production worker."""
    if request.param == "redis" and (reason := await _redis_available()):
        pytest.skip(reason)
    db = engine()
    pooled = isinstance(db, PostgresEngine)
    if pooled:
        await db.start_connection_pool(min_size=1, max_size=10)
    try:
        yield request.param
    finally:
        if pooled:
            await db.close_connection_pool()


def _limiter(store: str, *, max_attempts: int = 5, address_max_attempts: int = 50) -> LoginRateLimiter:
    redis = {"redis_url": REDIS_URL, "prefix": f"fm-test-{secrets.token_hex(4)}:"} if store == "redis" else {}
    return LoginRateLimiter(max_attempts=max_attempts, address_max_attempts=address_max_attempts, window=900, **redis)


async def _outcome(email: str, password: str, client: str, limiter: LoginRateLimiter) -> str:
    try:
        await sign_in(email, password, client, limiter)
    except FieldErrors as exc:
        return next(iter(exc.errors.values()))
    return "signed in"


async def _recorded(limiter: LoginRateLimiter, key: str) -> int:
    """Failures the limiter holds against ``key`` (a Redis counter or rows of login_attempt)."""
    if limiter.redis is not None:
        value = await limiter.redis.get(limiter.prefix + key)
        return int(value or 0)
    return await LoginAttempt.count().where(LoginAttempt.key == key)


@pytest.mark.parametrize("tries", [30, 60])
async def test_concurrent_wrong_passwords_check_exactly_the_limit(
    store: str, tries: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user("producer", email=f"target-{tries}@example.org")
    checked = 0
    real_verify = account_users.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        nonlocal checked
        checked += 1
        return real_verify(password_hash, password)

    monkeypatch.setattr(account_users, "verify_password", counting_verify)
    limiter = _limiter(store)
    # Each try comes from its own address, so only the per-account lock applies.
    outcomes = await asyncio.gather(
        *(_outcome(user.email, f"wrong password {i}", f"10.0.{i // 250}.{i % 250}", limiter) for i in range(tries))
    )
    assert Counter(outcomes) == {NOT_RIGHT: 5, TOO_MANY: tries - 5}
    assert checked == 5
    assert await _recorded(limiter, "account:" + user.email) == 5
    # The right password is refused too while the account is locked, and checks nothing.
    assert await _outcome(user.email, PASSWORD, "10.9.9.9", limiter) == TOO_MANY
    assert checked == 5
    await limiter.close()


async def test_a_colleague_behind_the_same_address_still_signs_in(store: str) -> None:
    clumsy = await make_user("buyer", email="clumsy@example.org")
    colleague = await make_user("buyer", email="colleague@example.org")
    limiter = _limiter(store)
    office = "203.0.113.7"
    outcomes = [await _outcome(clumsy.email, "not my password", office, limiter) for _ in range(6)]
    assert outcomes == [NOT_RIGHT] * 5 + [TOO_MANY]
    assert await _outcome(colleague.email, PASSWORD, office, limiter) == "signed in"
    # The locked account stays locked from anywhere else, too.
    assert await _outcome(clumsy.email, PASSWORD, "198.51.100.20", limiter) == TOO_MANY
    await limiter.close()


async def test_the_address_throttle_counts_failures_on_any_account_but_not_sign_ins(store: str) -> None:
    users = [await make_user("producer", email=f"member-{i}@example.org") for i in range(2)]
    limiter = _limiter(store, address_max_attempts=4)
    office = "192.0.2.44"
    # Successful sign-ins from the address are not held against it.
    for user in users * 3:
        assert await _outcome(user.email, PASSWORD, office, limiter) == "signed in"
    # Four failures spread over accounts (none reaches its own limit) exhaust the address.
    for i in range(4):
        assert await _outcome(users[i % 2].email, "wrong again", office, limiter) == NOT_RIGHT
    assert await _outcome(users[0].email, PASSWORD, office, limiter) == TOO_MANY
    assert await _recorded(limiter, "address:" + office) == 4
    # The same accounts still sign in from another address.
    assert await _outcome(users[0].email, PASSWORD, "192.0.2.45", limiter) == "signed in"
    await limiter.close()
