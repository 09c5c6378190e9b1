from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.responses import JSON
from pixie.api.schemas import InstanceV1, InstanceV2, Rule
from pixie.convert import instance as convert
from pixie.infra.runtime import Runtime
from pixie.services import instance

router = APIRouter(tags=["instance"])


@router.get("/api/v1/instance", response_model=InstanceV1, responses=errors(), summary="This instance (v1)")
async def instance_v1(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.instance_v1(rt.settings, await instance.stats(rt)))


@router.get("/api/v2/instance", response_model=InstanceV2, responses=errors(), summary="This instance (v2)")
async def instance_v2(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.instance_v2(rt.settings, await instance.stats(rt)))


@router.get("/api/v1/instance/rules", response_model=list[Rule], responses=errors(), summary="Server rules")
async def rules(_: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.rules(rt.settings))


@router.get(
    "/api/v1/custom_emojis",
    response_model=list[dict[str, Any]],
    responses=errors(),
    summary="Custom emojis (none yet)",
)
async def custom_emojis(_: Caller = Depends(Auth.public())) -> JSON:
    return JSON([])
