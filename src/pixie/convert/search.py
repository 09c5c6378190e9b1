"""The Search entity."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.statuses import status
from pixie.convert.tags import tag
from pixie.services.search import SearchResults


def search_results(settings: Settings, results: SearchResults) -> dict[str, Any]:
    return {
        "accounts": [account(settings, a) for a in results.accounts],
        "statuses": [status(settings, v) for v in results.statuses],
        "hashtags": [tag(settings, t) for t in results.hashtags],
    }
