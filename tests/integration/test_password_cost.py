"""The cost of password hashes: Argon2id at the configured cost, the default RFC 9106's, hashes made at another cost
hashed again at the next sign-in, and a cost the settings cannot take refused with the variable's name."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from app.accounts.services import authenticate, hash_password, verify_password
from app.accounts.tables import User
from app.settings import SettingsError, load_settings
from tests.factories import PASSWORD, make_user


def _params(password_hash: str) -> str:
    """The ``m=...,t=...,p=...`` part of an encoded Argon2 hash."""
    return password_hash.split("$")[3]


def test_the_default_cost_is_argon2_cffis(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("FORESTMATCH_PASSWORD_TIME_COST")
    monkeypatch.delenv("FORESTMATCH_PASSWORD_MEMORY_KIB")
    monkeypatch.setenv("FORESTMATCH_VAR_DIR", str(tmp_path))
    settings = load_settings()
    assert (settings.password_time_cost, settings.password_memory_kib) == (3, 65536)
    reference = PasswordHasher()
    assert (reference.time_cost, reference.memory_cost, reference.parallelism) == (3, 65536, 4)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FORESTMATCH_PASSWORD_TIME_COST", "0", "FORESTMATCH_PASSWORD_TIME_COST=0: give at least 1."),
        ("FORESTMATCH_PASSWORD_MEMORY_KIB", "16", "FORESTMATCH_PASSWORD_MEMORY_KIB=16: give at least 32."),
        ("FORESTMATCH_PASSWORD_MEMORY_KIB", "lots", "FORESTMATCH_PASSWORD_MEMORY_KIB='lots' is not a whole number."),
    ],
)
def test_a_cost_the_hasher_cannot_take_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("FORESTMATCH_VAR_DIR", str(tmp_path))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == message


def test_hashes_carry_the_configured_cost_and_verify() -> None:
    # The test run's settings (tests/conftest.py): one pass over 1 MiB, four lanes.
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$v=19$")
    assert _params(stored) == "m=1024,t=1,p=4"
    assert verify_password(stored, "a long enough password") is True
    assert verify_password(stored, "another password") is False
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, "another password")  # the stored cost is read from the hash itself


async def test_a_hash_of_another_cost_is_made_again_at_the_next_sign_in(clean_db: str) -> None:
    user = await make_user("buyer")
    older = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=4).hash(PASSWORD)
    await User.update({User.password_hash: older}).where(User.id == user.id)

    assert await authenticate(user.email, "not the password") is None
    assert (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"] == older

    signed_in = await authenticate(user.email, PASSWORD)
    assert signed_in is not None and signed_in.id == user.id
    stored = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
    assert _params(older) == "m=2048,t=2,p=4"
    assert _params(stored) == "m=1024,t=1,p=4"
    assert verify_password(stored, PASSWORD) is True
    # Signed in again at the configured cost: the hash stays as it is.
    assert await authenticate(user.email, PASSWORD) is not None
    assert (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"] == stored
