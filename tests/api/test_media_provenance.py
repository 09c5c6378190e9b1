"""Where an image came from, as MediaAttachment.pixie.provenance says and as its original file proves:
uploads read for C2PA manifests and AI markers, re-signed so their chain survives the metadata
clean-up, and generated images signed after the pipeline."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixie.media import provenance
from pixie.services import media as media_service
from tests.api.test_golden import check_shape
from tests.api.test_media import fetch, upload, uploaded
from tests.conftest import Instance, bearer
from tests.media import c2pa_images, images
from tests.media.c2pa_images import GPS_ASSERTION, GPS_TEXT, TRAINED, OutsideSigner

ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).tobytes()


@pytest.fixture
def outsider(tmp_path: Path) -> OutsideSigner:
    """Another party (here, an AI image service) that signs its images' manifests."""
    return OutsideSigner(tmp_path / "outside-c2pa")


def own_root(px: Instance) -> str:
    return (px.settings.data_dir / "c2pa" / "dev" / provenance.ROOT_FILE).read_text()


async def test_a_plain_upload_has_no_provenance(px: Instance) -> None:
    _, alice = await px.user("alice")
    media = await uploaded(px, alice, images.jpeg())
    check_shape("MediaAttachment", media)
    assert media["pixie"]["provenance"] == {"label": "none", "c2pa": None}
    # Nothing needed signing, so no signing chain was made either.
    assert not (px.settings.data_dir / "c2pa").exists()


async def test_an_upload_carrying_an_ai_manifest_is_labelled_and_its_chain_survives(
    px: Instance, outsider: OutsideSigner
) -> None:
    _, alice = await px.user("alice")
    # A camera-style JPEG (EXIF with GPS, XMP, a comment) that an AI service signed, with GPS in the
    # manifest too.
    original = outsider.sign(images.jpeg(800, 600), "image/jpeg", assertions=[GPS_ASSERTION])
    their_store, _ = c2pa_images.read_store(original, "image/jpeg")
    media = await uploaded(px, alice, original, description="a robot painting")
    check_shape("MediaAttachment", media)
    label = media["pixie"]["provenance"]["label"]
    summary = media["pixie"]["provenance"]["c2pa"]
    assert label == "ai_generated"
    assert summary["digital_source_type"] == "trainedAlgorithmicMedia"
    assert summary["validation_state"] == "Trusted"  # signed again by this instance's own root
    assert summary["claim_generator"].startswith("Pixie ") and summary["ingredients"] == 1
    assert summary["parent_validation_state"] == "Valid"  # the outside signer is not a trusted root

    stored = (await fetch(px, media["url"])).content
    assert pixels(stored) == pixels(original)
    for secret in (b"PhoneMaker", b"SecretEditor", b"shot at home", GPS_TEXT):
        assert secret not in stored
    assert Image.open(io.BytesIO(stored)).info["icc_profile"] == images.SRGB_ICC
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}
    store, state = c2pa_images.read_store(stored, "image/jpeg")
    assert state == "Valid"
    _, state = c2pa_images.read_store(stored, "image/jpeg", trust_anchors=own_root(px))
    assert state == "Trusted"
    [parent] = c2pa_images.active(store)["ingredients"]
    assert parent["relationship"] == "parentOf"
    assert parent["active_manifest"] == their_store["active_manifest"]
    assert store["manifests"][parent["active_manifest"]]["signature_info"]["issuer"] == "Other Camera Co"

    # Renditions carry no manifest, but the entity labels them with the original.
    preview = (await fetch(px, media["preview_url"])).content
    assert provenance.read_summary(preview, "image/jpeg") is None
    again = await px.client.get(f"/api/v1/media/{media['id']}", headers=bearer(alice))
    assert again.json()["pixie"]["provenance"] == media["pixie"]["provenance"]
    posted = await px.client.post(
        "/api/v1/statuses", json={"status": "look", "media_ids": [media["id"]]}, headers=bearer(alice)
    )
    assert posted.json()["media_attachments"][0]["pixie"]["provenance"]["label"] == "ai_generated"


