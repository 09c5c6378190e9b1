"""Settings: profile, account (password, sessions), privacy, data (the AI-training consent) and
the apps that may use the account."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.accounts import credential_account
from pixie.errors import Invalid, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import account_deletion, accounts, authorized_apps, credentials, web_sessions
from pixie.services.accounts import DIRECT_MESSAGE_CHOICES, ProfileChanges, ValidationFailed
from pixie.web.deps import Viewer, WebAuth, clear_session_cookie, viewer_of
from pixie.web.pages import checked_files_form, checked_form, render, uploaded_files
from pixie.web.routing import NotFoundPage, web_router

router = web_router()
SECTIONS = (
    ("profile", "Profile"),
    ("account", "Account"),
    ("privacy", "Privacy"),
    ("data", "Data"),
    ("apps", "Authorised apps"),
)
MESSAGES_FROM = {"everyone": "Everyone", "following": "People I follow", "nobody": "Nobody"}
VISIBILITIES = {"public": "Public", "unlisted": "Quiet public", "private": "Followers only"}


async def _viewer(request: Request) -> Viewer:
    viewer = await viewer_of(request)
    assert viewer is not None  # the route's WebAuth(signed_in=True) made sure
    return viewer


async def _page(
    rt: Runtime,
    request: Request,
    section: str,
    *,
    status_code: int = 200,
    saved: str | None = None,
    problems: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    viewer = await _viewer(request)
    account, user = await accounts.get_user(rt, viewer.account_id)
    context: dict[str, Any] = {}
    if section == "account":
        context["sessions"] = await web_sessions.sessions_of(rt, viewer.account_id, viewer.token_hash)
    if section == "apps":
        context["apps"] = await authorized_apps.authorized_applications(
            rt, viewer.account_id, leave_out=viewer.principal.application_id
        )
    return render(
        rt,
        request,
        "settings.html",
        status_code=status_code,
        title=dict(SECTIONS)[section],
        sections=SECTIONS,
        section=section,
        account=credential_account(rt.settings, account, user),
        user=user,
        saved=saved,
        problems=problems or {},
        form=form or {},
        messages_from=MESSAGES_FROM,
        visibilities=VISIBILITIES,
        **context,
    )


@router.get("/settings")
async def profile_settings(
    request: Request, _: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    return await _page(rt, request, "profile")


@router.get("/settings/{section}")
async def settings_section(
    request: Request,
    section: str,
    _: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    if section not in dict(SECTIONS):
        raise NotFoundPage()
    return await _page(rt, request, section, saved=request.query_params.get("saved"))


def _saved(section: str, what: str) -> Response:
    path = "/settings" if section == "profile" else f"/settings/{section}"
    return RedirectResponse(f"{path}?saved={what}", status_code=303)


@router.post("/settings/profile")
async def save_profile(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    fields, submitted = await checked_files_form(request, max_files=2)
    images: dict[str, bytes] = {}
    for kind in ("avatar", "header"):
        for upload in uploaded_files(submitted, kind)[:1]:
            images[kind] = await upload.read(rt.settings.media_max_bytes + 1)
    try:
        await accounts.update_profile(
            rt,
            caller.account_id,
            ProfileChanges(
                display_name=fields.get("display_name", ""),
                note=fields.get("note", ""),
                locked=fields.get("locked") == "1",
            ),
            images=images,
        )
    except ValidationFailed as failed:
        problems = failed.by_field()
        return await _page(rt, request, "profile", status_code=422, problems=problems, form=fields)
    except PixieError as failed:
        return await _page(
            rt,
            request,
            "profile",
            status_code=failed.status_code,
            problems={"images": failed.message},
            form=fields,
        )
    return _saved("profile", "profile")


@router.post("/settings/privacy")
async def save_privacy(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    messages = form.get("direct_messages", "")
    privacy = form.get("privacy", "")
    if messages not in DIRECT_MESSAGE_CHOICES or privacy not in VISIBILITIES:
        raise Invalid("Choose one of the options given.")
    await accounts.update_profile(
        rt,
        caller.account_id,
        ProfileChanges(
            locked=form.get("locked") == "1",
            discoverable=form.get("discoverable") == "1",
            direct_messages=messages,
            hide_prompt=form.get("hide_prompt") == "1",
            allow_remix=form.get("allow_remix") == "1",
            privacy=privacy,
        ),
    )
    return _saved("privacy", "privacy")


@router.post("/settings/data")
async def save_consent(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    await accounts.update_profile(
        rt, caller.account_id, ProfileChanges(ai_training_consent=form.get("ai_training_consent") == "1")
    )
    return _saved("data", "consent")


@router.post("/settings/password")
async def change_password(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    viewer = await _viewer(request)
    problems: dict[str, str] = {}
    if form.get("new_password", "") != form.get("confirm_password", ""):
        problems["confirm_password"] = "The two new passwords are not the same"
    else:
        try:
            await credentials.change_password(
                rt,
                caller.account_id,
                form.get("current_password", ""),
                form.get("new_password", ""),
                keep_token_hash=viewer.token_hash,
            )
        except ValidationFailed as failed:
            problems = failed.by_field()
    if problems:
        return await _page(rt, request, "account", status_code=422, problems=problems)
    return _saved("account", "password")


@router.post("/settings/sessions/others")
async def end_other_sessions(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    """Sign out everywhere else."""
    await checked_form(request)
    viewer = await _viewer(request)
    await web_sessions.end_other_sessions(rt, caller.account_id, viewer.token_hash)
    return _saved("account", "sessions")


@router.post("/settings/sessions/{session_id}")
async def end_session(
    request: Request,
    session_id: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    await checked_form(request)
    found = as_id(session_id)
    if found is None:
        raise NotFoundPage()
    await web_sessions.end_session(rt, caller.account_id, found)
    return _saved("account", "session")


@router.post("/settings/apps/{application_id}/revoke")
async def revoke_app(
    request: Request,
    application_id: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    await checked_form(request)
    found = as_id(application_id)
    viewer = await _viewer(request)
    if found is None or found == viewer.principal.application_id:
        raise NotFoundPage()
    await authorized_apps.revoke_application(rt, caller.account_id, found)
    return _saved("apps", "revoked")


@router.post("/settings/delete")
async def delete_account(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    try:
        await account_deletion.delete_account(rt, caller.account_id, form.get("password", ""))
    except ValidationFailed as failed:
        problems = failed.by_field()
        return await _page(
            rt, request, "account", status_code=422, problems={"delete_password": problems["password"]}
        )
    request.state.viewer = None  # signed out with the account
    response = render(
        rt,
        request,
        "message.html",
        title="Account deleted",
        message="Your account is deleted. Your posts, likes and follows are being removed.",
    )
    clear_session_cookie(response)
    return response


@router.post("/settings/email")
async def change_email(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    try:
        await credentials.change_email(
            rt, caller.account_id, form.get("email_password", ""), form.get("email", "")
        )
    except ValidationFailed as failed:
        problems = failed.by_field()
        if "current_password" in problems:
            problems["email_password"] = problems.pop("current_password")
        return await _page(rt, request, "account", status_code=422, problems=problems, form=form)
    return _saved("account", "email")
