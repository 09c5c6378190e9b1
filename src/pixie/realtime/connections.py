"""One client's open stream connection, as the hub sees it: who it is, what it listens to, and a
bounded queue of frames waiting to be written."""

from __future__ import annotations

import asyncio
from collections import deque
from enum import Enum

from pixie.realtime.streams import Stream
from pixie.services.oauth import Principal

# A connection whose client stops reading is closed once this much waits for it: it never holds
# the process's memory, and never delays what others receive.
MAX_QUEUED_FRAMES = 1000
MAX_QUEUED_BYTES = 4 * 1024 * 1024


class Transport(Enum):
    SSE = "sse"
    WEBSOCKET = "websocket"


class Closed(Enum):
    CLIENT = "the client went away"
    REVOKED = "the access token is no longer valid"
    SLOW = "the client does not read fast enough"
    UNSUPPORTED = "the client sent binary data"
    SHUTDOWN = "the server is stopping"


class Connection:
    """Frames are pushed by the hub without waiting; the connection's own task writes them."""

    __slots__ = (
        "_queued_bytes",
        "_waiter",
        "account_id",
        "closed",
        "principal",
        "queue",
        "sending",
        "streams",
        "task",
        "transport",
    )

    def __init__(self, transport: Transport, principal: Principal | None) -> None:
        self.transport = transport
        self.principal = principal
        self.account_id = principal.account_id if principal is not None else None
        self.streams: dict[tuple[str, str | None, int | None], Stream] = {}
        self.queue: deque[bytes | str] = deque()
        self._queued_bytes = 0
        # The writer's wait for frames: a bare future, the cheapest thing to wake ten thousand of.
        self._waiter: asyncio.Future[None] | None = None
        self.closed: Closed | None = None
        self.sending = False
        self.task = asyncio.current_task()

    def push(self, frame: bytes | str) -> None:
        if self.closed is not None:
            return
        if len(self.queue) >= MAX_QUEUED_FRAMES or self._queued_bytes + len(frame) > MAX_QUEUED_BYTES:
            self.close(Closed.SLOW)
            return
        self.queue.append(frame)
        self._queued_bytes += len(frame)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self, reason: Closed) -> None:
        if self.closed is not None:
            return
        self.closed = reason
        self._wake()
        if reason is Closed.SLOW:
            self.queue.clear()
            self._queued_bytes = 0
            if self.sending and self.task is not None:
                # Stuck writing to a client that does not read: only cancelling frees it.
                self.task.cancel()

    async def next_frames(self) -> list[bytes | str] | None:
        """Everything queued so far, once there is something; None once the connection closed."""
        while not self.queue and self.closed is None:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.closed is not None:
            return None
        frames = list(self.queue)
        self.queue.clear()
        self._queued_bytes = 0
        return frames
