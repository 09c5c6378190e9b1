"""Pixie's own API: generating images, style presets, and a post's remix tree."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import CreateGenerationRequest, Generation, Lineage, StylePreset
from pixie.convert import generations as convert
from pixie.convert import statuses as convert_statuses
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.services import generations, remixes

router = APIRouter(tags=["pixie"])
GENERATION_ID = Path(description="A generation id")


@router.post(
    "/api/v1/pixie/generations",
    response_model=Generation,
    status_code=202,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    openapi_extra=body_schema(CreateGenerationRequest),
    summary="Ask for 1-4 candidate images from a prompt (or a remix); answers 202 with the queued job",
)
async def create_generation(
    request: Request,
    caller: Caller = Depends(Auth("write:media")),
    req: CreateGenerationRequest = Depends(params(CreateGenerationRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    remix_of = None
    if req.remix_of:
        remix_of = parse_id(req.remix_of)
    if req.seed is not None and req.seed < 0:
        raise Invalid("Validation failed: seed must not be negative")
    view = await generations.start(
        rt,
        caller.account_id,
        generations.NewGeneration(
            prompt=req.prompt or "",
            negative_prompt=req.negative_prompt or "",
            style=req.style or None,
            size=req.size or None,
            seed=req.seed,
            n=req.n,
            remix_of_id=remix_of,
            mode=req.mode,
            idempotency_key=request.headers.get("idempotency-key"),
        ),
    )
    return JSON(convert.generation(rt.settings, view), status_code=202)


@router.get(
    "/api/v1/pixie/generations",
    response_model=list[Generation],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The caller's generations, newest first",
)
async def list_generations(
    request: Request,
    caller: Caller = Depends(Auth("read:statuses")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    views = await generations.mine(rt, caller.account_id, query.paging(default_limit=20))
    return JSON(
        [convert.generation(rt.settings, v) for v in views],
        headers=link_header(rt.settings, request, [v.generation.id for v in views]),
    )


@router.get(
    "/api/v1/pixie/generations/{generation_id}",
    response_model=Generation,
    responses=errors(401, 403, 404),
    summary="One of the caller's generations: its state, progress and candidates",
)
async def get_generation(
    generation_id: str = GENERATION_ID,
    caller: Caller = Depends(Auth("read:statuses")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await generations.get(rt, caller.account_id, parse_id(generation_id))
    return JSON(convert.generation(rt.settings, view))


@router.delete(
    "/api/v1/pixie/generations/{generation_id}",
    response_model=Generation,
    responses=errors(401, 403, 404),
    summary="Cancel a queued or running generation (a finished one is returned as it is)",
)
async def cancel_generation(
    generation_id: str = GENERATION_ID,
    caller: Caller = Depends(Auth("write:media")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await generations.cancel(rt, caller.account_id, parse_id(generation_id))
    return JSON(convert.generation(rt.settings, view))


@router.get(
    "/api/v1/pixie/styles",
    response_model=list[StylePreset],
    responses=errors(),
    summary="The style presets a generation may ask for",
)
async def list_styles(_: Caller = Depends(Auth.public())) -> JSON:
    return JSON([convert.style(s) for s in generations.styles()])


@router.get(
    "/api/v1/pixie/statuses/{status_id}/lineage",
    response_model=Lineage,
    responses=errors(400, 401, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="A post's remix tree: the posts it remixes (oldest first) and a page of its remixes",
)
async def status_lineage(
    request: Request,
    status_id: str = Path(description="A status id"),
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await remixes.lineage(rt, parse_id(status_id), caller.viewer_id, query.paging(default_limit=20))
    body = {
        "ancestors": [convert_statuses.status(rt.settings, v) for v in found.ancestors],
        "descendants": [convert_statuses.status(rt.settings, v) for v in found.descendants],
    }
    return JSON(body, headers=link_header(rt.settings, request, [v.status.id for v in found.descendants]))
