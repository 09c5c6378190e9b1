"""The OAuth login + consent page: plain HTML, works without JavaScript, never framed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pixie.api.common import html_page
from pixie.api.deps import Auth, Caller, runtime
from pixie.errors import PixieError
from pixie.infra.runtime import Runtime
from pixie.services import oauth, scopes
from pixie.web.deps import viewer_of
from pixie.web.pages import csrf_ok, form_fields, render, security_headers, text_fields

router = APIRouter(tags=["oauth"])


# The consent form posts back here, and the approval redirects to the app's URI, which may be anywhere.
FORM_ACTION = "'self' *"


def _fail(rt: Runtime, request: Request, message: str, status_code: int = 400) -> HTMLResponse:
    return render(
        rt, request, "message.html", status_code=status_code, title="Authorization failed", error=message
    )


async def _validate(rt: Runtime, p: dict[str, str]) -> tuple[Any, frozenset[str]] | str:
    """The app and scopes of an authorization request, or what is wrong with it."""
    if p.get("response_type", "code") != "code":
        return "Only the authorization code flow (response_type=code) is supported."
    app = await oauth.find_application(rt, p.get("client_id", ""))
    if app is None:
        return "The application is unknown (client_id)."
    if not oauth.redirect_uri_allowed(app, p.get("redirect_uri", "")):
        return "The redirect URI is not one the application registered."
    challenge, method = p.get("code_challenge", ""), p.get("code_challenge_method", "")
    # RFC 7636: no method means "plain", which Pixie does not accept.
    if (challenge or method) and method != "S256":
        return "Only the S256 code challenge method is supported."
    if challenge and not oauth.PKCE_CHALLENGE.fullmatch(challenge):
        return "The code challenge is not a base64url SHA-256 digest."
    try:
        wanted = oauth.requested_scopes(app, p.get("scope"))
    except PixieError:
        return "The application asked for scopes that are unknown or that it did not register."
    return app, wanted


def _context(app: Any, wanted: frozenset[str], p: dict[str, str]) -> dict[str, Any]:
    return {
        "title": f"Authorize {app.name}",
        "app_name": app.name,
        "website": app.website if (app.website or "").startswith(("https://", "http://")) else None,
        "scopes": [(scope, scopes.describe(scope)) for scope in sorted(wanted, key=scopes.render_order)],
        "scope_text": scopes.render(wanted),
        "client_id": app.client_id,
        "redirect_uri": p.get("redirect_uri", ""),
        "state": p.get("state", ""),
        "code_challenge": p.get("code_challenge", ""),
        "code_challenge_method": p.get("code_challenge_method", ""),
        "email": p.get("email", ""),
    }


def _redirect(rt: Runtime, redirect_uri: str, **query: str) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    target = redirect_uri + separator + urlencode({k: v for k, v in query.items() if v})
    return RedirectResponse(target, status_code=302, headers=security_headers(rt, form_action=FORM_ACTION))


@router.get(
    "/oauth/authorize",
    response_class=HTMLResponse,
    responses=html_page(400),
    summary="Login and consent page",
)
async def authorize_page(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    p = text_fields(request.query_params.multi_items())
    if p is None:
        return _fail(rt, request, "The request holds characters that are not allowed.")
    checked = await _validate(rt, p)
    if isinstance(checked, str):
        return _fail(rt, request, checked)
    app, wanted = checked
    await viewer_of(request)  # signed in to the web app: consent without the password
    return render(rt, request, "authorize.html", form_action=FORM_ACTION, **_context(app, wanted, p))


@router.post(
    "/oauth/authorize",
    response_class=HTMLResponse,
    responses={**html_page(400, 401, 403), 302: {"description": "Back to the application with a code"}},
    summary="Submit the consent form",
)
async def authorize_submit(
    request: Request, _: Caller = Depends(Auth.public()), rt: Runtime = Depends(runtime)
) -> Response:
    p = await form_fields(request)
    if p is None:
        return _fail(rt, request, "The form could not be read.")
    checked = await _validate(rt, p)
    if isinstance(checked, str):
        return _fail(rt, request, checked)
    app, wanted = checked
    if not csrf_ok(rt, request, p.get("csrf_token")):
        return _fail(rt, request, "The form expired or came from elsewhere. Go back and try again.", 403)
    redirect_uri = p["redirect_uri"]
    if p.get("decision") == "deny":
        if redirect_uri == oauth.OOB:
            return render(
                rt, request, "message.html", title="Authorization denied", message="You denied the request."
            )
        return _redirect(
            rt,
            redirect_uri,
            error="access_denied",
            error_description="The resource owner denied the request.",
            state=p.get("state", ""),
        )
    viewer = await viewer_of(request)
    if viewer is not None:
        account_id = viewer.account_id
    else:
        found = await oauth.check_password(rt, p.get("email", ""), p.get("password", ""))
        if found is None or found[0].suspended_at is not None:
            status, message = (
                (401, "Invalid e-mail or password.") if found is None else (403, oauth.SUSPENDED_MESSAGE)
            )
            context = _context(app, wanted, p)
            return render(
                rt,
                request,
                "authorize.html",
                status_code=status,
                error=message,
                form_action=FORM_ACTION,
                **context,
            )
        account_id = found[0].id
    code = await oauth.create_authorization_code(
        rt,
        app,
        account_id=account_id,
        redirect_uri=redirect_uri,
        scopes=wanted,
        code_challenge=p.get("code_challenge") or None,
        code_challenge_method=p.get("code_challenge_method") or None,
    )
    if redirect_uri == oauth.OOB:
        return render(rt, request, "message.html", title="Authorization code", code=code)
    return _redirect(rt, redirect_uri, code=code, state=p.get("state", ""))
