"""Periodic clean-up: expired codes, links and mutes, revoked tokens, old events, finished jobs
and uploads no post uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from pixie.db.types import utcnow
from pixie.infra import jobs
from pixie.infra.jobs import JobContext
from pixie.infra.runtime import Runtime
from pixie.models.blocks import Mute
from pixie.models.email_tokens import EmailToken
from pixie.models.oauth import AccessToken, AuthorizationCode
from pixie.models.system import Job, OutboxEvent
from pixie.services import generations, media

CLEANUP = "maintenance.cleanup"
CLEANUP_EVERY = timedelta(hours=1)
KEEP_REVOKED_TOKENS = timedelta(days=30)
KEEP_FINISHED_JOBS = timedelta(days=7)
KEEP_USED_CODES = timedelta(days=1)


async def cleanup(rt: Runtime) -> dict[str, int]:
    now = utcnow()
    removed: dict[str, int] = {}
    async with rt.write() as session:
        statements: dict[str, Any] = {
            # Used codes are kept a day past their expiry, so a replay is still recognised
            # (and revokes what the code gave) rather than being an unknown code.
            "authorization_codes": delete(AuthorizationCode).where(
                AuthorizationCode.expires_at < now - KEEP_USED_CODES
            ),
            "email_tokens": delete(EmailToken).where(
                (EmailToken.expires_at < now) | EmailToken.used_at.is_not(None)
            ),
            "access_tokens": delete(AccessToken).where(
                (AccessToken.revoked_at < now - KEEP_REVOKED_TOKENS)
                | (AccessToken.expires_at < now - KEEP_REVOKED_TOKENS)
            ),
            "outbox_events": delete(OutboxEvent).where(
                OutboxEvent.dispatched_at < now - timedelta(days=rt.settings.outbox_retention_days)
            ),
            # Reads already treat an expired mute as absent; this only frees the rows.
            "mutes": delete(Mute).where(Mute.expires_at < now),
            "jobs": delete(Job).where(
                Job.state.in_(jobs.FINISHED), Job.finished_at < now - KEEP_FINISHED_JOBS
            ),
        }
        for name, statement in statements.items():
            result = await session.execute(statement)
            removed[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed["media_attachments"] = await media.remove_unattached(rt)
    removed["generation_candidates"] = await generations.remove_old_candidates(rt)
    return removed


async def enqueue_cleanup(rt: Runtime) -> int | None:
    # One job per hour slot, however many schedulers (or restarts) ask for it.
    slot = int(utcnow().timestamp() // CLEANUP_EVERY.total_seconds())
    return await rt.jobs.enqueue(CLEANUP, unique_key=f"{CLEANUP}:{slot}")


def install(rt: Runtime) -> None:
    async def run_cleanup(_: JobContext) -> dict[str, Any]:
        return {"removed": await cleanup(rt)}

    async def reap() -> None:
        await rt.jobs.reap()
        await rt.jobs.sweep()  # messages lost with Redis are sent again

    async def schedule_cleanup() -> None:
        await enqueue_cleanup(rt)

    rt.jobs.register(CLEANUP, run_cleanup)
    rt.scheduler.add("jobs.reap", rt.reap_every, reap)
    rt.scheduler.add(CLEANUP, CLEANUP_EVERY, schedule_cleanup)
