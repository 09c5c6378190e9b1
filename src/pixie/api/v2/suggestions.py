"""Who to follow (Mastodon's /api/v2/suggestions)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Account, Loose
from pixie.convert.accounts import account
from pixie.infra.runtime import Runtime
from pixie.services import suggestions

router = APIRouter(tags=["suggestions"])


class SuggestionsQuery(Loose):
    limit: int = Field(40, ge=1, le=1000, description="At most 80")


class Suggestion(BaseModel):
    source: Literal["staff", "past_interactions", "global"]
    sources: list[str]
    account: Account


@router.get(
    "/api/v2/suggestions",
    response_model=list[Suggestion],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(SuggestionsQuery),
    summary="Accounts to follow: followed by those the caller follows, then popular ones",
)
async def get_suggestions(
    caller: Caller = Depends(Auth("read")),
    query: SuggestionsQuery = Depends(params(SuggestionsQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await suggestions.for_account(rt, caller.account_id, limit=query.limit)
    return JSON(
        [
            {
                # The deprecated single source: Mastodon maps its newer sources onto these three.
                "source": "past_interactions" if "friends_of_friends" in s.sources else "global",
                "sources": list(s.sources),
                "account": account(rt.settings, s.account),
            }
            for s in found
        ]
    )
