"""Signing up, in and out of the web app."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.deps import Caller, client_ip, runtime
from pixie.config import RegistrationMode
from pixie.errors import Forbidden, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import accounts, web_sessions
from pixie.services.accounts import ValidationFailed
from pixie.web.deps import SESSION_COOKIE, WebAuth, clear_session_cookie, set_session_cookie
from pixie.web.pages import checked_form, render, security_headers
from pixie.web.routing import web_router

router = web_router()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _signed_in(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(
        _safe_next(target), status_code=303, headers=security_headers(request.app.state.runtime)
    )
    set_session_cookie(request, response, token)
    return response


def _where(request: Request, rt: Runtime) -> tuple[str, str]:
    return request.headers.get("user-agent", "")[:400], client_ip(request, rt.settings.trusted_proxies)


def _sign_up_page(rt: Runtime, request: Request, status_code: int = 200, **context: Any) -> Response:
    mode = rt.settings.registrations
    return render(
        rt,
        request,
        "sign_up.html",
        status_code=status_code,
        title="Sign up",
        closed=mode == RegistrationMode.CLOSED,
        invite_only=mode == RegistrationMode.INVITE,
        approval=mode == RegistrationMode.APPROVAL,
        **{"form": {}, "problems": {}, **context},
    )


@router.get("/auth/sign_up")
async def sign_up_page(
    request: Request, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    if caller.viewer_id is not None:
        return RedirectResponse("/", status_code=303)
    return _sign_up_page(rt, request, form={"invite_code": request.query_params.get("invite", "")})


@router.post("/auth/sign_up")
async def sign_up(
    request: Request, _: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    kept = {k: v for k, v in form.items() if k != "password" and k != "csrf_token"}
    try:
        registration = await accounts.register(
            rt,
            username=form.get("username", "").strip(),
            email=form.get("email", ""),
            password=form.get("password", ""),
            agreement=form.get("agreement") == "1",
            reason=form.get("reason", ""),
            invite_code=form.get("invite_code", "").strip() or None,
            ai_training_consent=form.get("ai_training_consent") == "1",
        )
    except ValidationFailed as failed:
        problems = failed.by_field()
        return _sign_up_page(rt, request, 422, form=kept, problems=problems)
    except Forbidden as refused:
        problems = (
            {"invite_code": refused.message} if rt.settings.registrations == RegistrationMode.INVITE else {}
        )
        return _sign_up_page(rt, request, 403, form=kept, problems=problems, error=refused.message)
    user_agent, ip = _where(request, rt)
    token = await web_sessions.start(rt, registration.account.id, user_agent=user_agent, ip=ip)
    return _signed_in(request, token, "/")


@router.get("/auth/sign_in")
async def sign_in_page(
    request: Request, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    target = _safe_next(request.query_params.get("next"))
    if caller.viewer_id is not None:
        return RedirectResponse(target, status_code=303)
    return render(rt, request, "sign_in.html", title="Sign in", next=target, login="")


@router.post("/auth/sign_in")
async def sign_in(
    request: Request, _: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    form = await checked_form(request)
    target = _safe_next(form.get("next"))
    user_agent, ip = _where(request, rt)
    try:
        started = await web_sessions.sign_in(
            rt, form.get("login", ""), form.get("password", ""), user_agent=user_agent, ip=ip
        )
    except PixieError as refused:
        return render(
            rt,
            request,
            "sign_in.html",
            status_code=refused.status_code,
            title="Sign in",
            next=target,
            login=form.get("login", ""),
            error=refused.message,
        )
    return _signed_in(request, started.token, target)


@router.post("/auth/sign_out")
async def sign_out(
    request: Request, _: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    await checked_form(request)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await web_sessions.sign_out(rt, raw)
    response = RedirectResponse("/", status_code=303, headers=security_headers(rt))
    clear_session_cookie(response)
    return response
