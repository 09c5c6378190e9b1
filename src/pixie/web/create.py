"""Create: a prompt becomes candidates, live; one is chosen, captioned and posted. Or up to four
uploaded images with their alt text. A failed submit keeps everything the person typed or chose."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.cards import Card, card
from pixie.convert.generations import generation as generation_entity
from pixie.convert.statuses import status as status_entity
from pixie.errors import Invalid, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import accounts, generations, media, statuses
from pixie.services.generations import GenerationView, NewGeneration
from pixie.services.statuses import NewStatus
from pixie.web.deps import WebAuth
from pixie.web.pages import checked_files_form, checked_form, render, uploaded_files
from pixie.web.routing import is_htmx, web_router

router = web_router()
VISIBILITIES = (
    ("public", "Public"),
    ("unlisted", "Quiet public"),
    ("private", "Followers only"),
)
FINISHED = ("succeeded", "failed", "cancelled")


async def _remixed(rt: Runtime, raw: str | None, viewer_id: int) -> Card | None:
    status_id = as_id(raw)
    if status_id is None:
        return None
    try:
        return card(status_entity(rt.settings, await statuses.get(rt, status_id, viewer_id)))
    except PixieError:
        return None


def _job(rt: Runtime, view: GenerationView | None) -> dict[str, Any] | None:
    return generation_entity(rt.settings, view) if view is not None else None


async def _page(
    rt: Runtime,
    request: Request,
    caller: Caller,
    *,
    status_code: int = 200,
    job: GenerationView | None = None,
    chosen: int | None = None,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    error: str | None = None,
    tab: str = "generate",
) -> Response:
    form = form or {}
    _, user = await accounts.get_user(rt, caller.account_id)
    remixed_id = form.get("remix_of") or request.query_params.get("remix")
    if job is not None and job.generation.remix_of_id is not None:
        remixed_id = str(job.generation.remix_of_id)
    remix = await _remixed(rt, remixed_id, caller.account_id)
    if remix is not None and not form.get("prompt") and remix.prompt:
        form = {**form, "prompt": remix.prompt}
    entity = _job(rt, job)
    if entity is not None:
        # The form shows what this job was asked for, so "Generate" again asks the same.
        asked = {k: str(v) for k, v in entity["params"].items() if v is not None and k != "remix_of"}
        form = {**asked, **{k: v for k, v in form.items() if v}}
    chosen_entity = next((c for c in (entity or {}).get("candidates", []) if c["id"] == str(chosen)), None)
    return render(
        rt,
        request,
        "create.html",
        status_code=status_code,
        title="Create",
        tab=tab,
        styles=generations.styles(),
        sizes=rt.generator.sizes,
        visibilities=VISIBILITIES,
        default_visibility=user.default_visibility if user.default_visibility != "direct" else "public",
        hide_prompt_default=user.hide_prompt,
        remix=remix,
        job=entity,
        finished=FINISHED,
        chosen=chosen_entity,
        form=form,
        problems=problems or {},
        error=error,
        most_uploads=rt.settings.max_media_attachments,
    )


@router.get("/create")
async def create_page(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    job = None
    generation_id = as_id(request.query_params.get("generation"))
    if generation_id is not None:
        job = await generations.get(rt, caller.account_id, generation_id)
    chosen = as_id(request.query_params.get("chosen"))
    tab = "upload" if request.query_params.get("tab") == "upload" else "generate"
    return await _page(rt, request, caller, job=job, chosen=chosen, tab=tab)


@router.get("/web/generations/{generation_id}")
async def job_panel(
    request: Request,
    generation_id: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    """The job's progress, then its candidates: asked for again on each pixie.generation event."""
    found = as_id(generation_id)
    if found is None:
        raise Invalid("No such generation")
    job = await generations.get(rt, caller.account_id, found)
    return render(
        rt, request, "partials/job.html", job=_job(rt, job), finished=FINISHED, chosen=None, form={}
    )


@router.post("/create/generate")
async def generate(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    try:
        count = int(form.get("n") or 4)
    except ValueError:
        count = 0
    try:
        job = await generations.start(
            rt,
            caller.account_id,
            NewGeneration(
                prompt=form.get("prompt", ""),
                style=form.get("style") or None,
                size=form.get("size") or None,
                n=count,
                remix_of_id=as_id(form.get("remix_of")),
            ),
        )
    except PixieError as failed:
        message = failed.message.removeprefix("Validation failed: ")
        return await _page(
            rt, request, caller, status_code=failed.status_code, form=form, problems={"prompt": message}
        )
    target = f"/create?generation={job.generation.id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Location": target})
    return RedirectResponse(target, status_code=303)


@router.post("/create/post")
async def post_candidate(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    generation_id, chosen = as_id(form.get("generation")), as_id(form.get("chosen"))
    job = await generations.get(rt, caller.account_id, generation_id) if generation_id else None
    try:
        if job is None or chosen is None or all(c.id != chosen for c in job.candidates):
            raise Invalid("Choose one of the candidates first.")
        await media.describe(rt, caller.account_id, chosen, description=form.get("alt", ""), focus=None)
        posted = await statuses.create(
            rt,
            caller.account_id,
            NewStatus(
                text=form.get("caption", ""),
                media_ids=[chosen],
                visibility=_visibility(form.get("visibility")),
                hide_prompt=form.get("hide_prompt") == "1",
            ),
        )
    except PixieError as failed:
        # The chosen candidate, the caption and the alt text all stay.
        return await _page(
            rt,
            request,
            caller,
            status_code=failed.status_code,
            job=job,
            chosen=chosen,
            form=form,
            error=failed.message,
        )
    return RedirectResponse(f"/@{posted.account.username}/{posted.status.id}", status_code=303)


def _visibility(raw: str | None) -> str:
    if raw not in {v for v, _ in VISIBILITIES}:
        raise Invalid("Choose who may see the post.")
    return raw or "public"


@router.post("/create/upload")
async def upload(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    fields, submitted = await checked_files_form(request, max_files=rt.settings.max_media_attachments + 1)
    files = uploaded_files(submitted, "image")
    alts = [str(a) for a in submitted.getlist("alt")]
    try:
        if not files:
            raise Invalid("Choose an image to upload.")
        if len(files) > rt.settings.max_media_attachments:
            raise Invalid(f"A post holds at most {rt.settings.max_media_attachments} images.")
        media_ids = []
        for index, file in enumerate(files):
            data = await file.read(rt.settings.media_max_bytes + 1)
            description = alts[index] if index < len(alts) else ""
            media_ids.append((await media.upload(rt, caller.account_id, data, description=description)).id)
        posted = await statuses.create(
            rt,
            caller.account_id,
            NewStatus(
                text=fields.get("caption", ""),
                media_ids=media_ids,
                visibility=_visibility(fields.get("visibility")),
            ),
        )
    except PixieError as failed:
        return await _page(
            rt,
            request,
            caller,
            status_code=failed.status_code,
            form=fields,
            error=failed.message,
            tab="upload",
        )
    return RedirectResponse(f"/@{posted.account.username}/{posted.status.id}", status_code=303)
