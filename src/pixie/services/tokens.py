"""Random secrets handed to people (tokens, codes, invites); only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    # Unkeyed on purpose: the secrets are 256 random bits, so a plain hash cannot be reversed,
    # and it keeps look-up to one indexed equality query.
    return hashlib.sha256(secret.encode()).hexdigest()
