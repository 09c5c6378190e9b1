"""Generating images through the API: candidates from the sketch provider, posting one (the choice),
hidden prompts, remixes and their lineage, limits, refusals and cancellation."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import c2pa
from PIL import Image
from sqlalchemy import select

from pixie.models.generations import Generation, PromptRefusal
from pixie.models.media import MediaAttachment
from pixie.models.system import OutboxEvent
from tests.conftest import Instance, bearer

GENERATIONS = "/api/v1/pixie/generations"


async def generate(px: Instance, token: str, expect: int = 202, **data: Any) -> dict[str, Any]:
    r = await px.client.post(
        GENERATIONS, data={"prompt": "a red sun over blue mountains", **data}, headers=bearer(token)
    )
    assert r.status_code == expect, r.text
    return dict(r.json())


async def finished(px: Instance, token: str, generation_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Waits for the job (run by the instance's own workers) to leave queued/running."""
    for _ in range(int(timeout / 0.1)):
        r = await px.client.get(f"{GENERATIONS}/{generation_id}", headers=bearer(token))
        assert r.status_code == 200, r.text
        if r.json()["state"] not in ("queued", "running"):
            return dict(r.json())
        await asyncio.sleep(0.1)
    raise AssertionError(f"generation {generation_id} did not finish: {r.json()}")


async def test_four_candidates_are_made_signed_and_one_is_posted(px: Instance) -> None:
    _, alice = await px.user("alice")
    job = await generate(px, alice, n="4", seed="7", size="512x512", style="watercolor")
    assert job["state"] in ("queued", "running") and job["candidates"] == []
    assert job["params"]["seed"] == 7 and job["params"]["style"] == "watercolor"
    done = await finished(px, alice, job["id"])
    assert done["state"] == "succeeded" and done["progress"] == 1.0, done
    candidates = done["candidates"]
    assert [c["pixie"]["seed"] for c in candidates] == [7, 8, 9, 10]
    assert done["provider"] == "sketch" and done["model"] == "pixie-sketch-1"
    for c in candidates:
        assert c["url"] and c["preview_url"] and c["blurhash"]
        assert c["meta"]["original"]["size"] == "512x512"
        assert c["description"].startswith("Sketch: a red sun over blue mountains")
        assert c["pixie"]["provenance"]["label"] == "sketch"
        assert c["pixie"]["provenance"]["c2pa"]["digital_source_type"] == "algorithmicMedia"
        assert c["pixie"]["chosen"] is False
    # The stored original carries a manifest that c2pa-python reads back.
    async with px.rt.db.read() as session:
        row = await session.get(MediaAttachment, int(candidates[1]["id"]))
    assert row is not None and row.original_key is not None
    assert candidates[1]["url"] == px.settings.media_url(row.original_key)
    data = await px.rt.storage.get(row.original_key)
    assert data is not None
    reader = c2pa.Reader(Image.open(io.BytesIO(data)).get_format_mimetype(), io.BytesIO(data))
    assert "algorithmicMedia" in reader.json()

    status = await px.post(alice, status="my sunset", **{"media_ids[]": [candidates[2]["id"]]})
    meta = status["pixie"]["generation"]
    assert meta["prompt"] == "a red sun over blue mountains" and meta["seed"] == 7
    assert (meta["model"], meta["provider"], meta["size"], meta["style"]) == (
        "pixie-sketch-1",
        "sketch",
        "512x512",
        "watercolor",
    )
    assert status["media_attachments"][0]["pixie"]["provenance"]["label"] == "sketch"
    assert status == (await px.client.get(f"/api/v1/statuses/{status['id']}", headers=bearer(alice))).json()
    after = (await px.client.get(f"{GENERATIONS}/{job['id']}", headers=bearer(alice))).json()
    assert [c["pixie"]["chosen"] for c in after["candidates"]] == [False, False, True, False]
    assert after["status_id"] == status["id"]
    # The preference record: chosen and passed over, as a domain event for the data pipeline.
    async with px.rt.db.read() as session:
        events = list(
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "candidate.chosen"))
        )
    assert len(events) == 1
    chosen = events[0].payload
    assert chosen["chosen_media_id"] == int(candidates[2]["id"])
    assert sorted(chosen["passed_over_media_ids"]) == sorted(
        int(c["id"]) for i, c in enumerate(candidates) if i != 2
    )


