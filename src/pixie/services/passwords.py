"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so both answers take the same time (made on
    first use, not at import, where it would slow every start)."""
    return _hasher.hash("pixie-dummy-password-for-timing")


MIN_LENGTH = 8
MAX_LENGTH = 72


async def hash_password(password: str) -> str:
    # Hashing takes tens of milliseconds of CPU: off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_verify)
