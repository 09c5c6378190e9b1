"""Filters: ``/api/v2/filters`` with their keywords and posts, and the v1 ``/api/v1/filters``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import (
    Empty,
    FilterEntity,
    FilterKeywordEntity,
    FilterKeywordRequest,
    FilterRequest,
    FilterStatusEntity,
    FilterStatusRequest,
    V1Filter,
    V1FilterRequest,
)
from pixie.convert import filters as convert
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.services import filters

router = APIRouter(tags=["filters"])
FILTER_ID = Path(description="A filter id")
KEYWORD_ID = Path(description="A filter keyword id")
STATUS_FILTER_ID = Path(description="A filtered status's id within its filter")
READ = Auth("read:filters")
WRITE = Auth("write:filters")


def _contexts(raw: list[str] | str | None) -> list[str] | None:
    if raw is None:
        return None
    return [raw] if isinstance(raw, str) else raw


def _expires_in(raw: int | str | None) -> int | None:
    """Seconds from now; empty or absent: never."""
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid("Validation failed: Expires in is not a number") from None


def _changes(req: FilterRequest) -> filters.FilterChanges:
    attributes: list[Any] = []
    if isinstance(req.keywords_attributes, dict):
        attributes = [req.keywords_attributes[k] for k in sorted(req.keywords_attributes)]
    elif req.keywords_attributes is not None:
        attributes = req.keywords_attributes
    return filters.FilterChanges(
        title=req.title,
        context=_contexts(req.context),
        action=req.filter_action,
        expires_in=_expires_in(req.expires_in),
        expires="expires_in" in req.model_fields_set,
        keywords=[
            filters.KeywordChange(
                id=parse_id(k.id) if k.id else None,
                keyword=k.keyword,
                whole_word=k.whole_word,
                destroy=k.destroy,
            )
            for k in attributes
        ],
    )


@router.get(
    "/api/v2/filters",
    response_model=list[FilterEntity],
    responses=errors(401, 403, 422),
    summary="The signed-in account's filters",
)
async def all_filters(caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON([convert.filter_entity(v) for v in await filters.all_of(rt, caller.account_id)])


@router.post(
    "/api/v2/filters",
    response_model=FilterEntity,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(FilterRequest),
    summary="Create a filter (title, context[], filter_action, expires_in, keywords_attributes[])",
)
async def create_filter(
    caller: Caller = Depends(WRITE),
    req: FilterRequest = Depends(params(FilterRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.filter_entity(await filters.create(rt, caller.account_id, _changes(req))))


@router.get(
    "/api/v2/filters/{filter_id}",
    response_model=FilterEntity,
    responses=errors(401, 403, 404, 422),
    summary="One of the signed-in account's filters",
)
async def get_filter(
    filter_id: str = FILTER_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    return JSON(convert.filter_entity(await filters.get(rt, caller.account_id, parse_id(filter_id))))


@router.put(
    "/api/v2/filters/{filter_id}",
    response_model=FilterEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(FilterRequest),
    summary="Change a filter; keywords_attributes[] add, change (id) or remove (_destroy) keywords",
)
async def update_filter(
    filter_id: str = FILTER_ID,
    caller: Caller = Depends(WRITE),
    req: FilterRequest = Depends(params(FilterRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await filters.update(rt, caller.account_id, parse_id(filter_id), _changes(req))
    return JSON(convert.filter_entity(view))


@router.delete(
    "/api/v2/filters/{filter_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Remove a filter",
)
async def remove_filter(
    filter_id: str = FILTER_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await filters.remove(rt, caller.account_id, parse_id(filter_id))
    return JSON({})


# --- keywords ---------------------------------------------------------------------------------------


@router.get(
    "/api/v2/filters/{filter_id}/keywords",
    response_model=list[FilterKeywordEntity],
    responses=errors(401, 403, 404, 422),
    summary="A filter's keywords",
)
async def keywords(
    filter_id: str = FILTER_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    found = await filters.keywords_of(rt, caller.account_id, parse_id(filter_id))
    return JSON([convert.keyword(k) for k in found])


@router.post(
    "/api/v2/filters/{filter_id}/keywords",
    response_model=FilterKeywordEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(FilterKeywordRequest),
    summary="Add a keyword to a filter",
)
async def add_keyword(
    filter_id: str = FILTER_ID,
    caller: Caller = Depends(WRITE),
    req: FilterKeywordRequest = Depends(params(FilterKeywordRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await filters.add_keyword(
        rt,
        caller.account_id,
        parse_id(filter_id),
        req.keyword or "",
        True if req.whole_word is None else req.whole_word,
    )
    return JSON(convert.keyword(found))


@router.get(
    "/api/v2/filters/keywords/{keyword_id}",
    response_model=FilterKeywordEntity,
    responses=errors(401, 403, 404, 422),
    summary="One filter keyword",
)
async def get_keyword(
    keyword_id: str = KEYWORD_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    return JSON(convert.keyword(await filters.get_keyword(rt, caller.account_id, parse_id(keyword_id))))


@router.put(
    "/api/v2/filters/keywords/{keyword_id}",
    response_model=FilterKeywordEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(FilterKeywordRequest),
    summary="Change a filter keyword",
)
async def update_keyword(
    keyword_id: str = KEYWORD_ID,
    caller: Caller = Depends(WRITE),
    req: FilterKeywordRequest = Depends(params(FilterKeywordRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await filters.update_keyword(
        rt, caller.account_id, parse_id(keyword_id), req.keyword, req.whole_word
    )
    return JSON(convert.keyword(found))


@router.delete(
    "/api/v2/filters/keywords/{keyword_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Remove a filter keyword",
)
async def remove_keyword(
    keyword_id: str = KEYWORD_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await filters.remove_keyword(rt, caller.account_id, parse_id(keyword_id))
    return JSON({})


# --- posts --------------------------------------------------------------------------------------------


@router.get(
    "/api/v2/filters/{filter_id}/statuses",
    response_model=list[FilterStatusEntity],
    responses=errors(401, 403, 404, 422),
    summary="The posts a filter names",
)
async def filtered_statuses(
    filter_id: str = FILTER_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    found = await filters.statuses_of(rt, caller.account_id, parse_id(filter_id))
    return JSON([convert.filtered_status(s) for s in found])


@router.post(
    "/api/v2/filters/{filter_id}/statuses",
    response_model=FilterStatusEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(FilterStatusRequest),
    summary="Add a post to a filter",
)
async def add_status(
    filter_id: str = FILTER_ID,
    caller: Caller = Depends(WRITE),
    req: FilterStatusRequest = Depends(params(FilterStatusRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    if not req.status_id:
        raise Invalid("Validation failed: Status can't be blank")
    found = await filters.add_status(rt, caller.account_id, parse_id(filter_id), parse_id(req.status_id))
    return JSON(convert.filtered_status(found))


@router.get(
    "/api/v2/filters/statuses/{status_filter_id}",
    response_model=FilterStatusEntity,
    responses=errors(401, 403, 404, 422),
    summary="One filtered post",
)
async def get_status(
    status_filter_id: str = STATUS_FILTER_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    found = await filters.get_status(rt, caller.account_id, parse_id(status_filter_id))
    return JSON(convert.filtered_status(found))


@router.delete(
    "/api/v2/filters/statuses/{status_filter_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Take a post out of its filter",
)
async def remove_status(
    status_filter_id: str = STATUS_FILTER_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await filters.remove_status(rt, caller.account_id, parse_id(status_filter_id))
    return JSON({})


# --- v1 ----------------------------------------------------------------------------------------------


def _v1(found: filters.PhraseFilter) -> dict[str, Any]:
    return next(v for v in convert.v1_filters(found.filter) if v["id"] == str(found.keyword.id))


@router.get(
    "/api/v1/filters",
    response_model=list[V1Filter],
    responses=errors(401, 403, 422),
    summary="The signed-in account's filters as the v1 API shows them (one per keyword)",
)
async def v1_filters(caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON([_v1(p) for p in await filters.phrases(rt, caller.account_id)])


@router.post(
    "/api/v1/filters",
    response_model=V1Filter,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(V1FilterRequest),
    summary="Create a v1 filter (a phrase)",
)
async def v1_create(
    caller: Caller = Depends(WRITE),
    req: V1FilterRequest = Depends(params(V1FilterRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    if not (req.phrase or "").strip():
        raise Invalid("Validation failed: Phrase can't be blank")
    found = await filters.add_phrase(
        rt,
        caller.account_id,
        req.phrase or "",
        _contexts(req.context) or [],
        irreversible=bool(req.irreversible),
        whole_word=True if req.whole_word is None else req.whole_word,
        expires_in=_expires_in(req.expires_in),
    )
    return JSON(_v1(found))


@router.get(
    "/api/v1/filters/{filter_id}",
    response_model=V1Filter,
    responses=errors(401, 403, 404, 422),
    summary="One v1 filter",
)
async def v1_get(
    filter_id: str = FILTER_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    return JSON(_v1(await filters.phrase(rt, caller.account_id, parse_id(filter_id))))


@router.put(
    "/api/v1/filters/{filter_id}",
    response_model=V1Filter,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(V1FilterRequest),
    summary="Change a v1 filter",
)
async def v1_update(
    filter_id: str = FILTER_ID,
    caller: Caller = Depends(WRITE),
    req: V1FilterRequest = Depends(params(V1FilterRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    if req.phrase is not None and not req.phrase.strip():
        raise Invalid("Validation failed: Phrase can't be blank")
    found = await filters.update_phrase(
        rt,
        caller.account_id,
        parse_id(filter_id),
        text=req.phrase,
        context=_contexts(req.context),
        irreversible=req.irreversible,
        whole_word=req.whole_word,
        expires_in=_expires_in(req.expires_in),
        expires="expires_in" in req.model_fields_set,
    )
    return JSON(_v1(found))


@router.delete(
    "/api/v1/filters/{filter_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Remove a v1 filter",
)
async def v1_remove(
    filter_id: str = FILTER_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await filters.remove_phrase(rt, caller.account_id, parse_id(filter_id))
    return JSON({})
