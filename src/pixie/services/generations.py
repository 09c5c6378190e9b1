"""Generating images: a person asks for candidates, a job renders them on a worker, the person
posts one (the choice) or remixes someone else's post.

A generation is a row (what was asked) and a job (its state, attempts, lease and progress). The job
renders candidate i with seed + i, stores each through the media pipeline with a signed C2PA
manifest, and links it to the generation only while the job is still this attempt's: a late worker,
a cancelled job or one handed to another worker stores nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid, NotFound, RateLimited, Unavailable
from pixie.generation.providers import GenerationRequest, GeneratorError, parse_size
from pixie.generation.safety import ModerationUnavailable, PromptRefused
from pixie.generation.styles import STYLES, Style, apply_style, style_by_id
from pixie.infra import jobs
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import User
from pixie.models.generations import IMAGE, TEXT, Generation, PromptRefusal
from pixie.models.media import CANDIDATE, MediaAttachment
from pixie.models.statuses import Status
from pixie.models.system import Job
from pixie.services import events, media
from pixie.services.paging import Paging
from pixie.services.visibility import visible_to

log = logging.getLogger("pixie.generations")

KIND = "generation"
MAX_CANDIDATES = 4
MAX_IDEMPOTENCY_KEY = 128
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class NewGeneration:
    prompt: str = ""
    negative_prompt: str = ""
    style: str | None = None
    size: str | None = None
    seed: int | None = None
    n: int = 4
    remix_of_id: int | None = None
    mode: str = TEXT
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GenerationView:
    generation: Generation
    state: str
    progress: float
    error: str | None
    finished_at: datetime | None
    candidates: list[MediaAttachment] = field(default_factory=list)


def styles() -> tuple[Style, ...]:
    return STYLES


# --- asking --------------------------------------------------------------------------------------


def _check(rt: Runtime, new: NewGeneration) -> tuple[str, Style | None]:
    limit = rt.settings.generation_prompt_max_characters
    if not new.prompt.strip():
        raise Invalid("Validation failed: Prompt can't be blank")
    for name, text in (("Prompt", new.prompt), ("Negative prompt", new.negative_prompt)):
        if len(text) > limit:
            raise Invalid(f"Validation failed: {name} is too long (at most {limit} characters)")
        if "\x00" in text:
            raise Invalid(f"Validation failed: {name} contains a NUL character")
    if not 1 <= new.n <= MAX_CANDIDATES:
        raise Invalid(f"Validation failed: n must be between 1 and {MAX_CANDIDATES}")
    generator = rt.generator
    size = new.size or generator.sizes[0]
    if size not in generator.sizes:
        raise Invalid(f"Validation failed: size must be one of {', '.join(generator.sizes)}")
    style = None
    if new.style:
        style = style_by_id(new.style)
        if style is None:
            raise Invalid(
                f"Validation failed: unknown style {new.style!r}; GET /api/v1/pixie/styles lists them"
            )
    if new.seed is not None and not 0 <= new.seed <= MAX_SEED:
        raise Invalid(f"Validation failed: seed must be between 0 and {MAX_SEED}")
    if new.mode not in (TEXT, IMAGE):
        raise Invalid("Validation failed: mode must be text or image")
    if new.mode == IMAGE:
        if new.remix_of_id is None:
            raise Invalid(
                "Validation failed: image-to-image needs remix_of, the post whose image to start from"
            )
        if not generator.image_to_image:
            raise Invalid(
                f"Validation failed: this instance's generator ({generator.provider}) cannot start from "
                "an image; remix with mode=text"
            )
    if new.idempotency_key is not None and len(new.idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Invalid("Validation failed: Idempotency-Key is too long")
    return size, style


async def _remix_source(session: AsyncSession, account_id: int, new: NewGeneration) -> Status | None:
    if new.remix_of_id is None:
        return None
    source = await session.scalar(select(Status).where(Status.id == new.remix_of_id, visible_to(account_id)))
    if source is None or source.reblog_of_id is not None:
        raise NotFound("The post to remix was not found")
    if source.account_id != account_id and not await remix_allowed(session, source):
        raise Forbidden("The author of this post does not allow remixes")
    if new.mode == IMAGE:
        first = await session.scalar(
            select(MediaAttachment.id).where(MediaAttachment.status_id == source.id).limit(1)
        )
        if first is None:
            raise Invalid("Validation failed: the post to remix has no image to start from")
    return source


async def remix_allowed(session: AsyncSession, status: Status) -> bool:
    """Whether others may remix the post: its own setting, else its author's default."""
    if status.allow_remix is not None:
        return status.allow_remix
    default = await session.scalar(select(User.allow_remix).where(User.account_id == status.account_id))
    return bool(default) if default is not None else True


