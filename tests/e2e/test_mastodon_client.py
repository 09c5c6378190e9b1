"""End to end: a real `pixie serve` process, driven by the real Mastodon.py client.

The server runs on default settings (invite-only registrations, rate limits on); only the data
directory, base URL and secret key are set. The test walks the path a Mastodon client takes:
register an app, read the instance, sign up with an invite, log in with a password, log in
through the consent page with the authorization code + PKCE flow, use the profile endpoints,
and revoke the token.

Mastodon.py 2.3.3 cannot do three of those steps by itself, so they go through httpx:
``create_account`` has no ``invite_code`` parameter, there is no public call for a
``client_credentials`` token, and neither ``auth_request_url`` nor ``log_in`` knows PKCE
(no ``code_challenge``, no ``code_verifier``).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonIllegalArgumentError, MastodonNotFoundError, MastodonUnauthorizedError

from tests.e2e.processes import clean_env, free_port, pixie, serve
from tests.oauth_helpers import pkce_pair

pytestmark = pytest.mark.e2e

PIXIE = Path(sys.executable).parent / "pixie"
OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "http://127.0.0.1/callback"
SCOPES = ["read", "write", "follow", "push"]
USERNAME = "ada"
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


# --- the server process -------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    log_path: Path
    invite_code: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Default settings: nothing PIXIE_* from the caller's environment leaks in, and the working
    # directory is empty, so no .env file is read either.
    env = clean_env(data_dir=str(tmp_path / "var"), base_url=base_url, secret_key=secrets.token_urlsafe(32))
    pixie(["migrate"], env=env, cwd=tmp_path)
    invite_code = pixie(["invite", "--max-uses", "1"], env=env, cwd=tmp_path).strip()
    assert invite_code and invite_code.isalnum(), f"not an invite code: {invite_code!r}"
    failed_before = request.session.testsfailed
    with serve(env, tmp_path, port=port) as running:
        yield Server(base_url, running.log_path, invite_code)
    if request.session.testsfailed > failed_before:
        print(f"--- pixie serve log ({running.log_path}) ---\n{running.log()}")


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    """A browser-like client for what Mastodon.py cannot do: it keeps cookies, never follows redirects."""
    with httpx.Client(base_url=server.base_url, timeout=10.0, follow_redirects=False) as session:
        yield session


# --- helpers ------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str = ""
    method: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # hidden inputs
    inputs: list[str] = field(default_factory=list)  # every named input, in order


class FormParser(HTMLParser):
    """The first <form> of a page: its action, method and input fields."""

    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(action=values.get("action", ""), method=values.get("method", "get").lower())
            self._inside = True
        elif tag == "input" and self._inside and self.form is not None and values.get("name"):
            self.form.inputs.append(values["name"])
            if values.get("type", "text").lower() == "hidden":
                self.form.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def parse_form(page: str) -> Form:
    parser = FormParser()
    parser.feed(page)
    parser.close()
    assert parser.form is not None, f"no <form> in the page:\n{page}"
    return parser.form


def client(base_url: str, client_id: str, client_secret: str, access_token: str | None = None) -> Mastodon:
    # "throw" rather than the default "wait": a rate limit must fail the test, not stall it.
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        api_base_url=base_url,
        ratelimit_method="throw",
        request_timeout=10,
    )


def status_of(error: BaseException) -> Any:
    """The HTTP status Mastodon.py puts second in an API error's args."""
    return error.args[1] if len(error.args) > 1 else None


# --- the test -----------------------------------------------------------------------------------