async def test_a_hidden_prompt_shows_to_its_author_only(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    done = await finished(px, alice, (await generate(px, alice, n="1", size="512x512"))["id"])
    status = await px.post(
        alice,
        status="guess",
        **{"media_ids[]": [done["candidates"][0]["id"]], "pixie[hide_prompt]": "true"},
    )
    assert status["pixie"]["generation"]["prompt"] == "a red sun over blue mountains"
    seen = (await px.client.get(f"/api/v1/statuses/{status['id']}", headers=bearer(bob))).json()
    assert seen["pixie"]["generation"]["prompt"] is None
    assert seen["pixie"]["generation"]["negative_prompt"] is None
    assert seen["pixie"]["generation"]["prompt_hidden"] is True
    anonymous = (await px.client.get(f"/api/v1/statuses/{status['id']}")).json()
    assert anonymous["pixie"]["generation"]["prompt"] is None
    listed = (await px.client.get(f"/api/v1/accounts/{alice_id}/statuses", headers=bearer(bob))).json()
    assert listed[0]["pixie"]["generation"]["prompt"] is None
    # The account default hides prompts of later posts too.
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"pixie[hide_prompt]": "true"}, headers=bearer(alice)
    )
    assert r.status_code == 200 and r.json()["pixie"]["hide_prompt"] is True
    done = await finished(px, alice, (await generate(px, alice, n="1", size="512x512"))["id"])
    second = await px.post(alice, status="again", **{"media_ids[]": [done["candidates"][0]["id"]]})
    seen = (await px.client.get(f"/api/v1/statuses/{second['id']}", headers=bearer(bob))).json()
    assert seen["pixie"]["generation"]["prompt"] is None


async def test_remixes_link_to_their_parent_and_the_lineage_shows_both(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    done = await finished(px, alice, (await generate(px, alice, n="2", size="512x512"))["id"])
    parent = await px.post(alice, status="original", **{"media_ids[]": [done["candidates"][0]["id"]]})
    for mode in ("text", "image"):
        remix = await generate(
            px, bob, n="1", size="512x512", prompt="the same, at night", remix_of=parent["id"], mode=mode
        )
        assert remix["params"]["remix_of"] == parent["id"] and remix["params"]["mode"] == mode
        remix_done = await finished(px, bob, remix["id"])
        assert remix_done["state"] == "succeeded", remix_done
    child = await px.post(bob, status="my take", **{"media_ids[]": [remix_done["candidates"][0]["id"]]})
    assert child["pixie"]["remix_of"] == parent["id"]
    assert child["pixie"]["generation"]["remix_of"] == parent["id"]
    reloaded = (await px.client.get(f"/api/v1/statuses/{parent['id']}", headers=bearer(alice))).json()
    assert reloaded["pixie"]["remixes_count"] == 1
    grandchild_job = await finished(
        px, alice, (await generate(px, alice, n="1", size="512x512", remix_of=child["id"]))["id"]
    )
    grandchild = await px.post(
        alice, status="and mine", **{"media_ids[]": [grandchild_job["candidates"][0]["id"]]}
    )

    lineage = (await px.client.get(f"/api/v1/pixie/statuses/{parent['id']}/lineage")).json()
    assert lineage["ancestors"] == []
    assert [s["id"] for s in lineage["descendants"]] == [grandchild["id"], child["id"]]
    lineage = (await px.client.get(f"/api/v1/pixie/statuses/{grandchild['id']}/lineage")).json()
    assert [s["id"] for s in lineage["ancestors"]] == [parent["id"], child["id"]]
    page = await px.client.get(f"/api/v1/pixie/statuses/{parent['id']}/lineage", params={"limit": 1})
    assert [s["id"] for s in page.json()["descendants"]] == [grandchild["id"]]
    assert "max_id" in page.headers["link"]


async def test_remix_rules_follow_visibility_and_the_authors_wish(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    done = await finished(px, alice, (await generate(px, alice, n="3", size="512x512"))["id"])
    ids = [c["id"] for c in done["candidates"]]
    closed = await px.post(
        alice, status="mine only", **{"media_ids[]": [ids[0]], "pixie[allow_remix]": "false"}
    )
    private = await px.post(alice, status="followers", visibility="private", **{"media_ids[]": [ids[1]]})
    text_only = await px.post(alice, status="no image here")
    r = await px.client.post(GENERATIONS, data={"prompt": "x", "remix_of": closed["id"]}, headers=bearer(bob))
    assert r.status_code == 403 and "does not allow remixes" in r.json()["error"]
    # Its author still may.
    await generate(px, alice, n="1", size="512x512", remix_of=closed["id"])
    r = await px.client.post(
        GENERATIONS, data={"prompt": "x", "remix_of": private["id"]}, headers=bearer(bob)
    )
    assert r.status_code == 404
    r = await px.client.post(
        GENERATIONS, data={"prompt": "x", "remix_of": text_only["id"], "mode": "image"}, headers=bearer(bob)
    )
    assert r.status_code == 422 and "no image" in r.json()["error"]
    # The account default forbids remixes of posts that say nothing themselves.
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"pixie[allow_remix]": "false"}, headers=bearer(alice)
    )
    assert r.status_code == 200
    r = await px.client.post(
        GENERATIONS, data={"prompt": "x", "remix_of": text_only["id"]}, headers=bearer(bob)
    )
    assert r.status_code == 403


