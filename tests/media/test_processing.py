"""The processing policy: clean originals with untouched pixels, upright sRGB renditions, limits."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from pixie.media import processing
from pixie.media.processing import ImageRefused
from tests.media import images

LIMIT = 33_177_600


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    image = decoded(data)
    assert dict(image.getexif()) == {}
    assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info
    for secret in (b"PhoneMaker", b"SecretEditor", b"Home Street", b"shot at home", b"secret"):
        assert secret not in data


def test_jpeg_original_loses_exif_gps_xmp_and_comments_but_not_a_single_pixel() -> None:
    upload = images.jpeg(800, 600)
    assert b"PhoneMaker" in upload and b"SecretEditor" in upload
    result = processing.process(upload, max_pixels=LIMIT)
    assert not result.reencoded
    assert_no_metadata(result.original.data)
    assert decoded(result.original.data).tobytes() == decoded(upload).tobytes()
    assert decoded(result.original.data).info["icc_profile"] == images.SRGB_ICC
    assert result.original.content_type == "image/jpeg"
    assert (result.original.width, result.original.height) == (800, 600)


def test_rotated_jpeg_keeps_only_its_orientation_and_renditions_are_upright() -> None:
    upload = images.jpeg(800, 600, orientation=6)  # stored landscape, shown portrait
    result = processing.process(upload, max_pixels=LIMIT)
    original = decoded(result.original.data)
    assert dict(original.getexif()) == {0x0112: 6}
    assert b"PhoneMaker" not in result.original.data
    assert original.tobytes() == decoded(upload).tobytes()
    assert (result.original.width, result.original.height) == (600, 800)
    for name, longest in processing.SIZES.items():
        rendition = result.renditions[name]
        assert max(rendition.width, rendition.height) == min(longest, 800)
        assert rendition.height > rendition.width, name
        shown = decoded(rendition.data)
        assert dict(shown.getexif()) == {} and shown.size == (rendition.width, rendition.height)


def test_png_original_loses_text_xmp_and_exif_chunks_but_keeps_pixels_and_profile() -> None:
    upload = images.png()
    result = processing.process(upload, max_pixels=LIMIT)
    assert not result.reencoded
    assert_no_metadata(result.original.data)
    assert decoded(result.original.data).tobytes() == decoded(upload).tobytes()
    assert decoded(result.original.data).info["icc_profile"] == images.SRGB_ICC


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_original_loses_exif_and_xmp_but_keeps_pixels_and_profile(lossless: bool) -> None:
    upload = images.webp(lossless=lossless)
    assert b"PhoneMaker" in upload
    result = processing.process(upload, max_pixels=LIMIT)
    assert not result.reencoded
    assert_no_metadata(result.original.data)
    assert decoded(result.original.data).tobytes() == decoded(upload).tobytes()
    assert decoded(result.original.data).info["icc_profile"] == images.SRGB_ICC


def test_animated_gif_keeps_its_frames_and_loop_but_not_comments_or_xmp() -> None:
    upload = images.gif(frames=3)
    assert b"XMP DataXMP" in upload
    result = processing.process(upload, max_pixels=LIMIT)
    assert b"XMP DataXMP" not in result.original.data and b"secret" not in result.original.data
    before: Any = decoded(upload)
    after: Any = decoded(result.original.data)
    assert after.n_frames == before.n_frames == 3
    assert after.info.get("loop") == 0
    for frame in range(3):
        before.seek(frame)
        after.seek(frame)
        assert after.convert("RGB").tobytes() == before.convert("RGB").tobytes()
    assert result.animated


def test_avif_is_kept_as_uploaded_unless_it_carries_metadata() -> None:
    plain = images.avif(with_exif=False)
    assert processing.process(plain, max_pixels=LIMIT).original.data == plain
    tagged = images.avif(with_exif=True)
    result = processing.process(tagged, max_pixels=LIMIT)
    assert result.reencoded
    assert_no_metadata(result.original.data)
    assert result.original.content_type == "image/avif"


def test_renditions_are_jpeg_or_webp_with_transparency_and_a_blurhash() -> None:
    opaque = processing.process(images.jpeg(2000, 1000), max_pixels=LIMIT)
    assert {n: (r.width, r.height) for n, r in opaque.renditions.items()} == {
        "large": (1280, 640),
        "preview": (640, 320),
        "thumbnail": (160, 80),
    }
    assert all(r.content_type == "image/jpeg" for r in opaque.renditions.values())
    transparent = processing.process(images.png(mode="RGBA"), max_pixels=LIMIT)
    assert all(r.content_type == "image/webp" for r in transparent.renditions.values())
    assert decoded(transparent.renditions["preview"].data).mode == "RGBA"
    # A BlurHash of 4x3 components is 28 characters long.
    other = processing.process(images.gif(), max_pixels=LIMIT)
    assert len(opaque.blurhash) == 28 and opaque.blurhash != other.blurhash


def test_small_images_are_not_enlarged() -> None:
    result = processing.process(images.png(100, 50), max_pixels=LIMIT)
    assert (result.renditions["large"].width, result.renditions["large"].height) == (100, 50)
    assert result.renditions["thumbnail"].width == 100


def test_the_pixel_limit_refuses_decompression_bombs_from_their_header() -> None:
    bomb = images.png_bomb()
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageRefused, match="too many pixels"):
        processing.process(bomb, max_pixels=LIMIT)
    with pytest.raises(ImageRefused, match="7000x7000 pixels"):
        processing.process(images.png_bomb(7000, 7000), max_pixels=LIMIT)
    with pytest.raises(ImageRefused, match="at most 100 pixels"):
        processing.probe(images.png(20, 20), max_pixels=100)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is text",
        b"GIF89a" + b"\x00" * 3,
        b"%PDF-1.7\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
    ids=["text", "gif-header-only", "pdf", "svg"],
)
def test_anything_that_is_not_a_supported_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused):
        processing.process(data, max_pixels=LIMIT)


def test_a_cut_off_image_is_refused_as_damaged() -> None:
    upload = images.jpeg(800, 600)
    with pytest.raises(ImageRefused):
        processing.process(upload[: len(upload) // 2], max_pixels=LIMIT)


def test_profile_images_are_cropped_to_their_shape() -> None:
    avatar = processing.profile_image(images.jpeg(800, 600), max_pixels=LIMIT, size=(400, 400))
    assert (avatar.width, avatar.height) == (400, 400)
    assert decoded(avatar.data).size == (400, 400)
    assert b"PhoneMaker" not in avatar.data
