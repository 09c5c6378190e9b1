"""This process's live streams: which connection listens to which channel, and the delivery of
what arrives on those channels.

Messages on a channel name what happened (``{"event": "update", "status": 123}``), never the
rendered entity: each process decides for its own listeners, with the timelines' own rules and
at the moment of delivery, who may receive an event, and renders it once per distinct view
(``statuses.view_keys``), not once per connection. Messages are taken in batches, so a post that
reaches a thousand followers' channels at once is checked with one query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import orjson

from pixie.convert import conversations as convert_conversations
from pixie.convert import generations as convert_generations
from pixie.convert import notifications as convert_notifications
from pixie.convert import statuses as convert_statuses
from pixie.errors import NotFound, PixieError
from pixie.infra.pubsub import RESET
from pixie.infra.runtime import Runtime
from pixie.infra.tasks import cancel_all
from pixie.models.lists import List
from pixie.models.statuses import Status
from pixie.realtime import frames
from pixie.realtime.connections import Closed, Connection, Transport
from pixie.realtime.streams import Stream, user_channel
from pixie.services import audience, conversations, filters, generations, lists, notifications, oauth
from pixie.services.filter_rules import FilterMatch, hides
from pixie.services.oauth import AUTH_CHANNEL, TokenCache
from pixie.services.status_views import StatusView, view_keys, views_by_id

log = logging.getLogger("pixie.realtime")

HEARTBEAT_SECONDS = 15.0
# What a channel message names: the status, notification, conversation or generation it is about.
_SUBJECTS = ("status", "notification", "conversation", "generation")


@dataclass(frozen=True, slots=True, eq=False)
class _Target:
    connection: Connection
    stream: Stream
    viewer: int | None


@dataclass
class _Listening:
    """The connections of this process on one channel, with the streams each has on it, and,
    per event, the subscriptions that take it (kept until the subscriptions change: a post to
    ten thousand readers walks a ready list)."""

    listener: Callable[[str], Awaitable[None]]
    targets: dict[tuple[Connection, tuple[Any, ...]], _Target] = field(default_factory=dict)
    by_event: dict[str, list[_Target]] = field(default_factory=dict)

    def add(self, connection: Connection, stream: Stream) -> None:
        self.targets[(connection, stream.key)] = _Target(connection, stream, connection.account_id)
        self.by_event.clear()

    def remove(self, connection: Connection, stream: Stream) -> None:
        self.targets.pop((connection, stream.key), None)
        self.by_event.clear()

    def taking(self, event: str) -> list[_Target]:
        found = self.by_event.get(event)
        if found is None:
            found = self.by_event[event] = [t for t in self.targets.values() if event in t.stream.events]
        return found


def _context(stream: Stream) -> str:
    """Where a stream shows posts, as filters name it: home (the user stream and lists) or public."""
    return "public" if stream.is_public else "home"


def _match_key(match: FilterMatch) -> tuple[Any, ...]:
    return (match.filter.filter.id, tuple(match.keyword_matches or ()), tuple(match.status_matches or ()))


class Hub:
    def __init__(self, rt: Runtime, tokens: TokenCache) -> None:
        self._rt = rt
        self._tokens = tokens
        self._channels: dict[str, _Listening] = {}
        self._by_token: dict[str, set[Connection]] = {}
        self._connections: set[Connection] = set()
        self._inbox: list[tuple[str, dict[str, Any]]] = []
        self._recheck: set[int | None] = set()  # accounts whose connections' tokens to check again
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False

    @property
    def connections(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._rt.pubsub.subscribe(AUTH_CHANNEL, self._auth_changed)
        self._tasks = [
            asyncio.create_task(self._run(), name="pixie-streams"),
            asyncio.create_task(self._heartbeat(), name="pixie-streams-heartbeat"),
        ]

    def close_all(self) -> None:
        """Ends every stream (a server going away); clients reconnect to another process."""
        for connection in list(self._connections):
            connection.close(Closed.SHUTDOWN)

    async def stop(self) -> None:
        self.close_all()
        await cancel_all(self._tasks)
        self._tasks = []
        if self._started:
            await self._rt.pubsub.unsubscribe(AUTH_CHANNEL, self._auth_changed)
            self._started = False

    # --- connections and their streams ------------------------------------------------------

    def open(self, transport: Transport, principal: oauth.Principal | None) -> Connection:
        connection = Connection(transport, principal)
        self._connections.add(connection)
        if principal is not None:
            self._by_token.setdefault(principal.token_hash, set()).add(connection)
        return connection

    async def close(self, connection: Connection, reason: Closed = Closed.CLIENT) -> None:
        connection.close(reason)
        self._connections.discard(connection)
        if connection.principal is not None:
            same = self._by_token.get(connection.principal.token_hash)
            if same is not None:
                same.discard(connection)
                if not same:
                    del self._by_token[connection.principal.token_hash]
        for stream in list(connection.streams.values()):
            await self.unsubscribe(connection, stream)

    async def subscribe(self, connection: Connection, stream: Stream) -> None:
        """Starts delivering the stream to the connection (once: a repeat changes nothing).
        A list must be the caller's own (NotFound otherwise)."""
        if stream.key in connection.streams:
            return
        if stream.list_id is not None:
            assert connection.account_id is not None
            await lists.get(self._rt, connection.account_id, stream.list_id)
        connection.streams[stream.key] = stream
        channel = stream.channel(connection.account_id)
        listening = self._channels.get(channel)
        if listening is None:
            listening = _Listening(partial(self._received, channel))
            self._channels[channel] = listening
            listening.add(connection, stream)
            await self._rt.pubsub.listen(channel, listening.listener)
            if connection.account_id is not None and channel == user_channel(connection.account_id):
                # Before anything is published to it: a large audience is published to the
                # accounts marked present only (``presence``).
                await self._rt.presence.mark([connection.account_id])
        else:
            listening.add(connection, stream)

    async def unsubscribe(self, connection: Connection, stream: Stream) -> None:
        if connection.streams.pop(stream.key, None) is None:
            return
        channel = stream.channel(connection.account_id)
        listening = self._channels.get(channel)
        if listening is None:
            return
        listening.remove(connection, stream)
        if not listening.targets:
            del self._channels[channel]
            await self._rt.pubsub.unsubscribe(channel, listening.listener)

    # --- what arrives -------------------------------------------------------------------------

    async def _received(self, channel: str, message: str) -> None:
        if message == RESET:
            return  # a stream may miss events; clients catch up through REST
        self._inbox.append((channel, orjson.loads(message)))
        self._wake.set()

    async def _auth_changed(self, message: str) -> None:
        if message.startswith("t:"):
            for connection in list(self._by_token.get(message[2:], ())):
                await self.close(connection, Closed.REVOKED)
            return
        if message.startswith("a:"):
            self._recheck.add(int(message[2:]))
        elif message == RESET:
            self._recheck.add(None)  # every connection: revocations may have been missed
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._inbox = self._inbox, []
            try:
                if self._recheck:
                    await self._check_tokens()
                if batch:
                    await self._dispatch(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream delivery failed", extra={"messages": len(batch)})

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for connection in list(self._connections):
                if connection.transport is Transport.SSE:
                    connection.push(frames.SSE_HEARTBEAT)
            streaming = {c.account_id for c in self._connections if c.account_id is not None}
            try:
                await self._rt.presence.mark(a for a in streaming if user_channel(a) in self._channels)
            except Exception:
                log.warning("could not mark the accounts streaming here", exc_info=True)

    async def _check_tokens(self) -> None:
        accounts, self._recheck = self._recheck, set()
        everyone = None in accounts
        for connections in list(self._by_token.values()):
            sample = next(iter(connections))
            if not everyone and sample.account_id not in accounts:
                continue
            assert sample.principal is not None
            if not await self._still_valid(sample.principal):
                for connection in list(connections):
                    await self.close(connection, Closed.REVOKED)

    async def _still_valid(self, principal: oauth.Principal) -> bool:
        try:
            current = await oauth.principal_by_hash(self._rt, self._tokens, principal.token_hash)
        except PixieError:
            return False
        return current.state == oauth.ACTIVE

    # --- delivery -----------------------------------------------------------------------------

    def _targets(self, channel: str, event: str) -> list[_Target]:
        listening = self._channels.get(channel)
        return listening.taking(event) if listening is not None else []

    async def _dispatch(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        # What happened, in the order it first arrived, with every channel it arrived on.
        groups: dict[tuple[Any, ...], list[str]] = {}
        for channel, message in batch:
            event = message.get("event")
            subject = next((message[k] for k in _SUBJECTS if k in message), None)
            groups.setdefault((event, subject), []).append(channel)
        # Events about one account's own things, and how each is rendered for it.
        own = {
            "notification": self._notification,
            "conversation": self._conversation,
            "pixie.generation": self._generation,
        }
        for (event, subject), channels in groups.items():
            if event in ("update", "status.update"):
                await self._deliver_status(event, int(subject), channels)
            elif event == "delete":
                self._deliver(channels, event, str(subject))
            elif event in own:
                await self._deliver_own(event, channels, partial(own[event], int(subject)))
            elif event in ("filters_changed", "notifications_merged"):
                self._deliver(channels, event, None)

    def _deliver(self, channels: list[str], event: str, payload: str | None) -> None:
        built: dict[tuple[Any, ...], bytes | str] = {}
        for channel in channels:
            for target in self._targets(channel, event):
                self._push(target, event, payload, built)

    @staticmethod
    def _push(
        target: _Target, event: str, payload: str | None, built: dict[tuple[Any, ...], bytes | str]
    ) -> None:
        """Queues the event, building each distinct frame once (per transport and stream label)."""
        connection = target.connection
        if connection.transport is Transport.SSE:
            key: tuple[Any, ...] = (Transport.SSE, id(payload))
            frame = built.get(key)
            if frame is None:
                frame = built[key] = frames.sse(event, payload)
        else:
            label = target.stream.label
            key = (Transport.WEBSOCKET, id(payload), *label)
            frame = built.get(key)
            if frame is None:
                frame = built[key] = frames.websocket(label, event, payload)
        connection.push(frame)

    async def _deliver_status(self, event: str, status_id: int, channels: list[str]) -> None:
        targets = [t for channel in channels for t in self._targets(channel, event)]
        if not targets:
            return
        settings = self._rt.settings
        deliveries: list[tuple[_Target, str]] = []
        async with self._rt.db.read() as session:
            status = await session.get(Status, status_id)
            if status is None:
                return
            targets = await self._accepted(session, status_id, targets)
            viewers = {t.viewer for t in targets if t.viewer is not None}
            keys = await view_keys(session, status, viewers)
            # The readers' filters, by the context each stream shows posts in.
            by_context: dict[str, set[int]] = {}
            for t in targets:
                if t.viewer is not None:
                    by_context.setdefault(_context(t.stream), set()).add(t.viewer)
            screens = {ctx: await filters.screens(session, vs, ctx) for ctx, vs in by_context.items()}
            described: dict[int, list[str]] | None = None
            # One view per distinct key, one rendering per distinct (view, filter matches).
            views: dict[Any, StatusView | None] = {}
            rendered: dict[tuple[Any, ...], str] = {}
            for t in targets:
                key = keys.get(t.viewer) if t.viewer is not None else None
                if key not in views:
                    views[key] = (await views_by_id(session, [status_id], t.viewer)).get(status_id)
                view = views[key]
                if view is None:
                    continue
                matches: list[FilterMatch] = []
                screen = None if t.viewer is None else screens.get(_context(t.stream), {}).get(t.viewer)
                if screen is not None:
                    if described is None:
                        proper = (view.reblog or view).status.id
                        described = await filters.descriptions(session, [proper]) if screen.reads_text else {}
                    ids = [view.status.id] + ([view.reblog.status.id] if view.reblog is not None else [])
                    matches = screen.matches(ids, filters.text_of(view, described))
                    if hides(matches):
                        continue
                shown = (key, *map(_match_key, matches)) if matches else (key,)
                if shown not in rendered:
                    entity = convert_statuses.status(settings, replace(view, filtered=matches))
                    rendered[shown] = orjson.dumps(entity).decode()
                deliveries.append((t, rendered[shown]))
        built: dict[tuple[Any, ...], bytes | str] = {}
        for target, payload in deliveries:
            self._push(target, event, payload, built)

    @staticmethod
    async def _accepted(session: Any, status_id: int, targets: list[_Target]) -> list[_Target]:
        """The targets whose stream's timeline holds the status now, for the stream's reader."""
        home: set[int] = set()
        public: set[int] = set()
        anonymous = False
        by_list: dict[int, set[int]] = {}
        for t in targets:
            if t.stream.name in ("user", "user:notification", "direct"):
                assert t.viewer is not None
                home.add(t.viewer)
            elif t.stream.list_id is not None:
                assert t.viewer is not None
                by_list.setdefault(t.stream.list_id, set()).add(t.viewer)
            elif t.viewer is None:
                anonymous = True
            else:
                public.add(t.viewer)
        home_ok = await audience.accepting(session, status_id, audience.home(), home)
        public_ok = await audience.accepting(session, status_id, audience.public(), public)
        anonymous_ok = anonymous and await audience.anonymous_accepts(session, status_id, audience.public())
        list_ok: dict[int, set[int]] = {}
        for list_id, owners in by_list.items():
            found = await session.get(List, list_id)
            if found is not None:
                list_ok[list_id] = await audience.accepting(
                    session, status_id, audience.of_list(found), owners
                )
        accepted = []
        for t in targets:
            if t.stream.name in ("user", "user:notification", "direct"):
                ok = t.viewer in home_ok
            elif t.stream.list_id is not None:
                ok = t.viewer in list_ok.get(t.stream.list_id, set())
            elif t.viewer is None:
                ok = anonymous_ok
            else:
                ok = t.viewer in public_ok
            if ok:
                accepted.append(t)
        return accepted

    async def _deliver_own(
        self, event: str, channels: list[str], render: Callable[[int], Awaitable[dict[str, Any]]]
    ) -> None:
        """An event about something of one account's own (a notification, a conversation, a
        generation), rendered for that account from what REST answers it: gone or hidden
        (NotFound) means nothing is sent."""
        for channel in channels:
            targets = list(self._targets(channel, event))
            if not targets or targets[0].viewer is None:
                continue
            with contextlib.suppress(NotFound):
                payload = orjson.dumps(await render(targets[0].viewer)).decode()
                built: dict[tuple[Any, ...], bytes | str] = {}
                for target in targets:
                    self._push(target, event, payload, built)

    async def _notification(self, notification_id: int, viewer: int) -> dict[str, Any]:
        view = await notifications.get(self._rt, viewer, notification_id)
        return convert_notifications.notification(self._rt.settings, view)

    async def _conversation(self, conversation_id: int, viewer: int) -> dict[str, Any]:
        view = await conversations.get(self._rt, viewer, conversation_id)
        return convert_conversations.conversation(self._rt.settings, view)

    async def _generation(self, generation_id: int, viewer: int) -> dict[str, Any]:
        view = await generations.get(self._rt, viewer, generation_id)
        return convert_generations.generation(self._rt.settings, view)
