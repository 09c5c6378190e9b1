"""Uploading, processing, describing and attaching images.

Files go to storage before the row that names them is committed, and are removed again when the
write fails, so the database never points at a missing file. Processing (decoding, resizing,
encoding) is CPU work and runs in a worker thread; large images posted to /api/v2/media are
processed by a background job instead, while the client polls.

Provenance: an upload is read for a C2PA manifest and an AI marker before its metadata is cut out;
one that carried a manifest is signed again after processing, naming the upload as its parent, so
the chain survives. Generated images are signed after processing (see :func:`store_generated`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie import __version__
from pixie.config import Settings
from pixie.db.idlist import one_of
from pixie.db.types import utcnow
from pixie.errors import Conflict, Invalid, NotFound, TooLarge
from pixie.generation.providers import ProvenanceLabel
from pixie.infra import jobs, storage
from pixie.infra.jobs import JobContext
from pixie.infra.runtime import Runtime
from pixie.media import processing, provenance
from pixie.media.processing import ImageRefused, ProcessedImage, Rendition
from pixie.models.media import (
    AI_GENERATED,
    CANDIDATE,
    FAILED,
    NO_LABEL,
    PROCESSING,
    READY,
    UPLOAD,
    MediaAttachment,
)

log = logging.getLogger("pixie.media")

PROCESS_JOB = "media.process"
# Avatars are square; headers are Mastodon's 3:1.
PROFILE_SIZES: dict[str, tuple[int, int]] = {"avatar": (400, 400), "header": (1500, 500)}


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point: "x,y", each from -1.0 to 1.0 (0,0 is the centre)."""
    if value is None or value == "":
        return None
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError:
        raise Invalid("Focus must be two numbers, x,y, each from -1.0 to 1.0") from None
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (x, y)):
        raise Invalid("Focus must be two numbers, x,y, each from -1.0 to 1.0")
    return x, y


def _check_description(rt: Runtime, description: str | None) -> None:
    limit = rt.settings.media_description_limit
    if description is not None and len(description) > limit:
        raise Invalid(f"Validation failed: Description is too long (maximum is {limit} characters)")


def _check_size(rt: Runtime, data: bytes) -> None:
    if not data:
        raise Invalid("Validation failed: File is empty")
    limit = rt.settings.media_max_bytes
    if len(data) > limit:
        raise TooLarge(f"The file is {len(data)} bytes; at most {limit} bytes are accepted")


async def _probe(rt: Runtime, data: bytes) -> processing.Probe:
    try:
        return await asyncio.to_thread(processing.probe, data, max_pixels=rt.settings.media_max_pixels)
    except ImageRefused as exc:
        raise Invalid(f"Validation failed: {exc}") from None


async def _process(rt: Runtime, data: bytes, found: processing.Probe) -> ProcessedImage:
    try:
        return await asyncio.to_thread(
            processing.process, data, max_pixels=rt.settings.media_max_pixels, found=found
        )
    except ImageRefused as exc:
        raise Invalid(f"Validation failed: {exc}") from None


async def _store(rt: Runtime, prefix: str, image: ProcessedImage) -> tuple[str, dict[str, Any]]:
    """Writes the original and the renditions; returns the original's key and the renditions."""
    files: dict[str, Rendition] = {"original": image.original, **image.renditions}
    keys = {name: f"{prefix}/{name}.{r.extension}" for name, r in files.items()}
    try:
        await asyncio.gather(*(rt.storage.put(keys[n], r.data, r.content_type) for n, r in files.items()))
    except BaseException:
        await forget_files(rt, list(keys.values()))
        raise
    renditions = {
        name: {"key": keys[name], "width": r.width, "height": r.height, "content_type": r.content_type}
        for name, r in image.renditions.items()
    }
    return keys["original"], renditions


async def forget_files(rt: Runtime, names: Iterable[str | None]) -> None:
    """Removes files no row names (None entries are skipped); a failure here only leaves an orphan
    file, never a broken row."""
    keys = [key for key in names if key]
    if not keys:
        return
    try:
        await rt.storage.delete(keys)
    except Exception:
        log.exception("could not remove media files", extra={"keys": keys})


@dataclasses.dataclass(frozen=True)
class Provenance:
    label: str  # "ai_generated", "sketch" or "none"
    summary: dict[str, Any] | None  # of the manifest the stored original carries


def _with_original(image: ProcessedImage, data: bytes) -> ProcessedImage:
    return dataclasses.replace(image, original=dataclasses.replace(image.original, data=data))


