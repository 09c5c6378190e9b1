"""The web app's pages over HTTP: sessions, CSRF, the CSP, escaping, and that a post someone may
not see never renders for them on any page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.api.test_media import uploaded
from tests.conftest import PASSWORD, Instance, bearer
from tests.media import c2pa_images, images
from tests.media.c2pa_images import OutsideSigner
from tests.oauth_helpers import form_of


def _csrf(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def _browser(px: Instance) -> httpx.AsyncClient:
    """A second client with its own cookie jar, on the same app."""
    return httpx.AsyncClient(transport=px.client._transport, base_url="https://pixie.test")


async def _sign_in(client: httpx.AsyncClient, login: str) -> None:
    form = await client.get("/auth/sign_in")
    r = await client.post(
        "/auth/sign_in", data={"login": login, "password": PASSWORD, "csrf_token": _csrf(form.text)}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"


async def test_signing_in_shows_the_home_feed_and_signing_out_ends_the_session(px: Instance) -> None:
    await px.user("ada")
    async with await _browser(px) as browser:
        visitor = await browser.get("/")
        assert "Sign up" in visitor.text and "Home</a>" not in visitor.text
        await _sign_in(browser, "ada")
        cookie = browser.cookies["pixie_session"]
        home = await browser.get("/")
        assert "Sign out @ada" in home.text and "Your home feed is empty" in home.text
        r = await browser.post("/auth/sign_out", data={"csrf_token": _csrf(home.text)})
        assert r.status_code == 303
    # The old cookie is worth nothing now, even sent again by hand.
    async with await _browser(px) as stolen:
        stolen.cookies.set("pixie_session", cookie, domain="pixie.test")
        assert "Sign out @ada" not in (await stolen.get("/")).text
        r = await stolen.get("/create")
        assert r.status_code == 303 and r.headers["location"].startswith("/auth/sign_in?next=/create")


async def test_a_wrong_password_keeps_the_login_and_says_why(px: Instance) -> None:
    await px.user("ada")
    async with await _browser(px) as browser:
        form = await browser.get("/auth/sign_in")
        r = await browser.post(
            "/auth/sign_in", data={"login": "ada", "password": "wrong", "csrf_token": _csrf(form.text)}
        )
        assert r.status_code == 401
        assert "not right" in r.text and 'value="ada"' in r.text
        assert "pixie_session" not in browser.cookies


async def test_forms_without_the_csrf_token_are_refused(px: Instance) -> None:
    _, token = await px.user("ada")
    post = await px.post(token, status="hello")
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        for path, data in (
            ("/auth/sign_in", {"login": "ada", "password": PASSWORD}),
            (f"/web/posts/{post['id']}/favourite", {"on": "1"}),
            ("/auth/sign_out", {}),
        ):
            r = await browser.post(path, data=data)
            assert r.status_code == 403, path
            assert "expired or came from another site" in r.text
            r = await browser.post(path, data=data, headers={"X-CSRF-Token": "0" * 64, "HX-Request": "true"})
            assert r.status_code == 403, path
        # Nothing was done: the post has no like.
        assert (await px.client.get(f"/api/v1/statuses/{post['id']}")).json()["favourites_count"] == 0


async def test_pages_carry_a_strict_content_security_policy(px: Instance) -> None:
    r = await px.client.get("/auth/sign_in")
    policy = r.headers["content-security-policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script.strip() == "script-src 'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert r.headers["x-frame-options"] == "DENY"
    # Assets have content-hashed names and may be kept for a year.
    css = re.search(r'href="(/assets/app\.[0-9a-f]{12}\.css)"', r.text)
    assert css
    asset = await px.client.get(css.group(1))
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert (await px.client.get("/assets/app.000000000000.css")).status_code == 404


async def test_hostile_names_and_captions_are_escaped(px: Instance) -> None:
    _, token = await px.user("ada")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": '<img src=x onerror="alert(1)">'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    post = await px.post(token, status='<script>alert("caption")</script> hi')
    for path in (f"/@ada/{post['id']}", "/@ada"):
        page = (await px.client.get(path)).text
        assert "<script>alert" not in page and '<img src=x onerror="alert(1)">' not in page, path
        assert "&lt;img src=x onerror=" in page, path


async def test_a_followers_only_post_never_renders_for_a_stranger(px: Instance) -> None:
    ada_id, ada = await px.user("ada")
    _, bo = await px.user("bo")
    await px.user("cy")
    await px.follow(bo, ada_id)
    hidden = await px.post(ada, status="only for my followers #garden", visibility="private")
    shown = await px.post(ada, status="for everyone #garden")
    for target in (hidden, shown):  # liked by bo: engagement that would make a post trend
        r = await px.client.post(f"/api/v1/statuses/{target['id']}/favourite", headers=bearer(bo))
        assert r.status_code == 200
    async with await _browser(px) as stranger, await _browser(px) as follower:
        await _sign_in(stranger, "cy")
        await _sign_in(follower, "bo")
        for client in (stranger, px.client):  # signed in as someone else, and signed out
            page = await client.get(f"/@ada/{hidden['id']}")
            assert page.status_code == 404 and "only for my followers" not in page.text
            profile = (await client.get("/@ada")).text
            assert "only for my followers" not in profile
        pages = ("/", "/web/home", "/web/home/new?since_id=0", "/explore", "/tags/garden", "/search?q=garden")
        for path in pages:
            assert "only for my followers" not in (await stranger.get(path)).text, path
        # ...where the public one does show (search finds its hashtag: posts are searched only
        # when their author opted in, as on Mastodon).
        for path in ("/explore", "/tags/garden"):
            assert "for everyone" in (await stranger.get(path)).text, path
        assert 'href="/tags/garden"' in (await stranger.get("/search?q=garden")).text
        # The follower sees both, which shows the pages above would have shown it.
        home = (await follower.get("/")).text
        assert "only for my followers" in home and "for everyone" in home
        assert (await follower.get(f"/@ada/{hidden['id']}")).status_code == 200
        assert "2 new posts" in (await follower.get("/web/home/new?since_id=0")).text
        assert shown["id"] in home


async def test_unknown_pages_get_a_page_and_unknown_endpoints_json(px: Instance) -> None:
    page = await px.client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "This page does not exist" in page.text
    api = await px.client.get("/api/v1/no_such_thing")
    assert api.status_code == 404 and api.json() == {"error": "Not Found"}
    assert (await px.client.get("/@nobody")).status_code == 404
    assert (await px.client.get("/@nobody/123")).status_code == 404


async def test_sign_in_attempts_are_rate_limited(start: Any) -> None:
    async with start(rate_limit_login="4/5minutes") as px:
        await px.user("ada")  # its password login through /oauth/token counts as the first of four
        async with await _browser(px) as browser:
            token = _csrf((await browser.get("/auth/sign_in")).text)
            answers = [
                (
                    await browser.post(
                        "/auth/sign_in", data={"login": "ada", "password": "guess", "csrf_token": token}
                    )
                ).status_code
                for _ in range(4)
            ]
        assert answers == [401, 401, 401, 429]


async def test_a_new_password_and_sign_out_everywhere_end_the_other_sessions(px: Instance) -> None:
    _, app_token = await px.user("ada")
    async with await _browser(px) as laptop, await _browser(px) as phone, await _browser(px) as tablet:
        for browser in (laptop, phone, tablet):
            await _sign_in(browser, "ada")
        account = await laptop.get("/settings/account")
        assert account.text.count("Signed in ") == 3 and "This browser" in account.text
        r = await laptop.post("/settings/sessions/others", data={"csrf_token": _csrf(account.text)})
        assert r.status_code == 303
        assert "Sign out @ada" not in (await phone.get("/")).text
        assert "Sign out @ada" in (await laptop.get("/")).text
        await _sign_in(phone, "ada")
        page = await laptop.get("/settings/account")
        wrong = await laptop.post(
            "/settings/password",
            data={
                "csrf_token": _csrf(page.text),
                "current_password": "not it",
                "new_password": "a brand new password",
                "confirm_password": "a brand new password",
            },
        )
        assert wrong.status_code == 422 and "current password is not right" in wrong.text
        changed = await laptop.post(
            "/settings/password",
            data={
                "csrf_token": _csrf(page.text),
                "current_password": PASSWORD,
                "new_password": "a brand new password",
                "confirm_password": "a brand new password",
            },
        )
        assert changed.status_code == 303
        assert "Sign out @ada" in (await laptop.get("/")).text
        assert "Sign out @ada" not in (await phone.get("/")).text
    # The app that knew the old password is out too.
    r = await px.client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {app_token}"}
    )
    assert r.status_code == 401


async def test_the_consent_switch_is_saved_with_its_history(px: Instance) -> None:
    ada_id, _ = await px.user("ada")
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        page = await browser.get("/settings/data")
        assert "Use my posts and activity to improve AI models" in page.text
        r = await browser.post(
            "/settings/data", data={"csrf_token": _csrf(page.text), "ai_training_consent": "1"}
        )
        assert r.status_code == 303
        assert 'name="ai_training_consent" value="1" checked' in (await browser.get("/settings/data")).text
    from pixie.services import accounts

    _, user = await accounts.get_user(px.rt, ada_id)
    assert accounts.consent_of(user)["granted"] is True


async def test_a_signed_in_person_authorizes_an_app_with_the_consent_alone(px: Instance) -> None:
    """ "Sign in with Pixie" from a Mastodon app: the browser's session is who consents."""
    await px.user("ada")
    app = await px.app_credentials(redirect_uris="https://app.example/cb", scopes="read write")
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://app.example/cb",
        "scope": "read",
        "state": "s1",
    }
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        page = await browser.get("/oauth/authorize", params=query)
        assert page.status_code == 200
        assert (
            "You are signed in as <strong>@ada</strong>" in page.text and 'name="password"' not in page.text
        )
        fields = form_of(page.text) | {"decision": "approve"}
        r = await browser.post("/oauth/authorize", data=fields)
        assert r.status_code == 302
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    token = await px.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": "https://app.example/cb",
        },
    )
    assert token.status_code == 200, token.text
    me = await px.client.get(
        "/api/v1/accounts/verify_credentials", headers=bearer(token.json()["access_token"])
    )
    assert me.json()["username"] == "ada"


