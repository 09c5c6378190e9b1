"""What a test needs to walk the OAuth pages like a browser: form fields and PKCE pairs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser


class _InputFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            found = dict(attrs)
            if found.get("name"):
                self.fields[str(found["name"])] = found.get("value") or ""


def form_of(html: str) -> dict[str, str]:
    """The named inputs of a page and their values."""
    parser = _InputFields()
    parser.feed(html)
    return parser.fields


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge
