from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params, upload_schema
from pixie.api.responses import JSON
from pixie.api.schemas import MediaAttachment, MediaUpdateRequest, MediaUploadRequest
from pixie.convert import media as convert
from pixie.errors import Invalid, NotFound
from pixie.infra.runtime import Runtime
from pixie.infra.storage import CACHE_CONTROL, LocalStorage
from pixie.media.processing import EXTENSION_TYPES
from pixie.models.media import FAILED, PROCESSING
from pixie.models.media import MediaAttachment as MediaAttachmentRow
from pixie.services import media

router = APIRouter(tags=["media"])
MEDIA_ID = Path(description="A media attachment id")


async def _file_bytes(req: MediaUploadRequest) -> bytes:
    if not isinstance(req.file, UploadFile):
        raise Invalid("Validation failed: File is missing (send it as the multipart field 'file')")
    return await req.file.read()


async def _upload(caller: Caller, req: MediaUploadRequest, rt: Runtime, *, background: bool) -> JSON:
    attachment = await media.upload(
        rt,
        caller.account_id,
        await _file_bytes(req),
        description=req.description,
        focus=req.focus,
        background=background,
    )
    status = 202 if attachment.state == PROCESSING else 200
    return JSON(convert.attachment(rt.settings, attachment), status_code=status)


@router.post(
    "/api/v2/media",
    response_model=MediaAttachment,
    responses={202: {"model": MediaAttachment}, **errors(400, 401, 403, 413, 422)},
    openapi_extra=upload_schema(MediaUploadRequest),
    summary="Upload an image; large ones are processed in the background (202 with url null)",
)
async def upload_v2(
    caller: Caller = Depends(Auth("write:media")),
    req: MediaUploadRequest = Depends(params(MediaUploadRequest, max_files=2)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return await _upload(caller, req, rt, background=True)


@router.post(
    "/api/v1/media",
    response_model=MediaAttachment,
    responses=errors(400, 401, 403, 413, 422),
    openapi_extra=upload_schema(MediaUploadRequest),
    summary="Upload an image and wait until it is processed",
    deprecated=True,
)
async def upload_v1(
    caller: Caller = Depends(Auth("write:media")),
    req: MediaUploadRequest = Depends(params(MediaUploadRequest, max_files=2)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return await _upload(caller, req, rt, background=False)


def _answer(rt: Runtime, attachment: MediaAttachmentRow) -> JSON:
    if attachment.state == FAILED:
        raise Invalid(f"The image could not be processed: {attachment.error}")
    status = 206 if attachment.state == PROCESSING else 200
    return JSON(convert.attachment(rt.settings, attachment), status_code=status)


@router.get(
    "/api/v1/media/{media_id}",
    response_model=MediaAttachment,
    responses={206: {"model": MediaAttachment}, **errors(401, 403, 404, 422)},
    summary="One of the caller's uploads not yet in a post: 206 while it is being processed",
)
async def get_media(
    media_id: str = MEDIA_ID,
    caller: Caller = Depends(Auth("write:media")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return _answer(rt, await media.get_own(rt, caller.account_id, parse_id(media_id)))


@router.put(
    "/api/v1/media/{media_id}",
    response_model=MediaAttachment,
    responses={206: {"model": MediaAttachment}, **errors(400, 401, 403, 404, 422)},
    openapi_extra=body_schema(MediaUpdateRequest),
    summary="Describe an upload (alt text) or set its focal point before it is posted",
)
async def update_media(
    media_id: str = MEDIA_ID,
    caller: Caller = Depends(Auth("write:media")),
    req: MediaUpdateRequest = Depends(params(MediaUpdateRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    attachment = await media.describe(
        rt, caller.account_id, parse_id(media_id), description=req.description, focus=req.focus
    )
    return _answer(rt, attachment)


@router.get(
    "/media/{key:path}",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}},
        **errors(404),
    },
    summary="A stored media file (local storage); its URL is its only key",
)
async def media_file(
    key: str = Path(description="The file's storage key"),
    _: Caller = Depends(Auth.public()),
    rt: Runtime = Depends(runtime),
) -> Response:
    path = rt.storage.path(key) if isinstance(rt.storage, LocalStorage) else None
    if path is None:
        raise NotFound()
    return FileResponse(
        path,
        media_type=EXTENSION_TYPES.get(path.suffix.lstrip("."), "application/octet-stream"),
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )
