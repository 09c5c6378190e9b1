"""Turning uploaded bytes into what Pixie stores: a clean original and derived renditions.

The processing policy (also stated in /api/v2/instance and the README):
- the type comes from the bytes (Pillow's decoders), never from the file name or declared type;
- images over the pixel limit are refused before their pixels are decoded (decompression bombs);
- the original keeps its uploaded quality: EXIF (GPS included), XMP, IPTC and comments are cut out
  of the file without re-encoding its pixels (JPEG, PNG, WebP, GIF), keeping the ICC profile and
  the orientation; only where that cannot be done (AVIF carrying metadata, a rotated WebP) is it
  re-encoded at high quality;
- derived images (large ~1280 px, preview ~640 px, thumbnail ~160 px) are upright (orientation
  applied), converted to sRGB, JPEG (WebP where the image has transparency), with no metadata;
- a BlurHash is computed from the thumbnail.

Everything here is CPU-bound and synchronous; the service runs it in a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import blurhash_rs
from PIL import Image, ImageCms, ImageOps

from pixie.media import metadata

# Pillow format name -> (MIME type, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "AVIF": ("image/avif", "avif"),
}
EXTENSION_TYPES: dict[str, str] = {extension: mime for mime, extension in FORMATS.values()}
# Longest side of each derived rendition.
SIZES: dict[str, int] = {"large": 1280, "preview": 640, "thumbnail": 160}
DERIVED_QUALITY = 85
REENCODE_QUALITY = 95
ORIENTATION = 0x0112
UNSUPPORTED = "The file is not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF)"

_SRGB = ImageCms.createProfile("sRGB")


class ImageRefused(ValueError):
    """The bytes are not an image Pixie accepts; the message says why, for the person uploading."""


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class Probe:
    format: str
    width: int
    height: int
    animated: bool = False
    # What the header says beyond the size (EXIF, XMP, ICC...), as Pillow reads it.
    info: dict[Any, Any] = field(default_factory=dict)

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class ProcessedImage:
    original: Rendition
    renditions: dict[str, Rendition]
    blurhash: str
    # True when the original could not be cleaned without re-encoding it.
    reencoded: bool = False
    animated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise ImageRefused("The image has too many pixels") from None
    except Exception:
        raise ImageRefused(UNSUPPORTED) from None


def probe(data: bytes, *, max_pixels: int) -> Probe:
    """Reads only the header: the format and the size, refusing what is over the pixel limit."""
    with _open(data) as im:
        width, height = im.size
        fmt = im.format or ""
        animated = bool(getattr(im, "is_animated", False))
        info = dict(im.info)
    if fmt not in FORMATS:
        raise ImageRefused(UNSUPPORTED)
    if width < 1 or height < 1:
        raise ImageRefused("The image has no pixels")
    if width * height > max_pixels:
        raise ImageRefused(f"The image is {width}x{height} pixels; at most {max_pixels} pixels are accepted")
    return Probe(fmt, width, height, animated, info)


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    if not icc:
        return im
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=im.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im  # an unusable profile: keep the pixels as they are
    return converted if converted is not None else im


def _normalise(im: Image.Image) -> Image.Image:
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    if has_alpha:
        return im if im.mode == "RGBA" else im.convert("RGBA")
    return im if im.mode == "RGB" else im.convert("RGB")


def _encode(im: Image.Image) -> Rendition:
    out = io.BytesIO()
    if im.mode == "RGBA":
        im.save(out, "WEBP", quality=DERIVED_QUALITY)
        content_type, extension = "image/webp", "webp"
    else:
        im.save(out, "JPEG", quality=DERIVED_QUALITY, optimize=False)
        content_type, extension = "image/jpeg", "jpg"
    return Rendition(out.getvalue(), content_type, extension, im.width, im.height)


def _decode_upright(data: bytes, longest: int) -> tuple[Image.Image, int, int, bytes | None, int]:
    """The first frame, decoded at no less than ``longest`` px where the format can scale while
    decoding (JPEG), turned upright. Returns it with the upright full size, the ICC profile and
    the EXIF orientation."""
    im = _open(data)
    try:
        width, height = im.size
        orientation = int(im.getexif().get(ORIENTATION, 1) or 1)
        icc = im.info.get("icc_profile")
        if im.format == "JPEG":
            im.draft("RGB", (longest, longest))
        im.load()
    except ImageRefused:
        raise
    except Exception:
        raise ImageRefused("The image could not be decoded; the file may be damaged") from None
    upright = ImageOps.exif_transpose(im)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return upright, width, height, icc, orientation


def _clean_original(data: bytes, fmt: str, orientation: int, info: dict[Any, Any]) -> bytes | None:
    """The upload without its metadata, pixels untouched; None where that cannot be done."""
    try:
        if fmt == "JPEG":
            return metadata.strip_jpeg(data, orientation)
        if fmt == "PNG":
            return metadata.strip_png(data, orientation)
        if fmt == "WEBP" and orientation == 1:
            return metadata.strip_webp(data)
        if fmt == "GIF":
            return metadata.strip_gif(data)
        if fmt == "AVIF" and orientation == 1 and not info.get("exif") and not info.get("xmp"):
            return data
    except metadata.MalformedImage as exc:
        raise ImageRefused(f"The image file is damaged: {exc}") from None
    return None


def _reencode_original(data: bytes, fmt: str) -> bytes:
    with _open(data) as im:
        upright = ImageOps.exif_transpose(im)
        icc = im.info.get("icc_profile")
        out = io.BytesIO()
        options: dict[str, Any] = {"quality": REENCODE_QUALITY}
        if icc:
            options["icc_profile"] = icc
        upright.save(out, fmt, **options)
    return out.getvalue()


def process(data: bytes, *, max_pixels: int, found: Probe | None = None) -> ProcessedImage:
    """The whole pipeline; ``found`` is this data's probe when the caller already made it."""
    found = found or probe(data, max_pixels=max_pixels)
    content_type, extension = FORMATS[found.format]
    base, width, height, icc, orientation = _decode_upright(data, SIZES["large"])
    image = _normalise(base)
    renditions: dict[str, Rendition] = {}
    converted = False
    for name, longest in SIZES.items():
        # Each rendition is made from the one before it: a cascade is far cheaper than
        # resampling the full image three times, and looks the same at these ratios.
        image = image.copy() if renditions else image
        image.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=3.0)
        if not converted:
            image = _to_srgb(image, icc)
            converted = True
        renditions[name] = _encode(image)
    blurhash = blurhash_rs.blurhash_encode(image.convert("RGB"), 4, 3)
    clean = _clean_original(data, found.format, orientation, found.info)
    reencoded = clean is None
    if clean is None:
        clean = _reencode_original(data, found.format)
    return ProcessedImage(
        original=Rendition(clean, content_type, extension, width, height),
        renditions=renditions,
        blurhash=blurhash,
        reencoded=reencoded,
        animated=found.animated,
    )


def profile_image(data: bytes, *, max_pixels: int, size: tuple[int, int]) -> Rendition:
    """An avatar or header: upright, cropped to its shape around the centre, sRGB, no metadata."""
    probe(data, max_pixels=max_pixels)
    base, _, _, icc, _ = _decode_upright(data, max(size))
    image = _to_srgb(_normalise(base), icc)
    fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    return _encode(fitted)
