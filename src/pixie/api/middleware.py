"""ASGI middleware: request ids and access logs, trailing slashes, CORS, body size, rate limits."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
import structlog
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixie.api.deps import bearer_token, client_ip
from pixie.errors import TooLarge, Unauthorized
from pixie.infra.ratelimit import RateLimiter, Verdict, rule
from pixie.infra.runtime import Runtime
from pixie.logs import access_log
from pixie.services import oauth


async def send_error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = orjson.dumps({"error": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    """Gives every request an id (X-Request-Id), binds it to the logs, and writes the access log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            access_log.record(scope["method"], scope["path"], status, duration_ms, request_id)
            structlog.contextvars.unbind_contextvars("request_id")


class TrailingSlash:
    """``/api/v1/instance/`` is served like ``/api/v1/instance`` (Mastodon.py asks for the former)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/", raw_path=None)
        await self.app(scope, receive, send)


class ApiCors:
    """CORS as Mastodon serves it: any origin, on the API, OAuth and discovery paths only."""

    PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=[
                "Link",
                "X-RateLimit-Reset",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-Request-Id",
                "Idempotency-Key",
            ],
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class BodyLimit:
    """Refuses bodies over the limit with 413 before reading them whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_non_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_non_upload_bytes = max_non_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_bytes if is_upload else self.max_non_upload_bytes
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_error(send, 400, "The Content-Length header is not a number")
                return
            if declared > limit:
                await send_error(send, 413, f"The request body is too large (limit {limit} bytes)")
                return
        received = 0
        too_large = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await send_error(send, 413, f"The request body is too large (limit {limit} bytes)")
        except Exception:
            if too_large and not response_started:
                await send_error(send, 413, f"The request body is too large (limit {limit} bytes)")
            else:
                raise


class BodyTooLarge(TooLarge):
    """Raised from inside the app's receive(): a body grew past the limit while it streamed in."""

    def __init__(self) -> None:
        super().__init__("The request body is too large")


class RateLimits:
    """Mastodon's limits: per account (per IP without a token), stricter on sign-up and login.

    Answers carry ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``; past the limit, 429 with
    ``Retry-After``.
    """

    STRICT: Sequence[tuple[str, str, str]] = (
        ("POST", "/api/v1/accounts", "sign_up"),
        ("POST", "/oauth/token", "login"),
        ("POST", "/oauth/authorize", "login"),
        ("POST", "/auth/password", "login"),
        ("POST", "/auth/password/reset", "login"),
        ("POST", "/auth/sign_in", "login"),
        ("POST", "/auth/sign_up", "sign_up"),
    )

    def __init__(self, app: ASGIApp, *, runtime: Runtime, limiter: RateLimiter) -> None:
        self.app = app
        self.rt = runtime
        self.limiter = limiter
        settings = runtime.settings
        self.default = rule(settings.rate_limit_default)
        self.strict = {"sign_up": rule(settings.rate_limit_sign_up), "login": rule(settings.rate_limit_login)}
        self.trusted = settings.trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not self._limited_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        ip = client_ip(request, self.trusted)
        state = scope.setdefault("state", {})
        state["client_ip"] = ip
        key = f"ip:{ip}"
        token = bearer_token(request)
        if token is not None:
            try:
                principal = await oauth.authenticate(self.rt, scope["app"].state.token_cache, token)
            except Unauthorized:
                principal = None
            state["principal"] = principal
            # App-only tokens are counted by address, as Mastodon does: an app's credentials are
            # often public (browser clients), so one bucket per app would let anyone drain it.
            if principal is not None and principal.account_id is not None:
                key = f"account:{principal.account_id}"
        verdict = await self.limiter.hit(self.default, "default", key)
        for method, path, name in self.STRICT:
            if scope["method"] == method and scope["path"] == path:
                strict = await self.limiter.hit(self.strict[name], name, f"ip:{ip}")
                if not strict.allowed or strict.remaining < verdict.remaining:
                    verdict = strict
        headers = _headers(verdict)
        if not verdict.allowed:
            headers.append((b"retry-after", str(verdict.retry_after).encode()))
            await send_error(send, 429, "Too many requests", headers)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _limited_path(path: str) -> bool:
        return path.startswith(("/api/", "/oauth/", "/auth/"))


def _headers(verdict: Verdict) -> list[tuple[bytes, bytes]]:
    reset = datetime.fromtimestamp(verdict.reset_at, tz=UTC)
    reset_text = reset.strftime("%Y-%m-%dT%H:%M:%S.") + f"{reset.microsecond // 1000:03d}Z"
    return [
        (b"x-ratelimit-limit", str(verdict.limit).encode()),
        (b"x-ratelimit-remaining", str(verdict.remaining).encode()),
        (b"x-ratelimit-reset", reset_text.encode()),
    ]