def _upload_provenance(
    settings: Settings, data: bytes, image: ProcessedImage
) -> tuple[ProcessedImage, Provenance]:
    """Reads the raw upload (its metadata still in place) for a manifest and an AI marker, and signs
    the processed original again when the upload carried a manifest. Synchronous: run in a thread."""
    mime = image.original.content_type
    found = provenance.inspect_image(data, mime)
    label = AI_GENERATED if found.marker is not None else NO_LABEL
    if found.summary is None or image.original.data == data:
        # No manifest, or nothing was cut out (an AVIF without metadata): the file is as uploaded.
        return image, Provenance(label, found.summary)
    try:
        signer = provenance.signer_for(settings)
        signed = signer.resign_upload(
            data,
            image.original.data,
            mime,
            instance_title=settings.instance_title,
            software_version=__version__,
            reencoded=image.reencoded,
        )
    except provenance.ProvenanceError as exc:
        # The upload itself is fine: keep it, with whatever its processed file still carries (a
        # manifest a hostile upload broke on purpose is refused here, and is no server fault).
        log.warning("could not sign an upload's C2PA manifest again: %s", exc)
        return image, Provenance(label, provenance.read_summary(image.original.data, mime))
    summary = provenance.read_summary(signed, mime, trust_anchors=signer.trust_anchors)
    return _with_original(image, signed), Provenance(label, summary)


def _generated_provenance(
    settings: Settings,
    image: ProcessedImage,
    *,
    label: str,
    provider: str,
    model: str,
    digital_source_type: str,
    training_use: provenance.TrainingUse | None,
) -> tuple[ProcessedImage, Provenance]:
    mime = image.original.content_type
    signer = provenance.signer_for(settings)
    signed = signer.sign_generated(
        image.original.data,
        mime,
        provider=provider,
        model=model,
        digital_source_type=digital_source_type,
        instance_title=settings.instance_title,
        software_version=__version__,
        training_use=training_use,
    )
    summary = provenance.read_summary(signed, mime, trust_anchors=signer.trust_anchors)
    return _with_original(image, signed), Provenance(label, summary)


def _apply(
    media: MediaAttachment,
    image: ProcessedImage,
    original_key: str,
    renditions: dict[str, Any],
    origin: Provenance,
) -> None:
    media.state = READY
    media.original_key = original_key
    media.renditions = renditions
    media.content_type = image.original.content_type
    media.file_size = len(image.original.data)
    media.width = image.original.width
    media.height = image.original.height
    media.blurhash = image.blurhash
    media.animated = image.animated
    media.processed_at = utcnow()
    media.provenance_label = origin.label
    media.provenance = origin.summary


async def upload(
    rt: Runtime,
    account_id: int,
    data: bytes,
    *,
    description: str | None = None,
    focus: str | None = None,
    background: bool = False,
    origin: str = UPLOAD,
) -> MediaAttachment:
    """Stores an upload. With ``background``, a large image is only checked here and processed by
    a job; the attachment is answered at once in the ``processing`` state."""
    _check_size(rt, data)
    _check_description(rt, description)
    point = parse_focus(focus)
    found = await _probe(rt, data)
    prefix = storage.new_prefix()
    media = MediaAttachment(
        account_id=account_id,
        origin=origin,
        key_prefix=prefix,
        description=description or "",
        focus_x=point[0] if point else 0.0,
        focus_y=point[1] if point else 0.0,
    )
    if background and found.pixels > rt.settings.media_async_pixels:
        # The raw upload waits under the upload's own unguessable prefix; no URL names it.
        media.state = PROCESSING
        media.pending_key = f"{prefix}/upload.bin"
        await rt.storage.put(media.pending_key, data, "application/octet-stream")
        try:
            async with rt.write() as session:
                session.add(media)
                await session.flush()
                jobs.add_job(session, PROCESS_JOB, {"media_id": media.id})
        except BaseException:
            await forget_files(rt, [media.pending_key])
            raise
        rt.jobs.kick()
        return media
    image = await _process(rt, data, found)
    image, found_provenance = await asyncio.to_thread(_upload_provenance, rt.settings, data, image)
    return await _save(rt, media, image, found_provenance)


async def _save(
    rt: Runtime, media: MediaAttachment, image: ProcessedImage, origin: Provenance
) -> MediaAttachment:
    original_key, renditions = await _store(rt, media.key_prefix, image)
    _apply(media, image, original_key, renditions, origin)
    try:
        async with rt.write() as session:
            session.add(media)
    except BaseException:
        await forget_files(rt, media.stored_keys())
        raise
    return media


