"""The OAuth token and revocation endpoints (the consent page is in web/oauth.py)."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends, Request

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import RevokeRequest, Token, TokenRequest
from pixie.convert import accounts as convert
from pixie.infra.runtime import Runtime
from pixie.services import oauth
from pixie.services.oauth import OAuthError

router = APIRouter(tags=["oauth"])


def _client_credentials(
    request: Request, client_id: str | None, client_secret: str | None
) -> tuple[str | None, str | None]:
    """From the body, or from HTTP Basic (client_secret_basic)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise oauth.invalid_client() from None
        basic_id, _, basic_secret = decoded.partition(":")
        return basic_id, basic_secret
    return client_id, client_secret


@router.post(
    "/oauth/token",
    response_model=Token,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(TokenRequest),
    summary="Obtain a token (authorization_code with PKCE, password, client_credentials, refresh_token)",
)
async def token(
    request: Request,
    _: Caller = Depends(Auth.public()),
    req: TokenRequest = Depends(params(TokenRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    client_id, client_secret = _client_credentials(request, req.client_id, req.client_secret)
    if req.grant_type not in oauth.GRANT_TYPES:
        raise OAuthError(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    public_client = req.grant_type == "authorization_code" and client_secret is None
    if public_client:
        # A public client (no secret) proves itself with PKCE instead; the grant checks that the
        # code was issued with a challenge.
        app = await oauth.find_application(rt, client_id or "")
        if app is None:
            raise oauth.invalid_client()
    else:
        app = await oauth.authenticate_client(rt, client_id, client_secret)
    if req.grant_type not in app.grant_types.split():
        raise OAuthError("unauthorized_client", "The client is not authorized to use this grant type.")
    match req.grant_type:
        case "authorization_code":
            if not req.code:
                raise OAuthError("invalid_request", "The code parameter is missing.")
            issued = await oauth.authorization_code_grant(
                rt,
                app,
                code=req.code,
                redirect_uri=req.redirect_uri,
                code_verifier=req.code_verifier,
                client_authenticated=not public_client,
            )
        case "password":
            if not req.username or req.password is None:
                raise OAuthError("invalid_request", "The username and password parameters are required.")
            issued = await oauth.password_grant(
                rt, app, email=req.username, password=req.password, scope=req.scope
            )
        case "client_credentials":
            issued = await oauth.client_credentials_grant(rt, app, scope=req.scope)
        case _:
            if not req.refresh_token:
                raise OAuthError("invalid_request", "The refresh_token parameter is missing.")
            issued = await oauth.refresh_token_grant(rt, app, refresh_token=req.refresh_token)
    return JSON(convert.token(issued), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post(
    "/oauth/revoke",
    response_model=dict[str, str],
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(RevokeRequest),
    summary="Revoke an access or refresh token",
)
async def revoke(
    request: Request,
    _: Caller = Depends(Auth.public()),
    req: RevokeRequest = Depends(params(RevokeRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    client_id, client_secret = _client_credentials(request, req.client_id, req.client_secret)
    app = await oauth.authenticate_client(rt, client_id, client_secret)
    if req.token:
        await oauth.revoke_token(rt, app, req.token)
    return JSON({})
