"""End to end: live streams from real `pixie serve` processes, read by Mastodon.py and by a raw
WebSocket client.

One server on embedded defaults and on PostgreSQL + Redis + S3; then two servers sharing
PostgreSQL and Redis, where a post made through one reaches streams held open on the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import websockets
from mastodon import CallbackStreamListener, Mastodon

from tests.e2e.processes import PASSWORD, SCOPES, clean_env, free_port, log_in, pixie, serve, two_servers

pytestmark = pytest.mark.e2e


class Collected:
    """What a Mastodon.py stream listener received, from its own thread."""

    def __init__(self) -> None:
        self.updates: list[Any] = []
        self.notifications: list[Any] = []
        self.deletes: list[Any] = []
        self.conversations: list[Any] = []
        self._lock = threading.Condition()

    def listener(self) -> CallbackStreamListener:
        def keep(into: list[Any]) -> Callable[[Any], None]:
            def handler(item: Any) -> None:
                with self._lock:
                    into.append(item)
                    self._lock.notify_all()

            return handler

        return CallbackStreamListener(  # type: ignore[no-untyped-call]
            update_handler=keep(self.updates),
            notification_handler=keep(self.notifications),
            delete_handler=keep(self.deletes),
            conversation_handler=keep(self.conversations),
        )

    def wait(self, check: Callable[[], bool], what: str, seconds: float = 5.0) -> float:
        """Waits until ``check`` holds; returns how long that took."""
        started = time.monotonic()
        with self._lock:
            if not self._lock.wait_for(check, timeout=seconds):
                raise AssertionError(f"{what}: not within {seconds} s")
        return time.monotonic() - started

    def update_ids(self) -> list[str]:
        with self._lock:
            return [str(s["id"]) for s in self.updates]

    def last_status_ids(self) -> list[str]:
        """The newest message of each conversation event, in arrival order."""
        with self._lock:
            return [str(c["last_status"]["id"]) for c in self.conversations]


def _has_update(collected: Collected, status_id: str) -> bool:
    return status_id in collected.update_ids()


@contextmanager
def streaming(handle: Any) -> Iterator[None]:
    try:
        deadline = time.monotonic() + 5
        while not handle.is_receiving() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the stream's subscription reaches Redis
        yield
    finally:
        handle.close()


def test_mastodon_py_streams_live_posts(settings: dict[str, str], tmp_path: Path) -> None:
    port = int(settings.pop("port"))
    base = settings["base_url"]
    env = clean_env(**settings)
    pixie(["migrate"], env=env, cwd=tmp_path)
    for name in ("ada", "bo"):
        pixie(["create-user", name, f"{name}@example.com"], env=env, cwd=tmp_path, stdin=PASSWORD + "\n")
    with serve(env, tmp_path, port=port):
        app = Mastodon.create_app("Pixie streams", scopes=SCOPES, api_base_url=base, request_timeout=10)
        ada, bo = log_in(base, "ada@example.com", app), log_in(base, "bo@example.com", app)
        ada.account_follow(bo.me()["id"])
        home, tagged = Collected(), Collected()
        with ExitStack() as stack:
            stack.enter_context(streaming(ada.stream_user(home.listener(), run_async=True)))
            stack.enter_context(streaming(ada.stream_hashtag("Sunset", tagged.listener(), run_async=True)))
            first = bo.status_post("the first #sunset of the year")
            home.wait(lambda: str(first["id"]) in home.update_ids(), "bo's post on ada's user stream")
            tagged.wait(lambda: str(first["id"]) in tagged.update_ids(), "the hashtag stream")
            assert home.updates[0]["content"] == first["content"]
            ada_post = ada.status_post("a reply to myself")
            bo.status_favourite(ada_post["id"])
            home.wait(lambda: bool(home.notifications), "the favourite's notification")
            assert home.notifications[0]["type"] == "favourite"
            bo.status_delete(first["id"])
            home.wait(lambda: bool(home.deletes), "the delete")
            assert str(home.deletes[0]) == str(first["id"])
        # The raw WebSocket API, subscribing with the token as the subprotocol, as browsers do.
        asyncio.run(_websocket_round(base, str(ada.access_token), bo))


async def _websocket_round(base: str, token: str, author: Mastodon) -> None:
    url = base.replace("http://", "ws://") + "/api/v1/streaming"
    async with websockets.connect(url, subprotocols=[token], open_timeout=5) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == token
        await ws.send(json.dumps({"type": "subscribe", "stream": "public:local"}))
        await asyncio.sleep(0.3)
        posted = await asyncio.to_thread(author.status_post, "over the socket")
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["stream"] == ["public:local"]
        assert message["event"] == "update"
        assert json.loads(message["payload"])["id"] == str(posted["id"])


def test_two_servers_share_live_streams(tmp_path: Path) -> None:
    """A post made through one server reaches streams held open on the other within a second;
    what a reader may not see never reaches them, next to what they may see arriving."""
    with two_servers(tmp_path, ("ada", "bo", "cy", "di")) as servers:
        first, second = servers.first, servers.second
        app = Mastodon.create_app("Pixie streams", scopes=SCOPES, api_base_url=first.url, request_timeout=10)
        ada, bo, cy = (log_in(first.url, f"{n}@example.com", app) for n in ("ada", "bo", "cy"))
        di = log_in(second.url, "di@example.com", app)
        for target in (bo, cy):
            ada.account_follow(target.me()["id"])
        ada.account_block(cy.me()["id"])  # and unfollows cy, as a block does
        ada.account_follow(di.me()["id"])
        ada.account_mute(di.me()["id"])
        # ada and di read on the second server; di writes through it too, the others through the first.
        ada_second = Mastodon(access_token=ada.access_token, api_base_url=second.url, request_timeout=10)
        home, stranger, ada_direct, di_direct = Collected(), Collected(), Collected(), Collected()
        with ExitStack() as stack:
            stack.enter_context(streaming(ada_second.stream_user(home.listener(), run_async=True)))
            stack.enter_context(streaming(di.stream_public(stranger.listener(), run_async=True)))
            stack.enter_context(streaming(ada_second.stream_direct(ada_direct.listener(), run_async=True)))
            stack.enter_context(streaming(di.stream_direct(di_direct.listener(), run_async=True)))
            hidden = bo.status_post("only for my followers", visibility="private")
            from_blocked = cy.status_post("ada blocked me")
            from_muted = di.status_post("ada muted me")
            allowed = bo.status_post("for everyone")
            took = home.wait(lambda: str(allowed["id"]) in home.update_ids(), "the post on the other server")
            assert took < 1.0, f"the post took {took:.2f} s to reach the other server's stream"
            # di's post is written through the second server, so its event may come before or
            # after the others: wait for every expected post, then compare what arrived.
            public = {str(s["id"]) for s in (from_blocked, from_muted, allowed)}
            stranger.wait(lambda: public <= set(stranger.update_ids()), "the public stream")
            home.wait(lambda: str(hidden["id"]) in home.update_ids(), "the followers-only post")
            assert sorted(home.update_ids()) == sorted([str(hidden["id"]), str(allowed["id"])])
            assert str(from_blocked["id"]) not in home.update_ids()
            assert sorted(stranger.update_ids()) == sorted(public)
            assert str(hidden["id"]) not in stranger.update_ids()
            assert str(from_muted["id"]) not in home.update_ids()
            # A direct message reaches its recipient's direct stream only, on either server.
            for_di = bo.status_post("@di just for you", visibility="direct")
            for_ada = bo.status_post("@ada and this for you", visibility="direct")
            di_direct.wait(lambda: bool(di_direct.conversations), "di's direct message")
            ada_direct.wait(lambda: bool(ada_direct.conversations), "ada's direct message")
            assert di_direct.last_status_ids() == [str(for_di["id"])]
            assert ada_direct.last_status_ids() == [str(for_ada["id"])]
            assert str(for_di["id"]) not in home.update_ids() + stranger.update_ids()


def test_streams_reconnect_when_the_server_restarts(tmp_path: Path) -> None:
    """Mastodon.py reconnects by itself when the server goes away and comes back: the post made
    while it was away is in the timeline (a stream may miss events, the timeline never does),
    and the next one arrives live on the same stream handle."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(data_dir=str(tmp_path / "var"), base_url=base, secret_key=secrets.token_urlsafe(32))
    pixie(["migrate"], env=env, cwd=tmp_path)
    for name in ("ada", "bo"):
        pixie(["create-user", name, f"{name}@example.com"], env=env, cwd=tmp_path, stdin=PASSWORD + "\n")
    home = Collected()
    with ExitStack() as stack:
        first_server = stack.enter_context(ExitStack())
        first_server.enter_context(serve(env, tmp_path, port=port, name="before"))
        app = Mastodon.create_app("Pixie streams", scopes=SCOPES, api_base_url=base, request_timeout=10)
        ada, bo = log_in(base, "ada@example.com", app), log_in(base, "bo@example.com", app)
        ada.account_follow(bo.me()["id"])
        handle = ada.stream_user(
            home.listener(), run_async=True, reconnect_async=True, reconnect_async_wait_sec=0.5
        )
        stack.callback(handle.close)
        deadline = time.monotonic() + 5
        while not handle.is_receiving() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        first = bo.status_post("before the restart")
        home.wait(lambda: str(first["id"]) in home.update_ids(), "the first post")
        first_server.close()  # the server stops; the stream drops
        stack.enter_context(serve(env, tmp_path, port=port, name="after"))
        missed = bo.status_post("while the stream was reconnecting")
        assert str(missed["id"]) in [str(s["id"]) for s in ada.timeline_home()]
        # Posts until one arrives: the handle reconnects on its own, within a few seconds.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            after = str(bo.status_post("after the restart")["id"])
            with contextlib.suppress(AssertionError):
                home.wait(partial(_has_update, home, after), "a post after the restart", 1)
                break
        else:
            raise AssertionError("the stream did not come back after the server restarted")
        assert handle.is_alive()