async def store_generated(
    rt: Runtime,
    account_id: int,
    data: bytes,
    *,
    label: ProvenanceLabel,
    digital_source_type: str,
    provider: str,
    model: str,
    description: str | None = None,
    origin: str = CANDIDATE,
    training_use: provenance.TrainingUse | None = None,
) -> MediaAttachment:
    """Stores an image a generator made (its bytes, and the provider's label, IPTC digital source
    type and model): the upload pipeline runs first, then a C2PA manifest saying which model made it
    is signed onto the stored original (the attachment's ``url``), so the metadata clean-up cannot
    remove it. The prompt is not written into the manifest. Raises ``ProvenanceError`` (and stores
    nothing) when the instance cannot sign."""
    _check_size(rt, data)
    _check_description(rt, description)
    found = await _probe(rt, data)
    image = await _process(rt, data, found)
    image, provenance_of = await asyncio.to_thread(
        _generated_provenance,
        rt.settings,
        image,
        label=label,
        provider=provider,
        model=model,
        digital_source_type=digital_source_type,
        training_use=training_use,
    )
    media = MediaAttachment(
        account_id=account_id,
        origin=origin,
        key_prefix=storage.new_prefix(),
        description=description or "",
        focus_x=0.0,
        focus_y=0.0,
    )
    return await _save(rt, media, image, provenance_of)


async def process_pending(rt: Runtime, media_id: int) -> None:
    """The background half of an upload: idempotent, so a retried job does no harm."""
    async with rt.db.read() as session:
        media = await session.get(MediaAttachment, media_id)
    if media is None or media.state != PROCESSING or media.pending_key is None:
        return
    data = await rt.storage.get(media.pending_key)
    error: str | None = None
    original_key: str | None = None
    renditions: dict[str, Any] = {}
    image: ProcessedImage | None = None
    found_provenance = Provenance(NO_LABEL, None)
    if data is None:
        error = "The uploaded file was lost before it could be processed; please upload it again"
    else:
        try:
            processed = await asyncio.to_thread(
                processing.process, data, max_pixels=rt.settings.media_max_pixels
            )
        except ImageRefused as exc:
            error = str(exc)
        else:
            image, found_provenance = await asyncio.to_thread(
                _upload_provenance, rt.settings, data, processed
            )
    if image is not None:
        original_key, renditions = await _store(rt, media.key_prefix, image)
    async with rt.write() as session:
        current = await session.get(MediaAttachment, media_id)
        if current is None or current.state != PROCESSING:
            stale = True  # deleted or finished meanwhile: what was just stored is not needed
        else:
            stale = False
            if image is not None and original_key is not None:
                _apply(current, image, original_key, renditions, found_provenance)
            else:
                current.state = FAILED
                current.error = error
            current.pending_key = None
    if stale and original_key is not None:
        await forget_files(rt, [original_key, *(r["key"] for r in renditions.values())])
    await forget_files(rt, [media.pending_key])


async def get_own(rt: Runtime, account_id: int, media_id: int) -> MediaAttachment:
    """An upload of the caller's not yet in a post (Mastodon answers 404 for anything else)."""
    async with rt.db.read() as session:
        media = await session.scalar(
            select(MediaAttachment).where(
                MediaAttachment.id == media_id,
                MediaAttachment.account_id == account_id,
                MediaAttachment.status_id.is_(None),
            )
        )
    if media is None:
        raise NotFound()
    return media


async def describe(
    rt: Runtime, account_id: int, media_id: int, *, description: str | None, focus: str | None
) -> MediaAttachment:
    _check_description(rt, description)
    point = parse_focus(focus)
    async with rt.write() as session:
        media = await session.scalar(
            select(MediaAttachment).where(
                MediaAttachment.id == media_id,
                MediaAttachment.account_id == account_id,
                MediaAttachment.status_id.is_(None),
            )
        )
        if media is None:
            raise NotFound()
        if description is not None:
            media.description = description
        if point is not None:
            media.focus_x, media.focus_y = point
    return media


