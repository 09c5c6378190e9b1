"""The render cache across two `pixie serve` processes sharing PostgreSQL and Redis, read by
Mastodon.py: every change made through one process shows on the other's next read within a
second, a reader's own marks never reach another reader, a followers-only post kept for a
follower never reaches a stranger, and Redis losing everything loses nothing the database
cannot give again.

Writes go through the first server, reads through the second, so every read after a change
is answered by a process that learnt of the change only through Redis.
"""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
from mastodon import Mastodon, MastodonNotFoundError
from PIL import Image

from tests.e2e.processes import (
    SCOPES,
    eventually,
    log_in,
    pixie,
    two_servers,
)

pytestmark = pytest.mark.e2e

WITHIN = 1.0  # seconds: how long a change may take to reach every process's reads


def _ids(statuses: list[Any]) -> list[str]:
    return [str(s["id"]) for s in statuses]


def _home(api: Mastodon) -> dict[str, Any]:
    return {str(s["id"]): s for s in api.timeline_home()}


def _home_ids(api: Mastodon) -> list[str]:
    return list(_home(api))


def _png(colour: str) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, format="PNG")
    out.seek(0)
    return out


def test_every_change_reaches_the_other_process_within_a_second(tmp_path: Path) -> None:
    with two_servers(tmp_path, ("ada", "bo", "cy", "di"), one_address=True) as servers:
        first, second = servers.first, servers.second
        app = Mastodon.create_app("Pixie cache", scopes=SCOPES, api_base_url=first.url, request_timeout=10)
        ada, bo, cy, di = (log_in(first.url, f"{n}@example.com", app) for n in ("ada", "bo", "cy", "di"))

        def reading(api: Mastodon) -> Mastodon:
            return Mastodon(access_token=api.access_token, api_base_url=second.url, request_timeout=10)

        ada_reads, cy_reads, di_reads = reading(ada), reading(cy), reading(di)
        anonymous = Mastodon(api_base_url=second.url, request_timeout=10)
        bo_id, cy_id = bo.me()["id"], cy.me()["id"]
        ada.account_follow(bo_id)
        post = bo.status_post("first words")
        pid = str(post["id"])
        eventually(lambda: pid in _home(ada_reads), "bo's post in ada's home")
        assert pid in _ids(anonymous.timeline_public())  # kept now, for everyone

        # An edit.
        bo.status_update(pid, "second words")
        eventually(lambda: "second words" in _home(ada_reads)[pid]["content"], "the edit", WITHIN)
        assert "second words" in anonymous.status(pid)["content"]

        # A favourite: the count for everyone, ``favourited`` for the one who gave it only.
        cy.status_favourite(pid)
        eventually(lambda: _home(ada_reads)[pid]["favourites_count"] == 1, "the favourite count", WITHIN)
        by_cy = {str(s["id"]): s for s in cy_reads.account_statuses(bo_id)}[pid]
        assert (by_cy["favourited"], by_cy["favourites_count"]) == (True, 1)
        by_ada = {str(s["id"]): s for s in ada_reads.account_statuses(bo_id)}[pid]
        assert (by_ada["favourited"], by_ada["favourites_count"]) == (False, 1)
        assert _home(ada_reads)[pid]["favourited"] is False

        # A new avatar, on every post of its author.
        old_avatar = _home(ada_reads)[pid]["account"]["avatar"]
        new_avatar = bo.account_update_credentials(avatar=_png("red"), avatar_mime_type="image/png")["avatar"]
        assert new_avatar != old_avatar
        eventually(lambda: _home(ada_reads)[pid]["account"]["avatar"] == new_avatar, "the avatar", WITHIN)
        assert anonymous.status(pid)["account"]["avatar"] == new_avatar

        # A followers-only post, read (and so kept) by a follower first.
        hidden = str(bo.status_post("for my followers only", visibility="private")["id"])
        eventually(lambda: hidden in _home(ada_reads), "the followers-only post in ada's home")
        assert ada_reads.status(hidden)["content"]
        strangers = [_ids(di_reads.account_statuses(bo_id)), _ids(anonymous.account_statuses(bo_id))]
        for seen in strangers:
            assert pid in seen and hidden not in seen
        assert pid in _ids(di_reads.timeline_public()) and hidden not in _ids(di_reads.timeline_public())
        for stranger in (di_reads, anonymous):
            with pytest.raises(MastodonNotFoundError):
                stranger.status(hidden)

        # A reply, and the thread as each reader may see it.
        reply = str(cy.status_post("@bo a reply", in_reply_to_id=pid)["id"])
        thread = ada_reads.status_context(pid)
        assert _ids(thread["descendants"]) == [reply]

        # A block: the blocked account's posts leave the blocker's timelines and threads.
        cy_post = str(cy.status_post("cy speaks")["id"])
        assert cy_post in _ids(ada_reads.timeline_public())
        ada.account_block(cy_id)
        eventually(lambda: cy_post not in _ids(ada_reads.timeline_public()), "the block", WITHIN)
        assert _ids(ada_reads.status_context(pid)["descendants"]) == []
        assert _ids(di_reads.status_context(pid)["descendants"]) == [reply]  # others still see it

        # A delete.
        doomed = str(bo.status_post("soon gone")["id"])
        eventually(lambda: doomed in _home(ada_reads), "the post to delete in ada's home")
        bo.status_delete(doomed)
        eventually(lambda: doomed not in _home(ada_reads), "the delete", WITHIN)
        with pytest.raises(MastodonNotFoundError):
            ada_reads.status(doomed)

        # Redis loses everything (a restart: no data, every connection dropped).
        before = list(_home(ada_reads))
        shared = redis.Redis.from_url(servers.redis_url)
        shared.flushdb()
        shared.client_kill_filter(_type="pubsub")
        shared.client_kill_filter(_type="normal", skipme=True)
        for server in (ada_reads, ada):  # the second server, then the first
            assert eventually(partial(_home_ids, server), "the home timeline after Redis restarted") == before
        seen = _home(ada_reads)[pid]
        assert (seen["favourites_count"], seen["account"]["avatar"]) == (1, new_avatar)
        assert "second words" in seen["content"]
        bo.status_update(pid, "third words")
        eventually(
            lambda: "third words" in _home(ada_reads)[pid]["content"], "an edit after the restart", 3.0
        )

        # A suspension, by the operator.
        pixie(["suspend", "bo"], env=servers.env, cwd=tmp_path)
        eventually(lambda: pid not in _home(ada_reads), "the suspension", WITHIN)
        assert pid not in _ids(anonymous.timeline_public())
        with pytest.raises(MastodonNotFoundError):
            anonymous.status(pid)
