"""What every endpoint depends on: the runtime, the caller and the scope it needs."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from fastapi import Request

from pixie.errors import Forbidden, Invalid, Unauthorized
from pixie.infra.runtime import Runtime
from pixie.services import oauth
from pixie.services.oauth import Principal


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def runtime(request: Request) -> Runtime:
    # async, so FastAPI calls it inline instead of hopping to its thread pool on every request
    return runtime_of(request)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # Mastodon also takes the token as a parameter (streaming clients use it).
    return request.query_params.get("access_token") or None


async def principal_of(request: Request) -> Principal | None:
    """The caller behind the request's token, looked up once per request (and cached)."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    token = bearer_token(request)
    found = None
    if token is not None:
        found = await oauth.authenticate(runtime_of(request), request.app.state.token_cache, token)
    request.state.principal = found
    return found


_STATE_ERRORS = {
    oauth.SUSPENDED: "Your login is currently disabled",
    oauth.UNCONFIRMED: "Your login is missing a confirmed e-mail address",
    oauth.PENDING: "Your login is currently pending approval",
}


@dataclass(frozen=True)
class Caller:
    principal: Principal | None

    @property
    def viewer_id(self) -> int | None:
        """The signed-in account, or None for an anonymous (or app-only) caller."""
        return self.principal.account_id if self.principal else None

    @property
    def account_id(self) -> int:
        """The signed-in account (endpoints that require a user only)."""
        assert self.principal is not None and self.principal.account_id is not None
        return self.principal.account_id


class Auth:
    """The scope an endpoint needs, declared on the route (a test checks that every route has one).

    ``Auth("read:accounts")``: a user token with that scope (401 without a valid token, 403
    without the scope or for a suspended, unconfirmed or pending account, 422 for an app token).
    ``Auth("write:accounts", user=False)``: an app token is enough. ``Auth.public()``: no token
    needed; one that is sent is still checked, as Mastodon does.
    """

    def __init__(self, *scopes: str, user: bool = True, optional: bool = False) -> None:
        self.scopes: Sequence[str] = scopes
        self.user = user
        self.optional = optional

    @classmethod
    def public(cls) -> Auth:
        return cls(user=False, optional=True)

    @property
    def is_public(self) -> bool:
        return self.optional and not self.scopes

    async def __call__(self, request: Request) -> Caller:
        try:
            principal = await principal_of(request)
        except Unauthorized:
            if self.is_public:
                return Caller(None)  # a stale token does not lock anyone out of public pages
            raise
        if principal is None:
            if self.optional:
                return Caller(None)
            raise Unauthorized("The access token is invalid")
        if self.scopes and not any(principal.allows(scope) for scope in self.scopes):
            raise Forbidden("This action is outside the authorized scopes")
        if principal.account_id is None:
            if self.user:
                raise Invalid("This method requires an authenticated user")
        elif principal.state in _STATE_ERRORS:
            raise Forbidden(_STATE_ERRORS[principal.state])
        return Caller(principal)


@cache
def trusted_networks(proxies: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p, strict=False) for p in proxies]


def client_ip(request: Request, trusted_proxies: Sequence[str]) -> str:
    """The client's address; X-Forwarded-For is believed only from a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies:
        return peer
    networks = trusted_networks(tuple(trusted_proxies))

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    if not trusted(peer):
        return peer
    # Every X-Forwarded-For line, in order: a proxy may add its own line after the client's.
    lines = request.headers.getlist("x-forwarded-for")
    hops = [h.strip() for line in lines for h in line.split(",") if h.strip()]
    # Walk back from the nearest hop; the first address that is not a trusted proxy is the client.
    for hop in reversed(hops):
        if not trusted(hop):
            return hop
    return hops[0] if hops else peer