async def attach(
    session: AsyncSession, settings: Settings, account_id: int, media_ids: list[int], status_id: int
) -> list[MediaAttachment]:
    """Gives a new post its images, in the order asked, inside the post's own transaction."""
    ids = list(dict.fromkeys(media_ids))
    limit = settings.max_media_attachments
    if len(ids) > limit:
        raise Invalid(f"Validation failed: A post may have at most {limit} images")
    if not ids:
        return []
    found = {
        m.id: m
        for m in await session.scalars(
            select(MediaAttachment).where(
                MediaAttachment.id.in_(ids),
                MediaAttachment.account_id == account_id,
                MediaAttachment.status_id.is_(None),
            )
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        listed = ", ".join(map(str, missing))
        raise Invalid(f"Validation failed: Media {listed} not found or already in a post")
    for position, media_id in enumerate(ids, start=1):
        media = found[media_id]
        if media.state == PROCESSING:
            raise Invalid("Cannot attach files that have not finished processing. Try again in a moment!")
        if media.state == FAILED:
            raise Invalid(f"Validation failed: Media {media_id} could not be processed: {media.error}")
        if settings.media_require_description and not media.description.strip():
            raise Invalid(
                f"Validation failed: Image {position} (media {media_id}) has no description; "
                "this instance asks for a description (alt text) on every image"
            )
    for position, media_id in enumerate(ids):
        # Conditional, so two posts racing for one upload cannot both take it.
        result = await session.execute(
            update(MediaAttachment)
            .where(MediaAttachment.id == media_id, MediaAttachment.status_id.is_(None))
            .values(status_id=status_id, position=position)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"Media {media_id} was attached to another post meanwhile")
        found[media_id].status_id = status_id
        found[media_id].position = position
    return [found[i] for i in ids]


async def detach_from(session: AsyncSession, status_id: int) -> None:
    """A deleted post lets go of its images: they count as fresh uploads again, so a redraft can
    reuse them, and the clean-up of unused uploads removes them otherwise."""
    await session.execute(
        update(MediaAttachment)
        .where(MediaAttachment.status_id == status_id)
        .values(status_id=None, created_at=utcnow())
    )


async def of_statuses(session: AsyncSession, status_ids: Iterable[int]) -> dict[int, list[MediaAttachment]]:
    """The images of many posts in one query, in their order."""
    ids = list(status_ids)
    found: dict[int, list[MediaAttachment]] = {}
    if not ids:
        return found
    for media in await session.scalars(
        select(MediaAttachment)
        .where(one_of(MediaAttachment.status_id, ids))
        .order_by(MediaAttachment.status_id, MediaAttachment.position)
    ):
        assert media.status_id is not None
        found.setdefault(media.status_id, []).append(media)
    return found


async def remove_unattached(rt: Runtime) -> int:
    """Removes uploads no post has used for ``media_unattached_hours`` (generation candidates have
    their own retention)."""
    return await remove_unused(rt, UPLOAD, timedelta(hours=rt.settings.media_unattached_hours))


async def remove_unused(rt: Runtime, origin: str, older_than: timedelta) -> int:
    """Removes images of ``origin`` that no post uses and that are older than ``older_than``, a
    thousand at a time. Rows go first, then files: a failure leaves files, never broken rows."""
    cutoff = utcnow() - older_than
    async with rt.write() as session:
        old = list(
            await session.scalars(
                select(MediaAttachment)
                .where(
                    MediaAttachment.origin == origin,
                    MediaAttachment.status_id.is_(None),
                    MediaAttachment.created_at < cutoff,
                )
                .limit(1000)
            )
        )
        if old:
            await session.execute(
                delete(MediaAttachment).where(
                    MediaAttachment.id.in_([m.id for m in old]), MediaAttachment.status_id.is_(None)
                )
            )
    await forget_files(rt, [key for media in old for key in media.stored_keys()])
    return len(old)


async def store_profile_image(rt: Runtime, kind: str, data: bytes) -> str:
    """An avatar or header, cropped to its shape and stored; returns its key."""
    _check_size(rt, data)
    size = PROFILE_SIZES[kind]
    try:
        image = await asyncio.to_thread(
            processing.profile_image, data, max_pixels=rt.settings.media_max_pixels, size=size
        )
    except ImageRefused as exc:
        raise Invalid(f"Validation failed: {kind.capitalize()}: {exc}") from None
    key = f"{storage.new_prefix()}/{kind}.{image.extension}"
    await rt.storage.put(key, image.data, image.content_type)
    return key


def install(rt: Runtime) -> None:
    async def run(job: JobContext) -> dict[str, Any]:
        await process_pending(rt, int(job.payload["media_id"]))
        return {}

    rt.jobs.register(PROCESS_JOB, run)
