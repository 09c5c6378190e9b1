from __future__ import annotations

from fastapi import APIRouter, Depends

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import Application, CreateAppRequest, CredentialApplication
from pixie.convert import accounts as convert
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.services import oauth

router = APIRouter(tags=["apps"])


@router.post(
    "/api/v1/apps",
    response_model=CredentialApplication,
    responses=errors(400, 422),
    openapi_extra=body_schema(CreateAppRequest),
    summary="Register a client application",
)
async def create_app(
    _: Caller = Depends(Auth.public()),
    req: CreateAppRequest = Depends(params(CreateAppRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    uris = "\n".join(req.redirect_uris) if isinstance(req.redirect_uris, list) else req.redirect_uris
    created = await oauth.create_application(
        rt,
        name=req.client_name,
        redirect_uris=uris,
        scopes=req.scopes,
        website=req.website,
        grant_types=req.grant_types,
    )
    return JSON(convert.application(created.application, client_secret=created.client_secret))


@router.get(
    "/api/v1/apps/verify_credentials",
    response_model=Application,
    responses=errors(401),
    summary="The application behind the token",
)
async def verify_app(caller: Caller = Depends(Auth(user=False)), rt: Runtime = Depends(runtime)) -> JSON:
    assert caller.principal is not None
    app = await oauth.get_application(rt, caller.principal.application_id)
    if app is None:
        raise NotFound()
    return JSON(convert.application(app))
