"""Each running process leases its own id node number (0-255) from the database, so the ids it
makes never collide with another process's, however many have started before."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from pixie.db.engine import Database
from pixie.db.ids import NODE_COUNT, generator
from pixie.db.types import utcnow
from pixie.infra.jobs import worker_name
from pixie.infra.tasks import cancel_all
from pixie.models.system import IdNode

log = logging.getLogger("pixie.ids")
LEASE = timedelta(minutes=10)


class NoFreeIdNode(RuntimeError):
    pass


class IdNodeLease:
    def __init__(self, db: Database, *, lease: timedelta = LEASE) -> None:
        self._db = db
        self._lease = lease
        self._holder = worker_name()
        self.node: int | None = None
        self._renewal: asyncio.Task[None] | None = None

    async def acquire(self) -> int:
        """Takes a node nobody holds (or whose holder let its lease run out) and uses it."""
        for _ in range(NODE_COUNT):
            now = utcnow()
            free = or_(IdNode.expires_at.is_(None), IdNode.expires_at < now)
            async with self._db.write() as session:
                candidate = await session.scalar(select(IdNode.id).where(free).order_by(IdNode.id).limit(1))
                if candidate is None:
                    raise NoFreeIdNode(f"all {NODE_COUNT} id nodes are leased by running processes")
                taken = await session.execute(
                    update(IdNode)
                    .where(IdNode.id == candidate, free)
                    .values(holder=self._holder, expires_at=now + self._lease)
                )
            if taken.rowcount:  # type: ignore[attr-defined]
                self.node = candidate
                generator().set_node(candidate)
                return candidate
        raise NoFreeIdNode("could not lease an id node")

    def keep(self) -> None:
        """Renews the lease in the background for as long as the process runs."""
        self._renewal = asyncio.create_task(self._renew(), name="pixie-id-node")

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._db.write() as session:
                    await session.execute(
                        update(IdNode)
                        .where(IdNode.id == self.node, IdNode.holder == self._holder)
                        .values(expires_at=utcnow() + self._lease)
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not renew the id node lease", exc_info=True)

    async def release(self) -> None:
        if self._renewal is not None:
            await cancel_all([self._renewal])
            self._renewal = None
        if self.node is None:
            return
        async with self._db.write() as session:
            await session.execute(
                update(IdNode)
                .where(IdNode.id == self.node, IdNode.holder == self._holder)
                .values(holder=None, expires_at=None)
            )
        self.node = None