def test_mastodon_py_signs_up_logs_in_and_manages_a_profile(server: Server, http: httpx.Client) -> None:
    base = server.base_url

    # 1. Register an app, and read the instance as Mastodon.py does.
    client_id, client_secret = Mastodon.create_app(
        "Pixie e2e",
        scopes=SCOPES,
        redirect_uris=[OOB, CALLBACK],
        website="https://example.org",
        api_base_url=base,
        request_timeout=10,
    )
    api = client(base, client_id, client_secret)
    # Mastodon.py keeps the part before the first space of "4.3.0 (compatible; Pixie 0.1.0)".
    assert api.retrieve_mastodon_version(fail_hard=True) == "4.3.0"
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == (4, 3, 0)
    assert api.mastodon_api_version == 2
    instance = api.instance()  # v2, since the version is at least 4.0.0
    assert instance["version"].startswith("4.3.0 (compatible; Pixie ")
    assert instance["domain"] == urlsplit(base).netloc
    assert instance["registrations"]["enabled"] is False  # invite-only: no open sign-up form
    assert "invite" in instance["registrations"]["message"]

    # 2. Sign up. Without an invite code the server refuses (403); Mastodon.py turns that into
    # an exception and cannot send the code itself.
    with pytest.raises(MastodonIllegalArgumentError, match="invite-only"):
        api.create_account(username="mallory", password=PASSWORD, email="mallory@example.com", agreement=True)

    r = http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": " ".join(SCOPES),
        },
    )
    assert r.status_code == 200, r.text
    app_token = r.json()["access_token"]
    app_auth = {"Authorization": f"Bearer {app_token}"}

    sign_up = {
        "username": USERNAME,
        "email": EMAIL,
        "password": PASSWORD,
        "agreement": "true",
        "locale": "en",
        "pixie[ai_training_consent]": "true",
    }
    r = http.post("/api/v1/accounts", data=sign_up, headers=app_auth)
    assert r.status_code == 403, r.text
    assert "invite" in r.json()["error"]

    r = http.post("/api/v1/accounts", data=sign_up | {"invite_code": server.invite_code}, headers=app_auth)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPES)
    assert isinstance(token["created_at"], int)

    # The invite allowed one sign-up; a second one with it fails on the invite alone.
    r = http.post(
        "/api/v1/accounts",
        data=sign_up | {"username": "bob", "email": "bob@example.com", "invite_code": server.invite_code},
        headers=app_auth,
    )
    assert r.status_code == 422, r.text
    assert [d["error"] for d in r.json()["details"]["invite_code"]] == ["ERR_INVALID"]
    assert set(r.json()["details"]) == {"invite_code"}

    # The sign-up token works at once (no SMTP, so no e-mail confirmation) and kept the consent.
    signed_up = client(base, client_id, client_secret, token["access_token"]).account_verify_credentials()
    assert signed_up["username"] == USERNAME
    assert signed_up["pixie"]["ai_training_consent"]["granted"] is True

    # 3. Password grant; the username is the e-mail address.
    password_token = api.log_in(username=EMAIL, password=PASSWORD, scopes=SCOPES, allow_http=True)
    assert password_token and password_token != token["access_token"]
    assert api.account_verify_credentials()["id"] == signed_up["id"]

    # 4. Authorization code + PKCE (S256) through the consent page.
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    authorize_url = (
        api.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, state=state, allow_http=True)
        + "&"
        + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    )
    assert authorize_url.startswith(f"{base}/oauth/authorize?")

    page = http.get(authorize_url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    form = parse_form(page.text)
    assert form.method == "post"
    assert form.fields["csrf_token"]
    assert form.fields["client_id"] == client_id
    assert form.fields["redirect_uri"] == CALLBACK
    assert form.fields["state"] == state
    assert form.fields["code_challenge"] == challenge
    assert form.fields["code_challenge_method"] == "S256"
    assert {"email", "password"} <= set(form.inputs)
    assert "pixie_csrf" in http.cookies  # the CSRF token is checked against this cookie

    consent = http.post(
        urljoin(authorize_url, form.action),
        data=form.fields | {"email": EMAIL, "password": PASSWORD, "decision": "approve"},
    )
    assert consent.status_code == 302, consent.text
    location = consent.headers["location"]
    assert location.startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    code = query["code"][0]

    def redeem(code_verifier: str) -> httpx.Response:
        return http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "client_secret": client_secret,
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": code_verifier,
                "scope": " ".join(SCOPES),
            },
        )

    # Mastodon.py's log_in(code=...) cannot send the verifier, so the server refuses the code...
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        client(base, client_id, client_secret).log_in(
            code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True
        )
    # ...as it refuses a wrong verifier.
    r = redeem(pkce_pair()[0])
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"
    # The right verifier gets a token, once.
    r = redeem(verifier)
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == set(SCOPES)
    code_token: str = r.json()["access_token"]

    # 5. The profile, with the token from the code flow.
    me = client(base, client_id, client_secret, code_token)
    assert me.account_verify_credentials()["id"] == signed_up["id"]

    note = "Draws <robots> & cats.\n\nSecond paragraph"
    updated = me.account_update_credentials(
        display_name="Ada L.", note=note, fields=[("Likes", "cats & robots")]
    )
    assert updated["display_name"] == "Ada L."
    assert updated["note"] == "<p>Draws &lt;robots&gt; &amp; cats.</p><p>Second paragraph</p>"
    assert updated["source"]["note"] == note  # what an edit form shows again
    assert [(f["name"], f["value"]) for f in updated["fields"]] == [("Likes", "cats &amp; robots")]
    assert [(f["name"], f["value"]) for f in updated["source"]["fields"]] == [("Likes", "cats & robots")]

    preferences = me.preferences()
    assert preferences["posting:default:visibility"] == "public"
    assert preferences["posting:default:sensitive"] is False
    assert preferences["reading:expand:spoilers"] is False

    found = me.account_lookup(USERNAME)
    assert found["id"] == signed_up["id"]
    assert found["acct"] == USERNAME
    assert found["display_name"] == "Ada L."
    assert me.account_lookup(f"{USERNAME}@{urlsplit(base).netloc}")["id"] == signed_up["id"]
    with pytest.raises(MastodonNotFoundError):
        me.account_lookup("nobody_here")

    # 6. Revocation ends that token at once; other sessions of the account go on.
    me.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError) as refused:
        client(base, client_id, client_secret, code_token).account_verify_credentials()
    assert status_of(refused.value) == 401
    assert api.account_verify_credentials()["id"] == signed_up["id"]  # the password-grant token
