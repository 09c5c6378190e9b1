"""Filter, FilterKeyword, FilterStatus and FilterResult entities (v2), and the v1 Filter."""

from __future__ import annotations

from typing import Any

from pixie.convert.common import timestamp
from pixie.models.filters import FilterKeyword, FilterStatus
from pixie.services.filter_rules import FilterMatch, FilterView


def keyword(k: FilterKeyword) -> dict[str, Any]:
    return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}


def filtered_status(s: FilterStatus) -> dict[str, Any]:
    return {"id": str(s.id), "status_id": str(s.status_id)}


def filter_entity(view: FilterView) -> dict[str, Any]:
    f = view.filter
    return {
        "id": str(f.id),
        "title": f.title,
        "context": list(f.contexts),
        "expires_at": timestamp(f.expires_at),
        "filter_action": f.action,
        "keywords": [keyword(k) for k in view.keywords],
        "statuses": [filtered_status(s) for s in view.statuses],
    }


def result(match: FilterMatch) -> dict[str, Any]:
    return {
        "filter": filter_entity(match.filter),
        "keyword_matches": match.keyword_matches,
        "status_matches": match.status_matches,
    }


def v1_filters(view: FilterView) -> list[dict[str, Any]]:
    """A v2 filter as the v1 API shows it: one entry per keyword."""
    f = view.filter
    return [
        {
            "id": str(k.id),
            "phrase": k.keyword,
            "context": list(f.contexts),
            "whole_word": k.whole_word,
            "expires_at": timestamp(f.expires_at),
            "irreversible": f.action == "hide",
        }
        for k in view.keywords
    ]
