"""Pages behind the links Pixie mails: confirm an address, reset a password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from pixie.api.common import html_page
from pixie.api.deps import Auth, Caller, runtime
from pixie.errors import PixieError
from pixie.infra.runtime import Runtime
from pixie.services import accounts
from pixie.web.pages import csrf_ok, form_fields, render

router = APIRouter(tags=["auth pages"])


@router.get(
    "/auth/confirmation",
    response_class=HTMLResponse,
    responses=html_page(422),
    summary="Confirm an e-mail address",
)
async def confirm(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    try:
        account = await accounts.confirm_email(rt, request.query_params.get("token", ""))
    except PixieError as exc:
        return render(
            rt,
            request,
            "message.html",
            status_code=exc.status_code,
            title="Confirmation failed",
            error=exc.message,
        )
    return render(
        rt,
        request,
        "message.html",
        title="Address confirmed",
        message=f"Thank you, @{account.username}: your e-mail address is confirmed.",
    )


@router.get(
    "/auth/password/new",
    response_class=HTMLResponse,
    responses=html_page(),
    summary="Ask for a password reset link",
)
async def password_new(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    return render(rt, request, "password_new.html", title="Reset your password")


@router.post(
    "/auth/password/reset",
    response_class=HTMLResponse,
    responses=html_page(403),
    summary="Send a password reset link",
)
async def password_reset(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    form = await form_fields(request)
    if form is None or not csrf_ok(rt, request, form.get("csrf_token", "")):
        return render(
            rt,
            request,
            "message.html",
            status_code=403,
            title="Reset your password",
            error="The form expired. Go back and try again.",
        )
    await accounts.request_password_reset(rt, form.get("email", ""))
    return render(
        rt,
        request,
        "password_new.html",
        title="Reset your password",
        message="If an account uses that address, a link to reset its password is on its way.",
    )


@router.get(
    "/auth/password/edit", response_class=HTMLResponse, responses=html_page(), summary="Choose a new password"
)
async def password_edit(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    return render(
        rt,
        request,
        "password_edit.html",
        title="Choose a new password",
        token=request.query_params.get("token", ""),
    )


@router.post(
    "/auth/password",
    response_class=HTMLResponse,
    responses=html_page(403, 422),
    summary="Save a new password",
)
async def password_save(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    form = await form_fields(request)
    token = form.get("token", "") if form else ""
    if form is None or not csrf_ok(rt, request, form.get("csrf_token", "")):
        return render(
            rt,
            request,
            "message.html",
            status_code=403,
            title="Choose a new password",
            error="The form expired. Go back and try again.",
        )
    try:
        account = await accounts.reset_password(rt, token, form.get("password", ""))
    except PixieError as exc:
        return render(
            rt,
            request,
            "password_edit.html",
            status_code=exc.status_code,
            title="Choose a new password",
            token=token,
            error=exc.message,
        )
    return render(
        rt,
        request,
        "message.html",
        title="Password changed",
        message=f"@{account.username}, your new password is saved. Every app was signed out; sign in again.",
    )
