"""Uploading images, describing them, posting them, and who can reach them."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import update

from pixie.db.types import utcnow
from pixie.models.media import MediaAttachment
from pixie.services import maintenance
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer
from tests.media import images


async def fetch(px: Instance, url: str) -> httpx.Response:
    """A media URL as a browser fetches it: from Pixie (local disk) or from the bucket (S3)."""
    if url.startswith(px.settings.base_url):
        return await px.client.get(url.removeprefix(px.settings.base_url))
    async with httpx.AsyncClient() as outside:
        return await outside.get(url)


async def upload(
    px: Instance, token: str, data: bytes | None = None, *, version: int = 2, **fields: str
) -> httpx.Response:
    return await px.client.post(
        f"/api/v{version}/media",
        files={"file": ("holiday.jpg", data if data is not None else images.jpeg(), "image/jpeg")},
        data=fields,
        headers=bearer(token),
    )


async def uploaded(px: Instance, token: str, data: bytes | None = None, **fields: str) -> dict[str, Any]:
    r = await upload(px, token, data, version=2, **fields)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def post(px: Instance, token: str, **data: Any) -> httpx.Response:
    return await px.client.post("/api/v1/statuses", data=data, headers=bearer(token))


async def test_an_upload_is_processed_and_served_without_its_metadata(px: Instance) -> None:
    _, alice = await px.user("alice")
    media = await uploaded(
        px, alice, images.jpeg(1600, 1200), description="A hill at dawn", focus="0.5,-0.25"
    )
    check_shape("MediaAttachment", media)
    assert media["type"] == "image" and media["description"] == "A hill at dawn"
    assert media["meta"]["original"] == {"width": 1600, "height": 1200, "size": "1600x1200", "aspect": 4 / 3}
    assert media["meta"]["small"]["width"] == 640 and media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert media["pixie"]["large"]["width"] == 1280 and media["pixie"]["thumbnail"]["width"] == 160
    assert media["blurhash"] and len(media["blurhash"]) == 28
    # Keys are 128 random bits, and the files are where the URLs say.
    key_dir = media["url"].rsplit("/", 2)[-2]
    assert len(key_dir) == 32 and int(key_dir, 16) >= 0
    original = await fetch(px, media["url"])
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in original.content and b"SecretEditor" not in original.content
    assert (
        Image.open(io.BytesIO(original.content)).tobytes()
        == Image.open(io.BytesIO(images.jpeg(1600, 1200))).tobytes()
    )
    preview = await fetch(px, media["preview_url"])
    assert Image.open(io.BytesIO(preview.content)).size == (640, 480)
    if px.backend.name == "embedded":
        assert "immutable" in original.headers["cache-control"]
    assert px.settings.media_url("") in media["url"]


async def test_the_type_comes_from_the_bytes_not_the_name_or_declared_type(px: Instance) -> None:
    _, alice = await px.user("alice")
    media = await uploaded(px, alice, images.png())  # sent as holiday.jpg, image/jpeg
    assert media["url"].endswith(".png") and media["pixie"]["content_type"] == "image/png"
    r = await upload(px, alice, b"<?php echo 'hello'; ?>")
    assert r.status_code == 422 and "not an image" in r.json()["error"]
    r = await upload(px, alice, images.png_bomb())
    assert r.status_code == 422 and "pixels" in r.json()["error"]
    r = await upload(px, alice, b"")
    assert r.status_code == 422
    r = await px.client.post("/api/v2/media", data={"description": "no file"}, headers=bearer(alice))
    assert r.status_code == 422 and "file" in r.json()["error"].lower()


async def test_files_over_the_byte_limit_are_refused_with_413(start: Any) -> None:
    async with start(media_max_bytes=50_000) as px:
        _, alice = await px.user("alice")
        r = await upload(px, alice, images.jpeg(1600, 1200, quality=100))
        assert r.status_code == 413 and "at most 50000 bytes" in r.json()["error"]


async def test_large_images_are_processed_in_the_background(start: Any) -> None:
    async with start(media_async_pixels=100_000) as px:
        _, alice = await px.user("alice")
        r = await upload(px, alice, images.jpeg(800, 600))
        assert r.status_code == 202, r.text
        assert r.json()["url"] is None
        media_id = r.json()["id"]
        for _ in range(200):
            r = await px.client.get(f"/api/v1/media/{media_id}", headers=bearer(alice))
            if r.status_code == 200:
                break
            assert r.status_code == 206 and r.json()["url"] is None
            await asyncio.sleep(0.05)
        assert r.status_code == 200
        assert r.json()["meta"]["original"]["width"] == 800
        assert b"PhoneMaker" not in (await fetch(px, r.json()["url"])).content
        # The v1 endpoint always waits for processing.
        r = await upload(px, alice, images.jpeg(800, 600), version=1)
        assert r.status_code == 200 and r.json()["url"]


async def test_description_and_focus_can_be_changed_until_the_image_is_posted(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    media = await uploaded(px, alice)
    r = await px.client.put(
        f"/api/v1/media/{media['id']}",
        data={"description": "Two cats", "focus": "-1,1"},
        headers=bearer(alice),
    )
    assert r.status_code == 200
    assert (r.json()["description"], r.json()["meta"]["focus"]) == ("Two cats", {"x": -1.0, "y": 1.0})
    for bad in ({"focus": "2,0"}, {"focus": "left"}, {"description": "x" * 1501}):
        r = await px.client.put(f"/api/v1/media/{media['id']}", data=bad, headers=bearer(alice))
        assert r.status_code == 422, bad
    assert (await px.client.get(f"/api/v1/media/{media['id']}", headers=bearer(bob))).status_code == 404
    r = await px.client.put(f"/api/v1/media/{media['id']}", data={"description": "mine"}, headers=bearer(bob))
    assert r.status_code == 404
    assert (await post(px, alice, **{"media_ids[]": media["id"]})).status_code == 200
    assert (await px.client.get(f"/api/v1/media/{media['id']}", headers=bearer(alice))).status_code == 404


async def test_a_post_carries_its_images_in_order(px: Instance) -> None:
    _, alice = await px.user("alice")
    first = await uploaded(px, alice, images.png(), description="first")
    second = await uploaded(px, alice, images.jpeg(), description="second")
    r = await px.client.post(
        "/api/v1/statuses",
        json={"media_ids": [second["id"], first["id"]], "status": ""},
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    attachments = r.json()["media_attachments"]
    assert [m["description"] for m in attachments] == ["second", "first"]
    for m in attachments:
        check_shape("MediaAttachment", m)
    again = await px.client.get(f"/api/v1/statuses/{r.json()['id']}")
    assert [m["id"] for m in again.json()["media_attachments"]] == [second["id"], first["id"]]
    # Another post cannot take them, nor can another account.
    assert (await post(px, alice, status="again", **{"media_ids[]": first["id"]})).status_code == 422
    _, bob = await px.user("bob")
    theirs = await uploaded(px, bob)
    r = await post(px, alice, status="stolen", **{"media_ids[]": theirs["id"]})
    assert r.status_code == 422
    many = [(await uploaded(px, alice, images.png(40, 40)))["id"] for _ in range(5)]
    r = await px.client.post(
        "/api/v1/statuses", json={"status": "five", "media_ids": many}, headers=bearer(alice)
    )
    assert r.status_code == 422 and "at most 4" in r.json()["error"]
    r = await px.client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": ["nope"]}, headers=bearer(alice)
    )
    assert r.status_code == 422


async def test_only_media_timelines(px: Instance) -> None:
    aid, alice = await px.user("alice")
    media = await uploaded(px, alice)
    with_image = (await post(px, alice, status="look", **{"media_ids[]": media["id"]})).json()
    await post(px, alice, status="just words")
    for path in (f"/api/v1/accounts/{aid}/statuses", "/api/v1/timelines/public"):
        r = await px.client.get(path, params={"only_media": "true"})
        assert [s["id"] for s in r.json()] == [with_image["id"]], path
        assert len((await px.client.get(path)).json()) == 2


async def test_the_instance_can_require_alt_text(start: Any) -> None:
    async with start(media_require_description=True) as px:
        _, alice = await px.user("alice")
        described = await uploaded(px, alice, description="A red kite")
        bare = await uploaded(px, alice)
        r = await px.client.post(
            "/api/v1/statuses",
            json={"status": "birds", "media_ids": [described["id"], bare["id"]]},
            headers=bearer(alice),
        )
        assert r.status_code == 422
        assert "Image 2" in r.json()["error"] and bare["id"] in r.json()["error"]
        # Nothing was half-written: both uploads are still free to use.
        await px.client.put(
            f"/api/v1/media/{bare['id']}", data={"description": "A buzzard"}, headers=bearer(alice)
        )
        r = await px.client.post(
            "/api/v1/statuses",
            json={"status": "birds", "media_ids": [described["id"], bare["id"]]},
            headers=bearer(alice),
        )
        assert r.status_code == 200
        instance = (await px.client.get("/api/v2/instance")).json()
        assert instance["pixie"]["media_policy"]["require_description"] is True


async def test_images_of_a_post_are_only_seen_by_who_may_see_the_post(px: Instance) -> None:
    aid, alice = await px.user("alice")
    _, bob = await px.user("bob")
    media = await uploaded(px, alice, description="private garden")
    private = (
        await post(px, alice, status="followers only", visibility="private", **{"media_ids[]": media["id"]})
    ).json()
    assert private["media_attachments"][0]["id"] == media["id"]
    for token in (None, bob):
        headers = bearer(token) if token else {}
        assert (await px.client.get(f"/api/v1/statuses/{private['id']}", headers=headers)).status_code == 404
        for path in (f"/api/v1/accounts/{aid}/statuses", "/api/v1/timelines/public"):
            found = (await px.client.get(path, params={"only_media": "1"}, headers=headers)).json()
            assert found == [], path
        r = await px.client.get("/api/v1/statuses", params={"id[]": private["id"]}, headers=headers)
        assert r.json() == []
        if token:
            assert (await px.client.get(f"/api/v1/media/{media['id']}", headers=headers)).status_code == 404


async def test_deleting_a_post_hands_its_images_back_for_a_redraft(px: Instance) -> None:
    _, alice = await px.user("alice")
    media = await uploaded(px, alice)
    status = (await post(px, alice, status="typo", **{"media_ids[]": media["id"]})).json()
    deleted = await px.client.delete(f"/api/v1/statuses/{status['id']}", headers=bearer(alice))
    assert [m["id"] for m in deleted.json()["media_attachments"]] == [media["id"]]
    redraft = await post(px, alice, status="fixed", **{"media_ids[]": media["id"]})
    assert redraft.status_code == 200 and redraft.json()["media_attachments"][0]["id"] == media["id"]


async def test_uploads_no_post_uses_are_removed_after_a_day(px: Instance) -> None:
    _, alice = await px.user("alice")
    old = await uploaded(px, alice)
    kept = await uploaded(px, alice)
    used = await uploaded(px, alice)
    await post(px, alice, status="with image", **{"media_ids[]": used["id"]})
    async with px.rt.write() as session:
        await session.execute(
            update(MediaAttachment)
            .where(MediaAttachment.id.in_([int(old["id"]), int(used["id"])]))
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    removed = await maintenance.cleanup(px.rt)
    assert removed["media_attachments"] == 1
    assert (await px.client.get(f"/api/v1/media/{old['id']}", headers=bearer(alice))).status_code == 404
    assert (await fetch(px, old["url"])).status_code in (403, 404)
    assert (await fetch(px, old["preview_url"])).status_code in (403, 404)
    assert (await px.client.get(f"/api/v1/media/{kept['id']}", headers=bearer(alice))).status_code == 200
    assert (await fetch(px, used["url"])).status_code == 200


async def test_avatar_and_header_go_through_the_pipeline(px: Instance) -> None:
    _, alice = await px.user("alice")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        files={
            "avatar": ("me.jpg", images.jpeg(900, 600), "image/jpeg"),
            "header": ("wide.png", images.png(1200, 900), "image/png"),
        },
        data={"display_name": "Alice"},
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["display_name"] == "Alice"
    avatar = await fetch(px, me["avatar"])
    header = await fetch(px, me["header"])
    assert Image.open(io.BytesIO(avatar.content)).size == (400, 400)
    assert Image.open(io.BytesIO(header.content)).size == (1500, 500)
    assert b"PhoneMaker" not in avatar.content
    assert me["avatar_static"] == me["avatar"]
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        files={"avatar": ("x.jpg", b"not an image", "image/jpeg")},
        headers=bearer(alice),
    )
    assert r.status_code == 422 and "Avatar" in r.json()["error"]
    # A refused change leaves the profile as it was.
    again = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    assert again["avatar"] == me["avatar"]


async def test_uploading_needs_the_media_scope(px: Instance) -> None:
    _, reader = await px.user("alice", scopes="read")
    r = await upload(px, reader)
    assert r.status_code == 403
    assert (
        await px.client.post("/api/v2/media", files={"file": ("a.png", images.png(), "image/png")})
    ).status_code == 401
