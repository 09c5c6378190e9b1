"""Time-sortable 64-bit ids in Mastodon's layout: ``unix_ms << 16 | low16``.

The low 16 bits are ``node << 8 | sequence``: each process takes a node number from the database
when it starts (``id_nodes``), so two processes never hand out the same id, and each may make 256
ids per millisecond before it waits for the next one.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

NODE_BITS = 8
SEQUENCE_BITS = 8
NODE_COUNT = 1 << NODE_BITS
SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1


class IdGenerator:
    def __init__(self, node: int = 0) -> None:
        self._node = node % NODE_COUNT
        self._lock = threading.Lock()
        self._last_ms = 0
        self._sequence = 0

    @property
    def node(self) -> int:
        return self._node

    def set_node(self, node: int) -> None:
        self._node = node % NODE_COUNT

    def next_id(self) -> int:
        with self._lock:
            now = time.time_ns() // 1_000_000
            if now < self._last_ms:
                now = self._last_ms  # the clock went back: stay monotonic
            if now == self._last_ms:
                self._sequence += 1
                if self._sequence > SEQUENCE_MASK:
                    while now <= self._last_ms:
                        time.sleep(0.0002)
                        now = time.time_ns() // 1_000_000
                    self._sequence = 0
            else:
                self._sequence = 0
            self._last_ms = now
            return (now << 16) | (self._node << SEQUENCE_BITS) | self._sequence


_generator = IdGenerator()


def generator() -> IdGenerator:
    return _generator


def new_id() -> int:
    return _generator.next_id()


def id_at(moment: datetime) -> int:
    """The smallest id made at ``moment``: a cursor for date-based paging."""
    return int(moment.timestamp() * 1000) << 16


def time_of(id_: int) -> datetime:
    return datetime.fromtimestamp((id_ >> 16) / 1000, tz=UTC)
