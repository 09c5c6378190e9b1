from __future__ import annotations

from fastapi import APIRouter, Depends

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import ReportEntity, ReportRequest, as_id
from pixie.convert import reports as convert
from pixie.errors import Invalid, NotFound
from pixie.infra.runtime import Runtime
from pixie.services import reports

router = APIRouter(tags=["reports"])


def _ids(raw: list[str] | str, what: str) -> list[int]:
    values = [raw] if isinstance(raw, str) else raw
    ids = [as_id(v) for v in values]
    if None in ids:
        raise Invalid(f"Validation failed: {what} must be ids")
    return [i for i in ids if i is not None]


@router.post(
    "/api/v1/reports",
    response_model=ReportEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(ReportRequest),
    summary="Report an account (and some of its posts) to the moderators",
)
async def create_report(
    caller: Caller = Depends(Auth("write:reports")),
    req: ReportRequest = Depends(params(ReportRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    target = as_id(req.account_id)
    if target is None:
        raise NotFound()
    report, account = await reports.create(
        rt,
        caller.account_id,
        reports.NewReport(
            target_account_id=target,
            status_ids=_ids(req.status_ids, "Status ids"),
            rule_ids=_ids(req.rule_ids, "Rule ids"),
            category=req.category,
            comment=req.comment or "",
            forward=bool(req.forward),
        ),
    )
    return JSON(convert.report(rt.settings, report, account))