async def _check_limits(session: AsyncSession, rt: Runtime, account_id: int) -> None:
    active = await session.scalar(
        select(func.count())
        .select_from(Generation)
        .join(Job, Job.id == Generation.job_id)
        .where(Generation.account_id == account_id, Job.state.in_((jobs.QUEUED, jobs.RUNNING)))
    )
    most = rt.settings.generation_max_concurrent
    if (active or 0) >= most:
        raise RateLimited(
            f"You have {most} generations under way; wait for one to finish or cancel one", retry_after=5
        )
    quota = rt.settings.generation_daily_quota
    if quota:
        since = utcnow() - timedelta(days=1)
        recent = list(
            await session.scalars(
                select(Generation.created_at)
                .where(Generation.account_id == account_id, Generation.created_at > since)
                .order_by(Generation.created_at)
            )
        )
        if len(recent) >= quota:
            # The window frees a slot when its oldest generation turns a day old.
            wait = recent[len(recent) - quota] + timedelta(days=1) - utcnow()
            raise RateLimited(
                f"You have used your {quota} generations for the last 24 hours",
                retry_after=max(1, int(wait.total_seconds()) + 1),
            )


async def _refuse(rt: Runtime, account_id: int, new: NewGeneration, refused: PromptRefused) -> None:
    async with rt.write() as session:
        session.add(
            PromptRefusal(
                account_id=account_id,
                prompt=new.prompt,
                negative_prompt=new.negative_prompt,
                source=refused.source,
                reason=refused.reason,
                categories=list(refused.categories),
            )
        )


async def start(rt: Runtime, account_id: int, new: NewGeneration) -> GenerationView:
    """Queues a generation after checking its input, the remixed post, limits and prompt safety."""
    size, style = _check(rt, new)
    if new.idempotency_key:
        earlier = await _by_idempotency_key(rt, account_id, new.idempotency_key)
        if earlier is not None:
            return earlier
    async with rt.db.read() as session:
        source = await _remix_source(session, account_id, new)
        await _check_limits(session, rt, account_id)
    try:
        await rt.prompts.check(new.prompt, new.negative_prompt)
    except PromptRefused as refused:
        await _refuse(rt, account_id, new, refused)
        raise Invalid(refused.reason) from None
    except ModerationUnavailable as down:
        raise Unavailable(
            "Prompts cannot be checked right now, so nothing can be generated; try again in a minute",
            retry_after=int(down.retry_after or 30),
        ) from None
    generator = rt.generator
    try:
        async with rt.write() as session:
            generation = Generation(
                account_id=account_id,
                prompt=new.prompt,
                negative_prompt=new.negative_prompt,
                style=style.id if style else None,
                size=size,
                seed=new.seed if new.seed is not None else secrets.randbelow(MAX_SEED - MAX_CANDIDATES),
                n=new.n,
                mode=new.mode,
                remix_of_id=source.id if source else None,
                provider=generator.provider,
                model=generator.model,
                idempotency_key=new.idempotency_key or None,
                details={},
            )
            session.add(generation)
            await session.flush()
            job = jobs.add_job(
                session, KIND, {"generation_id": generation.id}, max_attempts=rt.settings.generation_attempts
            )
            await session.flush()
            generation.job_id = job.id
            record(session, events.GenerationRequested(generation_id=generation.id, account_id=account_id))
    except IntegrityError:
        if new.idempotency_key:
            earlier = await _by_idempotency_key(rt, account_id, new.idempotency_key)
            if earlier is not None:
                return earlier
        raise
    return await get(rt, account_id, generation.id)


async def _by_idempotency_key(rt: Runtime, account_id: int, key: str) -> GenerationView | None:
    async with rt.db.read() as session:
        found = await session.scalar(
            select(Generation.id).where(
                Generation.account_id == account_id, Generation.idempotency_key == key
            )
        )
    return await get(rt, account_id, found) if found is not None else None


# --- reading -------------------------------------------------------------------------------------


async def _views(session: AsyncSession, found: list[Generation]) -> list[GenerationView]:
    if not found:
        return []
    job_ids = [g.job_id for g in found if g.job_id is not None]
    job_rows = {j.id: j for j in await session.scalars(select(Job).where(Job.id.in_(job_ids)))}
    candidates: dict[int, list[MediaAttachment]] = {}
    for m in await session.scalars(
        select(MediaAttachment)
        .where(MediaAttachment.generation_id.in_([g.id for g in found]))
        .order_by(MediaAttachment.seed, MediaAttachment.id)
    ):
        assert m.generation_id is not None
        candidates.setdefault(m.generation_id, []).append(m)
    views = []
    for g in found:
        job = job_rows.get(g.job_id) if g.job_id is not None else None
        state = job.state if job is not None else jobs.FAILED
        progress = 1.0 if state == jobs.SUCCEEDED else float((job.progress if job else None) or 0.0)
        views.append(
            GenerationView(
                g,
                state=state,
                progress=progress,
                error=job.error if job is not None and state == jobs.FAILED else None,
                finished_at=job.finished_at if job is not None else None,
                candidates=candidates.get(g.id, []),
            )
        )
    return views