async def test_the_session_cookie_is_http_only_same_site_and_secure_under_https(px: Instance) -> None:
    await px.user("ada")
    form = await px.client.get("/auth/sign_in")
    r = await px.client.post(
        "/auth/sign_in",
        data={"login": "ada@example.com", "password": PASSWORD, "csrf_token": _csrf(form.text)},
    )
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("pixie_session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= attributes


async def test_public_pages_carry_open_graph_tags_and_a_canonical_url(px: Instance) -> None:
    _, ada = await px.user("ada")
    image = await uploaded(px, ada, description="A red square")
    post = await px.post(ada, status="look", **{"media_ids[]": image["id"]})
    page = (await px.client.get(f"/@ada/{post['id']}")).text
    assert f'<link rel="canonical" href="https://pixie.test/@ada/{post["id"]}">' in page
    assert f'<meta property="og:image" content="{image["pixie"]["large"]["url"]}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert '<meta property="og:image:alt" content="A red square">' in page
    profile = (await px.client.get("/@ada")).text
    assert '<link rel="canonical" href="https://pixie.test/@ada">' in profile and "og:title" in profile


async def test_profiles_list_followers_and_following(px: Instance) -> None:
    _, ada = await px.user("ada")
    bo_id, _ = await px.user("bo")
    await px.follow(ada, bo_id)
    followers = await px.client.get("/@bo/followers")
    assert followers.status_code == 200 and 'href="/@ada"' in followers.text
    following = (await px.client.get("/@ada/following")).text
    assert 'href="/@bo"' in following
    assert 'href="/@bo"' not in (await px.client.get("/@ada/followers")).text
    assert (await px.client.get("/@ada/nonsense")).status_code == 404
    assert (await px.client.get("/@nobody/followers")).status_code == 404


async def test_a_locked_account_accepts_a_follow_request_from_its_notifications(px: Instance) -> None:
    ada_id, ada = await px.user("ada")
    _, bo = await px.user("bo")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"locked": "true"}, headers=bearer(ada)
    )
    assert r.status_code == 200
    await px.follow(bo, ada_id)
    hidden = await px.post(ada, status="for approved followers", visibility="private")
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        page = await browser.get("/notifications")
        assert "Follow requests" in page.text and "Accept bo" in page.text
        bo_id = re.search(r"/web/follow_requests/(\d+)/accept", page.text)
        assert bo_id
        r = await browser.post(
            f"/web/follow_requests/{bo_id.group(1)}/accept", data={"csrf_token": _csrf(page.text)}
        )
        assert r.status_code == 303
        assert "Follow requests" not in (await browser.get("/notifications")).text
    seen = await px.client.get(f"/api/v1/statuses/{hidden['id']}", headers=bearer(bo))
    assert seen.status_code == 200


