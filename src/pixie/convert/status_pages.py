"""Pages of statuses as JSON bytes, assembled from kept renderings.

A status renders the same for every reader but for the reader's own marks (favourited,
reblogged, muted, bookmarked, pinned), its poll (own votes, and totals the author alone may see),
the reader's filters it matches, and Pixie's block (a hidden prompt shows to its author only). The
rest is kept once per status in the render cache (``s:ID``), and each author's Account entity
once per account (``a:ID``), so a new avatar or follower count is one invalidation, not one per
post. A page is then one read of the cache for all its posts and authors; only what is missing
is loaded from the database and rendered, and written back for the next reader. The event
handlers in ``services.render_invalidation`` move a changed status or account to a new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from pixie.convert import filters
from pixie.convert.accounts import account
from pixie.convert.polls import poll
from pixie.convert.statuses import pixie_part, status
from pixie.infra.runtime import Runtime
from pixie.services import accounts, polls, status_views
from pixie.services.filter_rules import FilterMatch
from pixie.services.page_state import PageState, Post
from pixie.services.render_invalidation import account_name, status_name
from pixie.services.status_views import StatusView
from pixie.services.threads import ThreadState

# Keys rendered per reader (or kept apart, as the author is), never in a status's kept rendering.
_APART = (
    "account",
    "favourited",
    "reblogged",
    "muted",
    "bookmarked",
    "pinned",
    "poll",
    "filtered",
    "reblog",
    "pixie",
)
_SEP = b"\n"  # orjson escapes newlines inside strings, so a raw one never occurs in its output


def kept_rendering(settings: Any, view: StatusView) -> bytes:
    """What is kept of a status: its shared JSON without its braces, then Pixie's block as others
    see it, then as its author does (empty when the same)."""
    entity = status(settings, view)
    for key in _APART:
        del entity[key]
    others = orjson.dumps(pixie_part(view))
    own = orjson.dumps(pixie_part(_as_author(view)))
    return _SEP.join([orjson.dumps(entity)[1:-1], others, b"" if own == others else own])


def _as_author(view: StatusView) -> StatusView:
    return replace(view, show_prompt=True)


_TRUE, _FALSE = b"true", b"false"


class _Assembler:
    """Writes a page as a list of byte strings joined once at the end (joining as one goes
    would copy every post's bytes again for each piece added)."""

    def __init__(
        self,
        state: PageState,
        statuses: dict[int, bytes],
        authors: dict[int, bytes],
        poll_json: dict[int, bytes],
    ) -> None:
        self.state = state
        self.statuses = statuses
        self.authors = authors
        self.polls = poll_json
        self.out: list[bytes] = []

    def marks(self, shown: Post) -> None:
        m = self.state.marks
        self.out += (
            b',"favourited":', _TRUE if shown.id in m["favourited"] else _FALSE,
            b',"reblogged":', _TRUE if shown.id in m["reblogged"] else _FALSE,
            b',"muted":', _TRUE if shown.conversation_id in m["muted"] else _FALSE,
            b',"bookmarked":', _TRUE if shown.id in m["bookmarked"] else _FALSE,
            b',"pinned":', _TRUE if shown.id in m["pinned"] else _FALSE,
        )  # fmt: skip

    def one(self, post: Post, shown: Post, *, original: Post | None, filtered: list[FilterMatch]) -> None:
        """``post``; ``shown`` gives the marks (the original, for a reblog, whose own entity
        ``original`` then goes in its ``reblog``)."""
        shared, others, own = self.statuses[post.id].split(_SEP, 2)
        out = self.out
        out += (b'{"account":', self.authors[post.account_id], b",", shared, b',"reblog":')
        if original is None:
            out.append(b"null")
        else:
            self.one(original, original, original=None, filtered=[])
        out += (
            b',"poll":', self.polls.get(post.id, b"null"),
            b',"filtered":', orjson.dumps([filters.result(f) for f in filtered]) if filtered else b"[]",
        )  # fmt: skip
        self.marks(shown)
        out += (b',"pixie":', own if own and self.state.viewer_id == post.account_id else others, b"}")

    def page(self) -> bytes:
        self.array(self.state.posts)
        return b"".join(self.out)

    def array(self, posts: list[Post]) -> None:
        self.out.append(b"[")
        for n, post in enumerate(posts):
            if n:
                self.out.append(b",")
            shown = self.state.shown(post)
            original = shown if shown is not post else None
            self.one(post, shown, original=original, filtered=self.state.filtered.get(post.id, []))
        self.out.append(b"]")


async def _fill(
    rt: Runtime, state: PageState, more_accounts: Sequence[int] = ()
) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """The kept renderings of the page's statuses and authors (and of ``more_accounts``); what
    is missing is rendered now (and kept)."""
    every = [*state.posts, *state.originals.values()]
    account_ids = list(dict.fromkeys([*(p.account_id for p in every), *more_accounts]))
    names = [status_name(p.id) for p in every] + [account_name(a) for a in account_ids]
    lookup = await rt.renders.read(names)
    statuses: dict[int, bytes] = {}
    authors: dict[int, bytes] = {}
    for name, rendering in lookup.found.items():
        kind, _, raw_id = name.partition(":")
        (statuses if kind == "s" else authors)[int(raw_id)] = rendering
    missing_statuses = [p.id for p in every if p.id not in statuses]
    missing_authors = [a for a in account_ids if a not in authors]
    if not missing_statuses and not missing_authors:
        return statuses, authors
    kept: list[tuple[str, str, bytes]] = []
    async with rt.db.read() as session:
        for view in await status_views.unscreened_views(session, missing_statuses):
            for v in (view, view.reblog) if view.reblog is not None else (view,):
                if v.status.id in missing_statuses and v.status.id not in statuses:
                    rendering = kept_rendering(rt.settings, v)
                    statuses[v.status.id] = rendering
                    kept.append(
                        (status_name(v.status.id), lookup.versions[status_name(v.status.id)], rendering)
                    )
        for author in await accounts.accounts_by_id(session, missing_authors):
            rendering = orjson.dumps(account(rt.settings, author))
            authors[author.id] = rendering
            kept.append((account_name(author.id), lookup.versions[account_name(author.id)], rendering))
    await rt.renders.write(kept)
    return statuses, authors


async def _polls(rt: Runtime, state: PageState) -> dict[int, bytes]:
    """The page's polls as the viewer sees them (own votes; totals the author alone may see),
    read only when the page has any."""
    with_polls = [p.id for p in [*state.posts, *state.originals.values()] if p.has_poll]
    if not with_polls:
        return {}
    async with rt.db.read() as session:
        views = await polls.load(session, with_polls, state.viewer_id)
    return {status_id: orjson.dumps(poll(v)) for status_id, v in views.items()}


async def _assembler(rt: Runtime, state: PageState, more_accounts: Sequence[int] = ()) -> _Assembler:
    statuses, authors = await _fill(rt, state, more_accounts) if state.posts or more_accounts else ({}, {})
    # A post deleted since the page was read has nothing to render: it is left out.
    state.posts = [p for p in state.posts if p.id in statuses and state.shown(p).id in statuses]
    return _Assembler(state, statuses, authors, await _polls(rt, state))


async def each(
    rt: Runtime, state: PageState, account_ids: Sequence[int]
) -> tuple[dict[int, orjson.Fragment], dict[int, orjson.Fragment]]:
    """Each of the state's statuses as a JSON fragment of its own, by id, and the accounts
    ``account_ids`` likewise (for entities that hold statuses and accounts: notifications)."""
    assembler = await _assembler(rt, state, account_ids)
    statuses: dict[int, orjson.Fragment] = {}
    for post in state.posts:
        assembler.out = []
        assembler.array([post])
        statuses[post.id] = orjson.Fragment(b"".join(assembler.out)[1:-1])
    accounts = {a: orjson.Fragment(assembler.authors[a]) for a in account_ids if a in assembler.authors}
    return statuses, accounts


async def page(rt: Runtime, state: PageState) -> bytes:
    """The page as a JSON array of Mastodon Status entities, newest first."""
    if not state.posts:
        return b"[]"
    return (await _assembler(rt, state)).page()


async def context(rt: Runtime, thread: ThreadState) -> bytes:
    """A thread as Mastodon's Context entity: ``ancestors`` and ``descendants``."""
    assembler = await _assembler(rt, thread.state)
    posts = {p.id: p for p in thread.state.posts}
    assembler.out.append(b'{"ancestors":')
    assembler.array([posts[i] for i in thread.ancestors if i in posts])
    assembler.out.append(b',"descendants":')
    assembler.array([posts[i] for i in thread.descendants if i in posts])
    assembler.out.append(b"}")
    return b"".join(assembler.out)


async def one(rt: Runtime, state: PageState) -> bytes:
    """The state's single status as a JSON object (a status on its own, as GET /statuses/:id)."""
    body = await page(rt, state)
    return body[1:-1]
