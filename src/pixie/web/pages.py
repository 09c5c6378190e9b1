"""Rendering pages: Jinja2 with autoescaping, a double-submit CSRF token on every form and htmx
request, a strict Content-Security-Policy, and never framed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pixie.errors import Forbidden, Invalid, TooLarge
from pixie.infra.runtime import Runtime

CSRF_COOKIE = "pixie_csrf"
CSRF_HEADER = "x-csrf-token"
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _csp(settings_media: str, form_action: str) -> str:
    # No inline script or style, and no eval: htmx is configured for that (see layout.html).
    media = "" if settings_media.startswith("/") else " " + _origin(settings_media)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{media}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else url


def security_headers(rt: Runtime, *, form_action: str = "'self'") -> dict[str, str]:
    return {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": _csp(rt.settings.media_base_url, form_action),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def _sign(rt: Runtime, nonce: str) -> str:
    key = rt.settings.ensure_secret_key().encode()
    return hmac.new(key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def _ago(value: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - value).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_env.filters["ago"] = _ago
_env.filters["iso"] = lambda value: value.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(
    rt: Runtime,
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    form_action: str = "'self'",
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    assets = request.app.state.assets
    body = _env.get_template(template).render(
        instance_title=rt.settings.instance_title,
        csrf_token=_sign(rt, nonce),
        asset=assets.url,
        viewer=getattr(request.state, "viewer", None),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(
        body,
        status_code=status_code,
        headers={**security_headers(rt, form_action=form_action), **(headers or {})},
    )
    if request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="lax",
            secure=rt.settings.base_url.startswith("https://"),
            path="/",
        )
    return response


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    rt: Runtime = request.app.state.runtime
    titles = {400: "Bad request", 401: "Sign in", 403: "Not allowed", 404: "Not found", 413: "Too large"}
    if request.headers.get("hx-request") == "true":
        # htmx leaves error answers unswapped; app.js shows this text next to what was clicked.
        return HTMLResponse(message, status_code=status_code, headers=security_headers(rt))
    return render(
        rt,
        request,
        "error.html",
        status_code=status_code,
        title=titles.get(status_code, "Something went wrong"),
        message=message,
    )


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


async def checked_files_form(request: Request, *, max_files: int) -> tuple[dict[str, str], FormData]:
    """A multipart web form (images) with this browser's CSRF token: its text fields, and the
    whole form for its files; 403 without the token."""
    rt: Runtime = request.app.state.runtime
    try:
        submitted = await request.form(max_files=max_files)
    except TooLarge:
        raise
    except Exception:
        raise Invalid("The form could not be read. Reload the page and try again.") from None
    fields = text_fields(submitted.multi_items())
    if fields is None or not csrf_ok(rt, request, fields.get("csrf_token")):
        raise Forbidden("The form expired or came from another site. Reload the page and try again.")
    return fields, submitted


def uploaded_files(form: FormData, name: str) -> list[UploadFile]:
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


async def checked_form(request: Request) -> dict[str, str]:
    """A web form that carries this browser's CSRF token (a field, or htmx's header); 403 otherwise."""
    rt: Runtime = request.app.state.runtime
    form = await form_fields(request)
    if form is None:
        raise Forbidden("The form could not be read. Reload the page and try again.")
    if not csrf_ok(rt, request, form.get("csrf_token") or request.headers.get(CSRF_HEADER)):
        raise Forbidden("The form expired or came from another site. Reload the page and try again.")
    return form