async def get(rt: Runtime, account_id: int, generation_id: int) -> GenerationView:
    """One of the caller's generations (others' are not found)."""
    async with rt.db.read() as session:
        found = await session.scalar(
            select(Generation).where(Generation.id == generation_id, Generation.account_id == account_id)
        )
        if found is None:
            raise NotFound()
        return (await _views(session, [found]))[0]


async def mine(rt: Runtime, account_id: int, paging: Paging) -> list[GenerationView]:
    async with rt.db.read() as session:
        query = paging.apply(
            select(Generation).where(Generation.account_id == account_id), Generation.id, most=40
        )
        return await _views(session, paging.newest_first(list(await session.scalars(query))))


async def cancel(rt: Runtime, account_id: int, generation_id: int) -> GenerationView:
    """Cancels a queued or running generation (a finished one is left as it is)."""
    view = await get(rt, account_id, generation_id)
    if view.generation.job_id is not None and await jobs.cancel_job(rt.db, view.generation.job_id):
        async with rt.write() as session:
            record(
                session,
                events.GenerationFinished(
                    generation_id=generation_id, account_id=account_id, state=jobs.CANCELLED
                ),
            )
    return await get(rt, account_id, generation_id)


# --- rendering (the job) -------------------------------------------------------------------------


def _description(generation: Generation, label: str) -> str:
    """A suggested description (alt text) the person can edit before posting."""
    what = "Sketch" if label == "sketch" else "AI-generated image"
    text = f"{what}: {generation.prompt.strip()}"
    return text[:1500]


async def _source_image(rt: Runtime, generation: Generation) -> bytes | None:
    if generation.mode != IMAGE or generation.remix_of_id is None:
        return None
    async with rt.db.read() as session:
        first = await session.scalar(
            select(MediaAttachment)
            .where(MediaAttachment.status_id == generation.remix_of_id)
            .order_by(MediaAttachment.position)
            .limit(1)
        )
    if first is None or first.original_key is None:
        raise jobs.PermanentJobError("The post to remix no longer has an image")
    data = await rt.storage.get(first.original_key)
    if data is None:
        raise jobs.PermanentJobError("The image of the post to remix could not be read")
    return data


async def _link(
    rt: Runtime, context: jobs.JobContext, generation: Generation, candidate: MediaAttachment
) -> bool:
    """Makes a stored image a candidate of the generation, if the job is still this attempt's."""
    still_mine = (
        select(Job.id)
        .where(Job.id == context.id, Job.state == jobs.RUNNING, Job.attempts == context.attempt)
        .scalar_subquery()
    )
    async with rt.write() as session:
        linked = await session.execute(
            update(MediaAttachment)
            .where(MediaAttachment.id == candidate.id, still_mine.is_not(None))
            .values(generation_id=generation.id)
        )
    return bool(linked.rowcount)  # type: ignore[attr-defined]


async def _forget(rt: Runtime, candidate: MediaAttachment) -> None:
    async with rt.write() as session:
        await session.execute(delete(MediaAttachment).where(MediaAttachment.id == candidate.id))
    await media.forget_files(rt, candidate.stored_keys())


class _NoLongerOurs(jobs.PermanentJobError):
    """The job was cancelled or handed to another worker while this attempt ran."""


async def _finished(rt: Runtime, generation: Generation, state: str) -> None:
    async with rt.write() as session:
        record(
            session,
            events.GenerationFinished(
                generation_id=generation.id, account_id=generation.account_id, state=state
            ),
        )


async def run(rt: Runtime, context: jobs.JobContext) -> dict[str, Any]:
    """The job: renders the candidates still missing (a retry keeps those already made)."""
    async with rt.db.read() as session:
        generation = await session.get(Generation, int(context.payload["generation_id"]))
        if generation is None:
            raise jobs.PermanentJobError("The generation was deleted")
        made = set(
            await session.scalars(
                select(MediaAttachment.seed).where(MediaAttachment.generation_id == generation.id)
            )
        )
        attempts = await session.scalar(select(Job.max_attempts).where(Job.id == context.id)) or 1
    try:
        result = await _render(rt, context, generation, made)
    except _NoLongerOurs:
        raise
    except (jobs.PermanentJobError, jobs.RetryableJobError) as failed:
        # A failure is an event once no attempt is left (the job row says so too).
        if isinstance(failed, jobs.PermanentJobError) or context.attempt >= attempts:
            await _finished(rt, generation, jobs.FAILED)
        raise
    await _finished(rt, generation, jobs.SUCCEEDED)
    return result


