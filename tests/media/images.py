"""Test images built in memory, carrying the metadata people's cameras and editors put in."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SecretEditor"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
SRGB_ICC: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def picture(width: int = 640, height: int = 480, mode: str = "RGB") -> Image.Image:
    """Smooth gradients with some structure, so codecs behave as on a photo."""
    x = Image.linear_gradient("L").resize((width, height))
    y = Image.radial_gradient("L").resize((width, height))
    z = x.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = Image.merge("RGB", (x, y, z))
    if mode == "RGBA":
        image.putalpha(y)
    return image


def camera_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    return exif.tobytes()


def _insert_jpeg_segments(data: bytes, segments: list[bytes]) -> bytes:
    return data[:2] + b"".join(segments) + data[2:]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(width: int = 640, height: int = 480, *, orientation: int = 1, quality: int = 90) -> bytes:
    """A JPEG with EXIF (GPS, camera), XMP, a comment and an ICC profile."""
    out = io.BytesIO()
    picture(width, height).save(
        out, "JPEG", quality=quality, exif=camera_exif(orientation), icc_profile=SRGB_ICC
    )
    data = out.getvalue()
    return _insert_jpeg_segments(
        data,
        [_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP), _segment(0xFE, b"shot at home")],
    )


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width: int = 320, height: int = 240, mode: str = "RGB") -> bytes:
    """A PNG with text chunks, XMP (iTXt), eXIf and an ICC profile."""
    out = io.BytesIO()
    picture(width, height, mode).save(out, "PNG", icc_profile=SRGB_ICC, exif=camera_exif())
    data = out.getvalue()
    extra = _png_chunk(b"tEXt", b"Author\x00Jane at 12 Home Street") + _png_chunk(
        b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP
    )
    at = data.index(b"IDAT") - 4
    return data[:at] + extra + data[at:]


def webp(width: int = 320, height: int = 240, *, lossless: bool = False) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(
        out, "WEBP", lossless=lossless, quality=80, exif=camera_exif(), xmp=XMP, icc_profile=SRGB_ICC
    )
    return out.getvalue()


def gif(frames: int = 3) -> bytes:
    """An animated GIF with a comment and an XMP application extension."""
    images = [picture(120, 90).rotate(i * 30).convert("P") for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out, "GIF", save_all=True, append_images=images[1:], loop=0, duration=100, comment=b"secret"
    )
    data = out.getvalue()
    xmp_ext = b"\x21\xff\x0bXMP DataXMP" + bytes([len(XMP[:255])]) + XMP[:255] + b"\x00"
    return data[:-1] + xmp_ext + data[-1:]


def avif(*, with_exif: bool) -> bytes:
    out = io.BytesIO()
    options = {"exif": camera_exif()} if with_exif else {}
    picture(320, 240).save(out, "AVIF", quality=80, **options)
    return out.getvalue()


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny file that claims billions of pixels: only its header is real."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width * 3 + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
