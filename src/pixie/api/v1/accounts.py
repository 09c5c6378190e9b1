from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from starlette.datastructures import UploadFile

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import (
    Account,
    AccountSearchQuery,
    CredentialAccount,
    LookupQuery,
    Preferences,
    RegisterRequest,
    Token,
    UpdateCredentialsRequest,
)
from pixie.convert import accounts as convert
from pixie.errors import BadRequest
from pixie.infra.runtime import Runtime
from pixie.services import accounts, search

router = APIRouter(tags=["accounts"])

ACCOUNT_ID = Path(description="An account id")


def _field_index(key: str) -> int:
    """Rails sends profile fields as fields_attributes[0], [1], ...: keep their order."""
    return int(key) if key.isascii() and key.isdigit() else 0


@router.post(
    "/api/v1/accounts",
    response_model=Token,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(RegisterRequest),
    summary="Sign up (with an app token); answers the new account's token",
)
async def register(
    caller: Caller = Depends(Auth("write:accounts", user=False)),
    req: RegisterRequest = Depends(params(RegisterRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    assert caller.principal is not None
    result = await accounts.register(
        rt,
        username=req.username,
        email=req.email,
        password=req.password,
        agreement=req.agreement,
        locale=req.locale,
        reason=req.reason,
        invite_code=req.invite_code,
        ai_training_consent=bool(req.pixie.get("ai_training_consent", False)),
        application_id=caller.principal.application_id,
        scopes=caller.principal.scopes,
    )
    assert result.token is not None
    return JSON(convert.token(result.token))


@router.get(
    "/api/v1/accounts/verify_credentials",
    response_model=CredentialAccount,
    responses=errors(401, 403, 422),
    summary="The signed-in account, with its source",
)
async def verify_credentials(
    caller: Caller = Depends(Auth("read:accounts", "profile")), rt: Runtime = Depends(runtime)
) -> JSON:
    account, user = await accounts.get_user(rt, caller.account_id)
    return JSON(convert.credential_account(rt.settings, account, user))


@router.patch(
    "/api/v1/accounts/update_credentials",
    response_model=CredentialAccount,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(UpdateCredentialsRequest),
    summary="Change the signed-in account's profile and preferences",
)
async def update_credentials(
    caller: Caller = Depends(Auth("write:accounts")),
    req: UpdateCredentialsRequest = Depends(params(UpdateCredentialsRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    fields = None
    if req.fields_attributes is not None:
        items = (
            [req.fields_attributes[k] for k in sorted(req.fields_attributes, key=_field_index)]
            if isinstance(req.fields_attributes, dict)
            else req.fields_attributes
        )
        fields = [(f.name, f.value) for f in items]
    source = req.source
    changes = accounts.ProfileChanges(
        display_name=req.display_name,
        note=req.note,
        locked=req.locked,
        bot=req.bot,
        discoverable=req.discoverable,
        indexable=req.indexable,
        fields=fields,
        privacy=source.privacy if source else None,
        sensitive=source.sensitive if source else None,
        language=source.language if source else None,
        ai_training_consent=req.pixie.ai_training_consent if req.pixie else None,
        hide_prompt=req.pixie.hide_prompt if req.pixie else None,
        allow_remix=req.pixie.allow_remix if req.pixie else None,
        direct_messages=source.pixie.direct_messages if source and source.pixie else None,
    )
    images = {
        kind: await upload.read()
        for kind, upload in (("avatar", req.avatar), ("header", req.header))
        if isinstance(upload, UploadFile)
    }
    account, user = await accounts.update_profile(rt, caller.account_id, changes, images=images)
    return JSON(convert.credential_account(rt.settings, account, user))


@router.get(
    "/api/v1/accounts/lookup",
    response_model=Account,
    responses=errors(400, 404, 422),
    openapi_extra=query_schema(LookupQuery),
    summary="Find an account by its acct (name or name@this.domain)",
)
async def lookup(
    _: Caller = Depends(Auth.public()),
    query: LookupQuery = Depends(params(LookupQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.account(rt.settings, await accounts.lookup(rt, query.acct)))


@router.get(
    "/api/v1/accounts/search",
    response_model=list[Account],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(AccountSearchQuery),
    summary="Accounts whose name matches, for mention autocomplete",
)
async def search_accounts(
    caller: Caller = Depends(Auth("read:accounts", optional=True)),
    query: AccountSearchQuery = Depends(params(AccountSearchQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    if not query.q:
        raise BadRequest("param is missing or the value is empty: q")
    found = await search.search(
        rt,
        caller.viewer_id,
        search.SearchRequest(
            q=query.q, type="accounts", limit=query.limit, offset=query.offset, following=query.following
        ),
    )
    return JSON([convert.account(rt.settings, a) for a in found.accounts])


@router.get(
    "/api/v1/accounts/{account_id}",
    response_model=Account,
    responses=errors(404),
    summary="An account's public profile",
)
async def get_account(
    account_id: str = ACCOUNT_ID,
    _: Caller = Depends(Auth.public()),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.account(rt.settings, await accounts.get_account(rt, parse_id(account_id))))


@router.get(
    "/api/v1/preferences",
    response_model=Preferences,
    responses=errors(401, 403, 422),
    summary="The signed-in account's preferences",
)
async def preferences(
    caller: Caller = Depends(Auth("read:accounts")), rt: Runtime = Depends(runtime)
) -> JSON:
    _, user = await accounts.get_user(rt, caller.account_id)
    return JSON(convert.preferences(user))
