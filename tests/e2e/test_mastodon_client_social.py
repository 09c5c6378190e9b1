"""End to end: a real `pixie serve` driven by Mastodon.py through a day of posting and reading.

On SQLite with local files, and on PostgreSQL + Redis + S3 as a grown deployment runs. Two
accounts: ada posts (several pages of statuses, an image, a poll, a thread, an edit) and bo
follows, favourites, reblogs, bookmarks, votes and searches. Everything goes through
Mastodon.py's own calls, pagination (``fetch_next``, which follows the Link headers) included.
Rate limits stay on, as on default settings.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonNotFoundError
from PIL import Image

from tests.e2e.processes import clean_env, eventually, pixie, serve

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow"]
POSTS = 47  # more than two pages of 20


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_mastodon_py_posts_pages_reacts_searches_and_votes(settings: dict[str, str], tmp_path: Path) -> None:
    port = int(settings.pop("port"))
    base = settings["base_url"]
    env = clean_env(**settings)
    pixie(["migrate"], env=env, cwd=tmp_path)
    for name in ("ada", "bo", "cy"):
        pixie(["create-user", name, f"{name}@example.com"], env=env, cwd=tmp_path, stdin=PASSWORD + "\n")

    with serve(env, tmp_path, port=port) as server:
        started = time.monotonic()
        client_id, client_secret = Mastodon.create_app(
            "Pixie e2e", scopes=SCOPES, api_base_url=base, request_timeout=10
        )

        def log_in(email: str) -> Mastodon:
            api = Mastodon(
                client_id=client_id,
                client_secret=client_secret,
                api_base_url=base,
                ratelimit_method="throw",  # a rate limit fails the test rather than stalling it
                request_timeout=10,
            )
            api.log_in(username=email, password=PASSWORD, scopes=SCOPES, allow_http=True)
            return api

        ada, bo, cy = log_in("ada@example.com"), log_in("bo@example.com"), log_in("cy@example.com")
        ada_id = ada.me()["id"]
        bo_id = bo.me()["id"]

        # 1. Several pages of posts, read back page by page: each exactly once, newest first.
        posted = [
            ada.status_post(f"Post number {n}" + (" #lighthouses" if n % 3 == 0 else ""))["id"]
            for n in range(POSTS)
        ]
        page = bo.account_statuses(ada_id)
        read: list[Any] = []
        pages = 0
        while page:
            pages += 1
            read += [s["id"] for s in page]
            page = bo.fetch_next(page)
        assert read == list(reversed(posted))
        assert pages == 3  # 20, 20, 7
        assert len(bo.account_statuses(ada_id, limit=40)) == 40

        # 2. An image: uploaded (processed in the background), described, posted, fetched.
        media = ada.media_post(jpeg(800, 600), mime_type="image/jpeg", description="A lighthouse at dusk")
        assert media["url"] is None  # 202: still being processed
        media = eventually(lambda: (m := ada.media(media["id"]))["url"] and m, "the image processed")
        assert media["meta"]["original"]["width"] == 800
        shown = ada.status_post("The lighthouse, at last #lighthouses", media_ids=[media["id"]])
        attached = shown["media_attachments"]
        assert [a["id"] for a in attached] == [media["id"]]
        assert attached[0]["description"] == "A lighthouse at dusk"
        for url in (attached[0]["url"], attached[0]["preview_url"]):
            # Local files are served by Pixie; on S3 the URL points at the bucket.
            assert url.startswith(
                base + "/media/" if "s3_bucket" not in settings else settings["s3_endpoint_url"]
            )
            got = httpx.get(url, timeout=10)
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg", url
        assert Image.open(io.BytesIO(httpx.get(attached[0]["url"], timeout=10).content)).size == (800, 600)
        assert [s["id"] for s in bo.account_statuses(ada_id, only_media=True)] == [shown["id"]]

        # 3. Following, favouriting, reblogging, bookmarking; the notifications they make.
        assert bo.account_follow(ada_id)["following"] is True
        assert bo.status_favourite(shown["id"])["favourited"] is True
        reblog = bo.status_reblog(shown["id"])
        assert reblog["reblog"]["id"] == shown["id"] and reblog["reblogged"] is True
        assert bo.status_bookmark(shown["id"])["bookmarked"] is True
        assert [s["id"] for s in bo.favourites()] == [shown["id"]]
        assert [s["id"] for s in bo.bookmarks()] == [shown["id"]]
        assert [a["id"] for a in ada.status_favourited_by(shown["id"])] == [bo_id]
        assert [a["id"] for a in ada.status_reblogged_by(shown["id"])] == [bo_id]
        assert bo.account_statuses(bo_id)[0]["reblog"]["id"] == shown["id"]
        notes = ada.notifications()
        assert [(n["type"], n["account"]["id"]) for n in notes] == [
            ("reblog", bo_id),
            ("favourite", bo_id),
            ("follow", bo_id),
        ]
        assert notes[0]["status"]["id"] == shown["id"]
        assert ada.notifications_unread_count()["count"] == 3
        assert ada.notifications(types=["follow"])[0]["type"] == "follow"

        # 4. A thread, and its context from either end.
        reply = bo.status_reply(shown, "What a light!")
        assert reply["in_reply_to_id"] == shown["id"] and reply["content"].startswith("<p>")
        answer = ada.status_reply(reply, "Thank you")
        assert "@bo" in answer["content"]  # status_reply mentions whoever it answers
        below = ada.status_context(shown["id"])
        assert below["ancestors"] == [] and [s["id"] for s in below["descendants"]] == [
            reply["id"],
            answer["id"],
        ]
        above = bo.status_context(answer["id"])
        assert [s["id"] for s in above["ancestors"]] == [shown["id"], reply["id"]]
        assert ada.notifications(types=["mention"])[0]["status"]["id"] == reply["id"]

        # 5. An edit, and the history of the versions.
        edited = ada.status_update(shown["id"], "The lighthouse, at last (edited) #lighthouses")
        assert edited["edited_at"] is not None and "edited" in edited["content"]
        history = bo.status_history(shown["id"])
        assert len(history) == 2
        assert "edited" not in history[0]["content"] and "edited" in history[1]["content"]

        # 6. A poll: made, voted on, counted.
        poll = ada.make_poll(["Blue", "Red", "White"], expires_in=600)
        polled = ada.status_post("Which colour for the lamp room?", poll=poll)
        voted = bo.poll_vote(polled["poll"]["id"], [2])
        assert voted["voted"] is True and voted["own_votes"] == [2]
        assert [o["votes_count"] for o in voted["options"]] == [0, 0, 1]
        assert ada.poll(polled["poll"]["id"])["votes_count"] == 1

        # 7. Search: a post of ada's, once indexable (the index follows posts in the background).
        ada.account_update_credentials(indexable=True)

        def search() -> list[Any]:
            return list(bo.search_v2("lamp room", result_type="statuses")["statuses"])

        found = eventually(search, "the poll's post found by search")
        assert [s["id"] for s in found] == [polled["id"]]
        assert [a["id"] for a in bo.search_v2("ada", result_type="accounts")["accounts"]] == [ada_id]
        assert bo.search_v2("lighthouses", result_type="hashtags")["hashtags"][0]["name"] == "lighthouses"

        # 8. The hashtag timeline, page by page too.
        tagged = [shown["id"]] + [posted[n] for n in reversed(range(POSTS)) if n % 3 == 0]
        page = bo.timeline_hashtag("lighthouses", limit=10)
        read = []
        while page:
            read += [s["id"] for s in page]
            page = bo.fetch_next(page)
        assert read == tagged
        assert [s["id"] for s in bo.timeline_hashtag("lighthouses", only_media=True)] == [shown["id"]]

        # 9. Bo's home timeline, page by page: every post of ada's (followed after she wrote
        # them), bo's own, no duplicates, newest first.
        page = bo.timeline_home()
        home: list[Any] = []
        while page:
            home += [s["id"] for s in page]
            page = bo.fetch_next(page)
        assert len(home) == len(set(home)) and len(home) >= POSTS
        assert home == sorted(home, key=int, reverse=True)
        assert set(posted) <= set(home) and {reblog["id"], reply["id"], polled["id"]} <= set(home)
        assert bo.timeline_home(limit=5)[0]["id"] == home[0]

        # 10. A direct post: its two people read it, a third account cannot.
        secret = ada.status_post("@bo the key is under the mat", visibility="direct")
        assert bo.status(secret["id"])["visibility"] == "direct"
        try:
            cy.status(secret["id"])
        except MastodonNotFoundError:
            pass
        else:
            raise AssertionError("a third account read a direct post")
        assert secret["id"] not in [s["id"] for s in cy.timeline_public()]

        # 11. A locked account: following asks first; accepting makes the follow.
        cy_id = cy.account_update_credentials(locked=True)["id"]
        assert bo.account_follow(cy_id)["requested"] is True
        assert [a["id"] for a in cy.follow_requests()] == [bo_id]
        assert cy.follow_request_authorize(bo_id)["followed_by"] is True
        assert bo.account_relationships(cy_id)[0]["following"] is True

        elapsed = time.monotonic() - started
        assert elapsed < 60, f"took {elapsed:.1f} s"
        assert "Traceback" not in server.log()
