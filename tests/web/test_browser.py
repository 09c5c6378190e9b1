"""What a person does in the web app, in Chromium: sign up, generate, choose, post; a friend's
feed shows the post arriving live; reply, like, follow, remix."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.web.conftest import Site, axe_violations, sign_in, sign_up

pytestmark = pytest.mark.e2e


def test_sign_up_generate_choose_post_and_a_follower_sees_it_live(
    site: Site, browser: Any, shot: Any
) -> None:
    site.create_user("bea")
    poster = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    ada, bea = poster.new_page(), reader.new_page()
    errors: list[str] = []
    for page in (ada, bea):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_up(ada, site, "ada")
    sign_in(bea, site, "bea")
    bea.goto(site.url + "/@ada")
    bea.get_by_role("button", name="Follow").click()
    expect(bea.get_by_role("button", name="Unfollow")).to_be_visible()
    bea.goto(site.url + "/")
    expect(bea.get_by_role("heading", name="Your home feed is empty")).to_be_visible()

    ada.get_by_role("link", name="Create").click()
    ada.get_by_label("Prompt").fill("a lighthouse at dusk, waves")
    ada.get_by_label("Candidates").select_option("3")
    ada.get_by_role("button", name="Generate").click()
    expect(ada.get_by_role("button", name="Choose candidate 3")).to_be_visible(timeout=20_000)
    shot(ada, "candidates")
    ada.get_by_role("button", name="Choose candidate 2").click()
    expect(ada.get_by_label("Alt text")).to_have_value("a lighthouse at dusk, waves")
    ada.get_by_label("Caption").fill("Evening light <script>alert(1)</script>")
    ada.get_by_role("button", name="Post", exact=True).click()
    expect(ada).to_have_url(re.compile(r"/@ada/\d+$"))
    post_url = ada.url
    expect(ada.get_by_text("Evening light <script>alert(1)</script>")).to_be_visible()
    expect(ada.get_by_text("a lighthouse at dusk, waves").first).to_be_visible()
    expect(ada.get_by_text("Made and signed by this instance (C2PA")).to_be_visible()
    ada.goto(site.url + "/notifications")  # she waits there; what bea does arrives live

    # Bea's feed says a post arrived, without moving what she reads; a click shows it.
    expect(bea.get_by_role("link", name="1 new post")).to_be_visible(timeout=10_000)
    bea.get_by_role("link", name="1 new post").click()
    card = bea.get_by_role("article", name=re.compile("ada"))
    expect(card).to_be_visible()
    image = card.get_by_role("img", name="a lighthouse at dusk, waves")
    expect(image).to_be_visible()
    assert image.evaluate("i => i.complete && i.naturalWidth > 0")

    # Like, reply.
    card.get_by_role("button", name="Like").click()
    expect(card.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_role("button", name="Like")).to_contain_text("1")
    expect(ada.get_by_text("liked your post")).to_be_visible(timeout=10_000)
    expect(ada.get_by_role("link", name=re.compile("Notifications"))).to_contain_text("unread")
    bea.goto(post_url)
    bea.get_by_label("Reply").fill("@ada beautiful!")
    bea.get_by_role("button", name="Send reply").click()
    replies = bea.get_by_role("region", name="Replies")
    expect(replies.get_by_role("article", name=re.compile("bea"))).to_contain_text("beautiful!")
    shot(bea, "post")
    # Nothing is wider than the phone's screen.
    assert bea.evaluate("document.documentElement.scrollWidth") <= 390

    # Remix opens Create with the parent and its prompt.
    bea.get_by_role("button", name="Remix").first.click()
    expect(bea.get_by_role("region", name="Remixing")).to_contain_text("ada")
    expect(bea.get_by_label("Prompt")).to_have_value("a lighthouse at dusk, waves")

    for page in (ada, bea):
        page.goto(site.url + "/")
        assert axe_violations(page) == [], page.url
    shot(bea)
    # A visitor sees what Pixie is, and the public image among the recent ones.
    visitor = browser.new_page()
    visitor.goto(site.url + "/")
    expect(visitor.get_by_role("link", name="Sign up").first).to_be_visible()
    expect(visitor.get_by_role("img", name="a lighthouse at dusk, waves")).to_be_visible()
    assert axe_violations(visitor) == []
    visitor.close()
    assert errors == [], errors  # no CSP refusal, no missing file
    poster.close()
    reader.close()


def test_messages_settings_apps_upload_and_keyboard(
    site: Site, browser: Any, shot: Any, tmp_path: Any
) -> None:
    """A direct message arrives live and a refused one says why; the consent switch persists;
    revoking an app ends its access; an upload keeps its alt text; posting works by keyboard."""
    site.create_user("cal")
    site.create_user("dee")
    cal = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    dee = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(cal, site, "cal")
    sign_in(dee, site, "dee")

    # dee opens her messages; cal writes to her; it shows up without a reload.
    dee.goto(site.url + "/messages")
    cal.goto(site.url + "/messages?to=dee")
    cal.get_by_label("Message").fill("hello dee, a private word")
    cal.get_by_role("button", name="Send").click()
    expect(cal).to_have_url(re.compile(r"/messages/\d+$"))
    expect(dee.get_by_role("link", name=re.compile("cal"))).to_be_visible(timeout=10_000)
    dee.get_by_role("link", name=re.compile("cal")).click()
    expect(dee.get_by_role("article", name="Message from cal")).to_contain_text("a private word")
    # An image in the conversation, which arrives on dee's open page by itself.
    picture = tmp_path / "postcard.png"
    Image.new("RGB", (640, 480), (220, 120, 40)).save(picture)
    cal.get_by_text("Add an image").click()
    cal.get_by_label("Image to attach").set_input_files(str(picture))
    cal.get_by_label("Image description").fill("An orange postcard")
    cal.get_by_role("textbox", name="Message").fill("and a picture")
    cal.get_by_role("button", name="Send").click()
    expect(dee.get_by_role("img", name="An orange postcard")).to_be_visible(timeout=10_000)
    # dee then takes messages from people she follows only: cal is told why, and keeps the draft.
    dee.goto(site.url + "/settings/privacy")
    dee.get_by_label("Who may message me").select_option("following")
    dee.get_by_role("button", name="Save privacy").click()
    expect(dee).to_have_url(re.compile(r"saved=privacy"))
    cal.goto(site.url + "/messages?to=dee")
    cal.get_by_label("Message").fill("another one")
    cal.get_by_role("button", name="Send").click()
    expect(cal.get_by_role("alert")).to_contain_text("accepts direct messages only from people they follow")
    expect(cal.get_by_label("Message")).to_have_value("another one")

    # The consent switch persists.
    cal.goto(site.url + "/settings/data")
    switch = cal.get_by_label("Use my posts and activity to improve AI models")
    expect(switch).not_to_be_checked()
    switch.check()
    cal.get_by_role("button", name="Save").click()
    expect(cal).to_have_url(re.compile(r"saved=consent"))
    cal.reload()
    expect(cal.get_by_label("Use my posts and activity to improve AI models")).to_be_checked()

    # An app cal signed in to loses its access once she revokes it.
    app = httpx.post(
        site.url + "/api/v1/apps",
        data={"client_name": "Photo app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    ).json()
    token = httpx.post(
        site.url + "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "cal@example.com",
            "password": PASSWORD,
            "scope": "read",
        },
    ).json()["access_token"]
    me = site.url + "/api/v1/accounts/verify_credentials"
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    cal.goto(site.url + "/settings/apps")
    cal.get_by_role("button", name="Revoke Photo app").click()
    expect(cal.get_by_text("No apps have access to your account.")).to_be_visible()
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 401

    # An upload with alt text.
    picture = tmp_path / "harbour.png"
    Image.new("RGB", (800, 600), (30, 120, 200)).save(picture)
    cal.goto(site.url + "/create?tab=upload")
    cal.get_by_label("Image file 1").set_input_files(str(picture))
    cal.get_by_label("Alt text 1").fill("A blue harbour at noon")
    cal.get_by_role("button", name="Post").click()
    expect(cal).to_have_url(re.compile(r"/@cal/\d+$"))
    expect(cal.get_by_role("img", name="A blue harbour at noon")).to_be_visible()

    # A reply written and sent with the keyboard alone.
    cal.keyboard.press("Tab")  # the skip link comes first
    expect(cal.get_by_role("link", name="Skip to content")).to_be_focused()
    cal.get_by_label("Reply").focus()
    cal.keyboard.type("typed without a mouse")
    cal.keyboard.press("Tab")
    expect(cal.get_by_role("button", name="Send reply")).to_be_focused()
    cal.keyboard.press("Enter")
    expect(cal.get_by_role("region", name="Replies")).to_contain_text("typed without a mouse")

    # Generating, choosing and posting with the keyboard alone: Tab and Enter from the prompt on.
    cal.goto(site.url + "/create")
    cal.get_by_label("Prompt").focus()
    cal.keyboard.type("a paper boat on a pond")
    for _ in range(4):  # style, size, candidates, then the Generate button
        cal.keyboard.press("Tab")
    expect(cal.get_by_role("button", name="Generate")).to_be_focused()
    cal.keyboard.press("Enter")
    first = cal.get_by_role("button", name="Choose candidate 1")
    expect(first).to_be_visible(timeout=20_000)
    first.focus()
    cal.keyboard.press("Enter")
    cal.get_by_label("Caption").focus()
    cal.keyboard.type("made with the keyboard")
    for _ in range(4):  # alt text, visibility, hide-prompt, then Post
        cal.keyboard.press("Tab")
    expect(cal.get_by_role("button", name="Post", exact=True)).to_be_focused()
    cal.keyboard.press("Enter")
    expect(cal).to_have_url(re.compile(r"/@cal/\d+$"))
    expect(cal.get_by_text("made with the keyboard")).to_be_visible()
    post_page = cal.url

    for path in ("/explore", "/notifications", "/messages", "/settings", "/create", "/@cal", post_page):
        cal.goto(path if path.startswith("http") else site.url + path)
        assert axe_violations(cal) == [], path
    shot(cal)
