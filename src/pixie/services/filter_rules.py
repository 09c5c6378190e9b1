"""How a reader's filters match a post: keywords (whole words or anywhere, in any case) and
posts named outright. Pure rules over loaded rows, so REST and live streams match the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pixie.models.filters import Filter, FilterKeyword, FilterStatus

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide", "blur")


@dataclass(frozen=True)
class FilterView:
    filter: Filter
    keywords: list[FilterKeyword] = field(default_factory=list)
    statuses: list[FilterStatus] = field(default_factory=list)

    def active(self, now: datetime) -> bool:
        return self.filter.expires_at is None or self.filter.expires_at > now


@dataclass(frozen=True)
class FilterMatch:
    """One filter a post matches (Mastodon's FilterResult)."""

    filter: FilterView
    keyword_matches: list[str] | None
    status_matches: list[str] | None


def _pattern(keyword: FilterKeyword) -> re.Pattern[str]:
    """Mastodon's rule: a whole word is bounded where the keyword starts or ends with a word
    character (so "#cats" and "cats!" still match as written), case left aside."""
    text = re.escape(keyword.keyword)
    if keyword.whole_word:
        if re.match(r"\w", keyword.keyword):
            text = r"\b" + text
        if re.search(r"\w$", keyword.keyword):
            text += r"\b"
    return re.compile(text, re.IGNORECASE)


class Screen:
    """A reader's filters for one context (every context when None)."""

    def __init__(self, filters: Iterable[FilterView], context: str | None, now: datetime) -> None:
        self._filters = [
            (f, [(k, _pattern(k)) for k in f.keywords], {s.status_id for s in f.statuses})
            for f in filters
            if f.active(now) and (context is None or context in f.filter.contexts)
        ]

    def __bool__(self) -> bool:
        return bool(self._filters)

    @property
    def reads_text(self) -> bool:
        return any(patterns for _, patterns, _ in self._filters)

    def matches(self, status_ids: Iterable[int], text: str) -> list[FilterMatch]:
        """The filters that match a post (its ids: a reblog's and its original's) or its text."""
        ids = set(status_ids)
        found = []
        for view, patterns, by_status in self._filters:
            words = [k.keyword for k, pattern in patterns if pattern.search(text)]
            named = sorted(str(i) for i in ids & by_status)
            if words or named:
                found.append(FilterMatch(view, words or None, named or None))
        return found


def hides(matches: Iterable[FilterMatch]) -> bool:
    return any(m.filter.filter.action == "hide" for m in matches)