async def test_bad_generation_requests_are_refused_with_reasons(px: Instance) -> None:
    _, alice = await px.user("alice")
    cases: list[tuple[dict[str, str], str]] = [
        ({"prompt": "  "}, "blank"),
        ({"prompt": "x" * 1001}, "too long"),
        ({"n": "0"}, "between 1 and 4"),
        ({"n": "5"}, "between 1 and 4"),
        ({"size": "999x999"}, "size must be one of"),
        ({"size": "big"}, "size must be one of"),
        ({"style": "nope"}, "unknown style"),
        ({"mode": "image"}, "needs remix_of"),
        ({"mode": "video"}, "text or image"),
        ({"seed": "-1"}, "seed"),
        ({"seed": "99999999999"}, "seed"),
        ({"n": "many"}, ""),
    ]
    for data, words in cases:
        r = await px.client.post(GENERATIONS, data={"prompt": "a cat", **data}, headers=bearer(alice))
        assert r.status_code == 422, (data, r.text)
        assert words in r.json()["error"], (data, r.json())
    r = await px.client.post(GENERATIONS, data={"prompt": "a cat", "remix_of": "123"}, headers=bearer(alice))
    assert r.status_code == 404
    r = await px.client.post(GENERATIONS, data={"prompt": "a cat"})
    assert r.status_code == 401
    r = await px.client.get(f"{GENERATIONS}/12345", headers=bearer(alice))
    assert r.status_code == 404
    async with px.rt.db.read() as session:
        assert list(await session.scalars(select(Generation))) == []


async def test_others_cannot_see_cancel_or_post_my_candidates(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    done = await finished(px, alice, (await generate(px, alice, n="1", size="512x512"))["id"])
    assert (await px.client.get(f"{GENERATIONS}/{done['id']}", headers=bearer(bob))).status_code == 404
    assert (await px.client.delete(f"{GENERATIONS}/{done['id']}", headers=bearer(bob))).status_code == 404
    assert (await px.client.get(GENERATIONS, headers=bearer(bob))).json() == []
    r = await px.client.post(
        "/api/v1/statuses",
        data={"status": "stolen", "media_ids[]": [done["candidates"][0]["id"]]},
        headers=bearer(bob),
    )
    assert r.status_code == 422
    mine = (await px.client.get(GENERATIONS, headers=bearer(alice))).json()
    assert [g["id"] for g in mine] == [done["id"]]


async def test_the_block_list_refuses_prompts_and_keeps_them_for_moderators(start: Any) -> None:
    async with start(prompt_blocklist=["forbidden thing", "/ba+d words?/"]) as px:
        _, alice = await px.user("alice")
        r = await px.client.post(
            GENERATIONS, data={"prompt": "A Forbidden Thing at dawn"}, headers=bearer(alice)
        )
        assert r.status_code == 422 and "forbidden thing" in r.json()["error"].lower()
        r = await px.client.post(
            GENERATIONS, data={"prompt": "a cat", "negative_prompt": "baaad words"}, headers=bearer(alice)
        )
        assert r.status_code == 422
        assert "ba+d" not in r.json()["error"]  # a pattern is never echoed
        async with px.rt.db.read() as session:
            refusals = list(await session.scalars(select(PromptRefusal).order_by(PromptRefusal.id)))
            generations = list(await session.scalars(select(Generation)))
        assert [(x.prompt, x.source) for x in refusals] == [
            ("A Forbidden Thing at dawn", "blocklist"),
            ("a cat", "blocklist"),
        ]
        assert generations == []


async def test_limits_answer_429_with_retry_after(start: Any) -> None:
    async with start(generation_max_concurrent=1, generation_daily_quota=2, background=False) as px:
        _, alice = await px.user("alice")
        await generate(px, alice, n="1", size="512x512")  # stays queued: no workers in this instance
        r = await px.client.post(GENERATIONS, data={"prompt": "more"}, headers=bearer(alice))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "under way" in r.json()["error"]
        first = (await px.client.get(GENERATIONS, headers=bearer(alice))).json()[0]
        cancelled = (await px.client.delete(f"{GENERATIONS}/{first['id']}", headers=bearer(alice))).json()
        assert cancelled["state"] == "cancelled"
        again = await generate(px, alice, n="1", size="512x512")
        await px.client.delete(f"{GENERATIONS}/{again['id']}", headers=bearer(alice))
        r = await px.client.post(GENERATIONS, data={"prompt": "third today"}, headers=bearer(alice))
        assert r.status_code == 429 and "24 hours" in r.json()["error"]
        assert 0 < int(r.headers["retry-after"]) <= 86_400


async def test_idempotency_key_returns_the_same_generation(px: Instance) -> None:
    _, alice = await px.user("alice")
    headers = {**bearer(alice), "Idempotency-Key": "abc-123"}
    first = await px.client.post(GENERATIONS, data={"prompt": "a cat", "n": "1"}, headers=headers)
    second = await px.client.post(GENERATIONS, data={"prompt": "a cat", "n": "1"}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]


async def test_style_presets_are_listed(px: Instance) -> None:
    r = await px.client.get("/api/v1/pixie/styles")
    assert r.status_code == 200
    styles = r.json()
    assert {"watercolor", "pixel-art"} <= {s["id"] for s in styles}
    assert all(s["name"] and s["description"] for s in styles)
