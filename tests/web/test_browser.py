"""What a person does in the web app, in Chromium: sign up, generate, choose, post; a friend's
feed shows the post arriving live; reply, like, follow, remix."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

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
    bea.goto(post_url)
    bea.get_by_label("Reply").fill("@ada beautiful!")
    bea.get_by_role("button", name="Send reply").click()
    replies = bea.get_by_role("region", name="Replies")
    expect(replies.get_by_role("article", name=re.compile("bea"))).to_contain_text("beautiful!")
    shot(bea, "post")

    # Remix opens Create with the parent and its prompt.
    bea.get_by_role("button", name="Remix").first.click()
    expect(bea.get_by_role("region", name="Remixing")).to_contain_text("ada")
    expect(bea.get_by_label("Prompt")).to_have_value("a lighthouse at dusk, waves")

    for page in (ada, bea):
        page.goto(site.url + "/")
        assert axe_violations(page) == [], page.url
    shot(bea)
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    poster.close()
    reader.close()
