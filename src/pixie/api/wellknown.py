"""Discovery documents: WebFinger, NodeInfo, OAuth server metadata, and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import (
    AuthorizationServerMetadata,
    Health,
    NodeInfo,
    NodeInfoLinks,
    WebFinger,
    WebFingerQuery,
)
from pixie.convert import instance as convert
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.services import accounts, instance, scopes

router = APIRouter(tags=["discovery"])


@router.get(
    "/.well-known/webfinger",
    response_model=WebFinger,
    responses=errors(400, 404, 422),
    openapi_extra=query_schema(WebFingerQuery),
    summary="Find a local account by acct: URI",
)
async def webfinger(
    _: Caller = Depends(Auth.public()),
    query: WebFingerQuery = Depends(params(WebFingerQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    resource = query.resource.strip()
    if resource.startswith("acct:"):
        account = await accounts.lookup(rt, resource[5:])
    elif resource.startswith(rt.settings.base_url + "/"):
        name = resource[len(rt.settings.base_url) + 1 :].removeprefix("@").removeprefix("users/")
        account = await accounts.lookup(rt, name)
    else:
        raise NotFound()
    profile = rt.settings.url(f"/@{account.username}")
    return JSON(
        {
            "subject": f"acct:{account.username}@{rt.settings.domain}",
            "aliases": [profile, rt.settings.url(f"/users/{account.username}")],
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
            ],
        },
        media_type="application/jrd+json",
    )


@router.get(
    "/.well-known/nodeinfo", response_model=NodeInfoLinks, responses=errors(), summary="Where NodeInfo is"
)
async def nodeinfo_links(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(
        {
            "links": [
                {
                    "rel": f"http://nodeinfo.diaspora.software/ns/schema/{version}",
                    "href": rt.settings.url(f"/nodeinfo/{version}"),
                }
                for version in convert.NODEINFO_VERSIONS
            ]
        }
    )


@router.get("/nodeinfo/2.1", response_model=NodeInfo, responses=errors(), summary="NodeInfo 2.1")
async def nodeinfo(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.nodeinfo(rt.settings, await instance.stats(rt)))


@router.get("/nodeinfo/2.0", response_model=NodeInfo, responses=errors(), summary="NodeInfo 2.0")
async def nodeinfo_2_0(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.nodeinfo(rt.settings, await instance.stats(rt), version="2.0"))


@router.get(
    "/.well-known/oauth-authorization-server",
    response_model=AuthorizationServerMetadata,
    responses=errors(),
    summary="OAuth 2 authorization server metadata (RFC 8414)",
)
async def oauth_metadata(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    url = rt.settings.url
    return JSON(
        {
            "issuer": url("/"),
            "authorization_endpoint": url("/oauth/authorize"),
            "token_endpoint": url("/oauth/token"),
            "revocation_endpoint": url("/oauth/revoke"),
            "scopes_supported": sorted(scopes.ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            # Mastodon.py refuses the password grant unless it is listed here.
            "grant_types_supported": [
                "authorization_code",
                "password",
                "client_credentials",
                "refresh_token",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "app_registration_endpoint": url("/api/v1/apps"),
            "service_documentation": url("/openapi.json"),
        }
    )


@router.get("/health", response_model=Health, responses=errors(503), summary="Liveness and backends")
async def health(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    status = 200
    database = "ok"
    try:
        async with rt.db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        database, status = "unavailable", 503
    redis_state = None
    if rt.redis is not None:
        try:
            await rt.redis.ping()  # type: ignore[misc]
            redis_state = "ok"
        except Exception:
            redis_state, status = "unavailable", 503
    return JSON(
        {"status": "ok" if status == 200 else "degraded", "database": database, "redis": redis_state},
        status_code=status,
    )