async def test_changing_the_e_mail_address_needs_the_password_and_a_free_address(px: Instance) -> None:
    await px.user("ada")
    await px.user("bo")
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        page = await browser.get("/settings/account")
        token = _csrf(page.text)
        taken = await browser.post(
            "/settings/email",
            data={"csrf_token": token, "email": "bo@example.com", "email_password": PASSWORD},
        )
        assert taken.status_code == 422 and "already taken" in taken.text
        wrong = await browser.post(
            "/settings/email", data={"csrf_token": token, "email": "ada@new.example", "email_password": "no"}
        )
        assert wrong.status_code == 422 and "password is not right" in wrong.text
        assert 'value="ada@new.example"' in wrong.text  # what was typed stays
        r = await browser.post(
            "/settings/email",
            data={"csrf_token": token, "email": "Ada@New.example", "email_password": PASSWORD},
        )
        assert r.status_code == 303
    assert (await px.password_login("ada@new.example")).status_code == 200
    assert (await px.password_login("ada@example.com")).status_code == 400


async def test_an_uploads_origin_is_shown_on_its_post(px: Instance, tmp_path: Path) -> None:
    """Upload through the web form: what the file said about its origin (a C2PA manifest from an
    AI service, or an IPTC marker) is shown on the post, beside the alt text."""
    await px.user("ada")
    signed = OutsideSigner(tmp_path / "outside").sign(images.jpeg(800, 600), "image/jpeg")
    marked = c2pa_images.jpeg_with_xmp(c2pa_images.xmp(c2pa_images.TRAINED), size=300)
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        for data, said in (
            (signed, "carried a C2PA manifest (valid) saying trainedAlgorithmicMedia"),
            (marked, "marked as made by AI (its IPTC digital source type)"),
            (images.jpeg(), None),
        ):
            form = await browser.get("/create?tab=upload")
            r = await browser.post(
                "/create/upload",
                data={
                    "csrf_token": _csrf(form.text),
                    "alt": "A picture",
                    "caption": "mine",
                    "visibility": "public",
                },
                files={"image": ("p.jpg", data, "image/jpeg")},
            )
            assert r.status_code == 303, r.text
            page = (await browser.get(r.headers["location"])).text
            assert 'alt="A picture"' in page
            if said is None:
                assert "Provenance" not in page
            else:
                assert said in page