async def _render(
    rt: Runtime, context: jobs.JobContext, generation: Generation, made: set[int | None]
) -> dict[str, Any]:
    generator = rt.generator
    style = style_by_id(generation.style) if generation.style else None
    prompt, negative = apply_style(style, generation.prompt, generation.negative_prompt)
    width, height = parse_size(generation.size)
    init_image = await _source_image(rt, generation)
    n = generation.n
    for i in range(n):
        seed = generation.seed + i
        if seed in made:
            continue

        async def step(fraction: float, done: int = i) -> None:
            await context.progress((done + max(0.0, min(fraction, 1.0)) * 0.9) / n)

        request = GenerationRequest(
            prompt=prompt,
            negative_prompt=negative,
            seed=seed,
            width=width,
            height=height,
            style=generation.style,
            init_image=init_image,
        )
        try:
            image = await generator.generate(request, step)
        except GeneratorError as failed:
            if failed.transient:
                raise jobs.RetryableJobError(failed.message, retry_after=failed.retry_after) from None
            raise jobs.PermanentJobError(failed.message) from None
        candidate = await media.store_generated(
            rt,
            generation.account_id,
            image.data,
            label=generator.label,
            digital_source_type=generator.digital_source_type,
            provider=generator.provider,
            model=generator.model,
            description=_description(generation, generator.label),
            origin=CANDIDATE,
        )
        await _set_seed(rt, candidate, seed)
        if not await _link(rt, context, generation, candidate):
            await _forget(rt, candidate)
            # Cancelled or handed to another worker: nothing of this attempt is kept, and the
            # failure it records is conditional on the job being ours, so it changes nothing.
            raise _NoLongerOurs("The generation was cancelled or taken over by another worker")
        made.add(seed)
        async with rt.write() as session:
            record(
                session,
                events.GenerationProgressed(
                    generation_id=generation.id,
                    account_id=generation.account_id,
                    progress=(i + 1) / n,
                    candidates=len(made),
                ),
            )
        await context.progress((i + 1) / n)
    return {"candidates": len(made)}


async def _set_seed(rt: Runtime, candidate: MediaAttachment, seed: int) -> None:
    async with rt.write() as session:
        await session.execute(
            update(MediaAttachment).where(MediaAttachment.id == candidate.id).values(seed=seed)
        )
    candidate.seed = seed


# --- choosing (inside the post's transaction) ----------------------------------------------------


async def record_choice(session: AsyncSession, status: Status, attached: list[MediaAttachment]) -> None:
    """Called by posting: when the post's images include a candidate, the post is made from that
    generation; the chosen candidate and those passed over are recorded (the preference signal)."""
    chosen = next((m for m in attached if m.generation_id is not None), None)
    if chosen is None:
        return
    generation = await session.get(Generation, chosen.generation_id)
    if generation is None or generation.account_id != status.account_id:
        return
    status.generation_id = generation.id
    status.remix_of_id = generation.remix_of_id
    if generation.remix_of_id is not None:
        await session.execute(
            update(Status)
            .where(Status.id == generation.remix_of_id)
            .values(remixes_count=Status.remixes_count + 1)
        )
    if generation.chosen_media_id is None:
        generation.chosen_media_id = chosen.id
        generation.status_id = status.id
        generation.chosen_at = utcnow()
    others = list(
        await session.scalars(
            select(MediaAttachment.id).where(
                MediaAttachment.generation_id == generation.id, MediaAttachment.id != chosen.id
            )
        )
    )
    record(
        session,
        events.CandidateChosen(
            generation_id=generation.id,
            account_id=status.account_id,
            status_id=status.id,
            chosen_media_id=chosen.id,
            passed_over_media_ids=[i for i in others if i not in {m.id for m in attached}],
        ),
    )


async def of_statuses(session: AsyncSession, generation_ids: set[int]) -> dict[int, Generation]:
    if not generation_ids:
        return {}
    found = await session.scalars(select(Generation).where(Generation.id.in_(generation_ids)))
    return {g.id: g for g in found}


async def remove_old_candidates(rt: Runtime) -> int:
    """Removes candidates nobody posted once the retention has passed."""
    days = rt.settings.generation_candidate_retention_days
    return await media.remove_unused(rt, CANDIDATE, timedelta(days=days))


def install(rt: Runtime) -> None:
    rt.jobs.register(KIND, lambda context: run(rt, context), timeout=rt.settings.generation_timeout_seconds)
