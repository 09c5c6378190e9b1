"""Rendering plain, accessible HTML pages, with a double-submit CSRF token and no framing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pixie.errors import TooLarge
from pixie.infra.runtime import Runtime

CSRF_COOKIE = "pixie_csrf"
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=False,
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    # form-action must allow the app's redirect URI, which may be anywhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' *; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _sign(rt: Runtime, nonce: str) -> str:
    key = rt.settings.ensure_secret_key().encode()
    return hmac.new(key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def render(
    rt: Runtime, request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    body = _env.get_template(template).render(
        instance_title=rt.settings.instance_title, csrf_token=_sign(rt, nonce), **context
    )
    response = HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https://"),
        path="/",
    )
    return response


def csrf_ok(rt: Runtime, request: Request, submitted: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    return bool(nonce and submitted and hmac.compare_digest(_sign(rt, nonce), submitted))


def text_fields(items: Iterable[tuple[str, Any]]) -> dict[str, str] | None:
    """The text fields of a query or form, or None when one holds a NUL character (which the
    database would refuse)."""
    fields = {key: value for key, value in items if isinstance(value, str)}
    if any("\x00" in key or "\x00" in value for key, value in fields.items()):
        return None
    return fields


async def form_fields(request: Request) -> dict[str, str] | None:
    """The submitted form's text fields, or None when it cannot be read or holds NUL characters."""
    try:
        form = await request.form()
    except TooLarge:
        raise
    except Exception:
        return None
    return text_fields(form.multi_items())
