"""Who is browsing: the web app's caller resolver. It reads the session cookie and nothing else
(the API reads bearer tokens and nothing else), and gives the same Caller the API's Auth gives."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from pixie.api.deps import Caller, runtime_of
from pixie.convert.accounts import account as account_entity
from pixie.convert.cards import Person, person
from pixie.errors import Unauthorized
from pixie.services import accounts, oauth, web_sessions
from pixie.services.oauth import Principal
from pixie.services.tokens import digest
from pixie.web.routing import SignInRequired

SESSION_COOKIE = "pixie_session"
SESSION_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the layout shows them."""

    principal: Principal
    me: Person
    token_hash: str

    @property
    def account_id(self) -> int:
        assert self.principal.account_id is not None
        return self.principal.account_id


async def _web_application_id(request: Request) -> int:
    state = request.app.state
    if getattr(state, "web_application_id", None) is None:
        state.web_application_id = await web_sessions.web_application_id(runtime_of(request))
    found: int = state.web_application_id
    return found


async def viewer_of(request: Request) -> Viewer | None:
    """The session behind the cookie, looked up once per request; None for a visitor, and for a
    cookie that is unknown, signed out, suspended, or holds a token of some other app."""
    if hasattr(request.state, "viewer"):
        found: Viewer | None = request.state.viewer
        return found
    viewer = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        rt = runtime_of(request)
        try:
            principal = await oauth.authenticate(rt, request.app.state.token_cache, raw)
        except Unauthorized:
            principal = None
        if (
            principal is not None
            and principal.account_id is not None
            and principal.state != oauth.SUSPENDED
            and principal.application_id == await _web_application_id(request)
        ):
            account = await accounts.get_account(rt, principal.account_id)
            viewer = Viewer(principal, person(account_entity(rt.settings, account)), digest(raw))
    request.state.viewer = viewer
    return viewer


class WebAuth:
    """``WebAuth()``: anyone (the page changes when signed in); ``WebAuth(signed_in=True)``: a
    session is needed, and a visitor is sent to sign in and then back."""

    def __init__(self, *, signed_in: bool = False) -> None:
        self.signed_in = signed_in

    async def __call__(self, request: Request) -> Caller:
        viewer = await viewer_of(request)
        if viewer is None:
            if self.signed_in:
                raise SignInRequired()
            return Caller(None)
        return Caller(viewer.principal)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = runtime_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