async def test_a_png_upload_with_a_manifest_is_signed_again_in_place(
    px: Instance, outsider: OutsideSigner
) -> None:
    # PNG keeps a manifest's chunk through the clean-up, broken; the upload replaces it with its own.
    _, alice = await px.user("alice")
    original = outsider.sign(images.png(), "image/png")
    media = await uploaded(px, alice, original)
    assert media["pixie"]["provenance"]["label"] == "ai_generated"
    stored = (await fetch(px, media["url"])).content
    store, state = c2pa_images.read_store(stored, "image/png")
    assert state == "Valid" and pixels(stored) == pixels(original)
    assert c2pa_images.active(store)["ingredients"][0]["relationship"] == "parentOf"
    assert b"Home Street" not in stored and b"SecretEditor" not in stored


async def test_a_broken_manifest_does_not_fail_the_upload(px: Instance, outsider: OutsideSigner) -> None:
    _, alice = await px.user("alice")
    signed = outsider.sign(images.jpeg(), "image/jpeg")
    # Invalid UTF-8 where the hash binding names its algorithm: the manifest cannot be decoded, and
    # cannot be taken in as an ingredient either.
    alg = signed.index(b"sha256", signed.index(b"c2pa.hash.data"))
    broken = signed[:alg] + b"\xff\xfe\xfd\xfc\xfb\xfa" + signed[alg + 6 :]
    media = await uploaded(px, alice, broken)
    # The clean-up removed what could not be signed again; the stored file carries no manifest.
    assert media["pixie"]["provenance"] == {"label": "none", "c2pa": None}
    stored = (await fetch(px, media["url"])).content
    assert pixels(stored) == pixels(broken) and b"c2pa" not in stored


async def test_an_upload_with_only_an_iptc_ai_marker_is_labelled(px: Instance) -> None:
    _, alice = await px.user("alice")
    data = c2pa_images.jpeg_with_xmp(c2pa_images.xmp(TRAINED), size=300)
    media = await uploaded(px, alice, data)
    assert media["pixie"]["provenance"] == {"label": "ai_generated", "c2pa": None}
    stored = (await fetch(px, media["url"])).content
    assert TRAINED.encode() not in stored  # the XMP went with the rest of the metadata
    assert pixels(stored) == pixels(data)


async def test_large_uploads_processed_in_the_background_are_labelled_too(
    start: Any, outsider: OutsideSigner
) -> None:
    async with start(media_async_pixels=100_000) as px:
        _, alice = await px.user("alice")
        r = await upload(px, alice, outsider.sign(images.jpeg(800, 600), "image/jpeg"))
        assert r.status_code == 202, r.text
        assert r.json()["pixie"]["provenance"] == {"label": "none", "c2pa": None}  # not read yet
        for _ in range(200):
            r = await px.client.get(f"/api/v1/media/{r.json()['id']}", headers=bearer(alice))
            if r.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert r.status_code == 200
        assert r.json()["pixie"]["provenance"]["label"] == "ai_generated"
        stored = (await fetch(px, r.json()["url"])).content
        assert c2pa_images.read_store(stored, "image/jpeg")[1] == "Valid"


async def test_a_generated_image_is_signed_after_the_pipeline(px: Instance) -> None:
    account_id, alice = await px.user("alice")
    made = c2pa_images.encoded("PNG", 512)
    media = await media_service.store_generated(
        px.rt,
        account_id,
        made,
        label="sketch",
        digital_source_type=ALGORITHMIC,
        provider="sketch",
        model="pixie-sketch-1",
        description="a sketch",
    )
    r = await px.client.get(f"/api/v1/media/{media.id}", headers=bearer(alice))
    assert r.status_code == 200
    entity = r.json()
    check_shape("MediaAttachment", entity)
    assert entity["pixie"]["provenance"]["label"] == "sketch"
    summary = entity["pixie"]["provenance"]["c2pa"]
    assert summary["digital_source_type"] == "algorithmicMedia"
    assert summary["software_agent"] == "pixie-sketch-1"
    assert summary["validation_state"] == "Trusted" and summary["actions"] == ["c2pa.created"]
    stored = (await fetch(px, entity["url"])).content
    assert pixels(stored) == pixels(made)
    assert entity["pixie"]["file_size"] == len(stored)
    store, state = c2pa_images.read_store(stored, "image/png", trust_anchors=own_root(px))
    assert state == "Trusted"
    created = c2pa_images.actions(c2pa_images.active(store))[0]
    assert (created["digitalSourceType"], created["softwareAgent"]["name"]) == (ALGORITHMIC, "pixie-sketch-1")
    # Generation candidates are not plain uploads: the clean-up of unused uploads leaves them.
    assert media.origin == "candidate"