async def test_no_page_links_to_a_page_that_does_not_exist(px: Instance) -> None:
    """Follows every same-site link (and form target) from the front page, signed in and not."""
    ada_id, ada = await px.user("ada")
    _, bo = await px.user("bo")
    await px.follow(bo, ada_id)
    image = await uploaded(px, ada, description="A square")
    post = await px.post(ada, status="look #squares", **{"media_ids[]": image["id"]})
    await px.post(bo, status="@ada nice", in_reply_to_id=post["id"])
    links = re.compile(r'(?:href|hx-get)="(/[^"#]*)"|<form method="get" action="(/[^"#]*)"')
    posts = re.compile(r'<form method="post" action="(/[^"#]*)"')
    async with await _browser(px) as signed_in:
        await _sign_in(signed_in, "bo")
        for client in (signed_in, px.client):
            seen: set[str] = set()
            forms: set[str] = set()
            queue = ["/", "/explore", "/notifications", "/messages", "/settings"]
            while queue and len(seen) < 120:
                path = queue.pop(0).replace("&amp;", "&")
                if path in seen or path.startswith(("/assets/", "/media/", "/static/", "/web/stream")):
                    continue
                seen.add(path)
                r = await client.get(path)
                assert r.status_code in (200, 303), f"GET {path}: {r.status_code}"
                if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
                    queue += [a or b for a, b in links.findall(r.text) if (a or b) not in seen]
                    forms.update(posts.findall(r.text))
            # Every form's target exists, and refuses a submission without the page's token.
            for action in sorted(forms - {"/oauth/authorize"}):
                r = await client.post(action.replace("&amp;", "&"), data={"x": "1"})
                assert r.status_code == 403, f"POST {action}: {r.status_code}"
            assert f"/@ada/{post['id']}" in seen and "/tags/squares" in seen


async def test_signing_up_on_an_invite_only_instance_needs_the_code(px: Instance) -> None:
    form = await px.client.get("/auth/sign_up")
    assert 'for="invite_code">Invite code</label>' in form.text
    fields = {
        "csrf_token": _csrf(form.text),
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password": PASSWORD,
        "agreement": "1",
        "ai_training_consent": "1",
    }
    refused = await px.client.post("/auth/sign_up", data=fields)
    assert refused.status_code == 403 and "invite code is required" in refused.text
    assert 'value="newcomer@example.com"' in refused.text  # what was typed stays (not the password)
    assert PASSWORD not in refused.text
    r = await px.client.post("/auth/sign_up", data={**fields, "invite_code": await px.invite()})
    assert r.status_code == 303 and "pixie_session" in r.headers["set-cookie"]
    home = await px.client.get("/")
    assert "Sign out @newcomer" in home.text
    settings = await px.client.get("/settings/data")
    assert 'name="ai_training_consent" value="1" checked' in settings.text  # the answer given at sign-up
