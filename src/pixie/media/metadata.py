"""Removing metadata from an image file without touching its pixels.

Camera and editor metadata (EXIF with GPS, XMP, IPTC, comments, embedded thumbnails) lives in
containers around the compressed image data, so it can be dropped by rewriting the container and
copying the image data byte for byte: the picture keeps exactly the quality it was uploaded with.
What a viewer needs to show the picture right is kept: the ICC colour profile, JFIF/Adobe colour
markers, animation control, and (for JPEG and PNG) the orientation, as a minimal EXIF block that
holds nothing else.

Each function raises ``MalformedImage`` when the container is not what it claims to be.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image


class MalformedImage(ValueError):
    pass


def orientation_exif(orientation: int) -> bytes:
    """A TIFF-structured EXIF block holding only the orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()  # starts with b"Exif\0\0"


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise MalformedImage(what)


def strip_jpeg(data: bytes, orientation: int = 1) -> bytes:
    _check(data[:2] == b"\xff\xd8", "not a JPEG file")
    kept: list[bytes] = []
    i = 2
    n = len(data)
    while True:
        _check(i + 1 < n and data[i] == 0xFF, "JPEG segments are corrupt")
        while i + 1 < n and data[i + 1] == 0xFF:  # fill bytes before a marker
            i += 1
        marker = data[i + 1]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            kept.append(data[i : i + 2])
            i += 2
            continue
        _check(marker != 0xD9, "JPEG file ends before its image data")
        _check(i + 4 <= n, "JPEG segment is cut short")
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        end = i + 2 + length
        _check(length >= 2 and end <= n, "JPEG segment is cut short")
        if marker == 0xDA:
            # Start of scan: everything up to the end-of-image marker is image data (0xFF bytes
            # inside it are stuffed, so the first FFD9 is the real end). Anything after it, such as
            # the extra pictures phones append (MPF) with their own EXIF, is dropped.
            eoi = data.find(b"\xff\xd9", end)
            _check(eoi != -1, "JPEG image data has no end")
            kept.append(data[i : eoi + 2])
            break
        payload = data[i + 4 : end]
        if 0xE0 <= marker <= 0xEF:
            keep = (
                (marker == 0xE0 and payload.startswith(b"JFIF\x00"))
                or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"))
                or (marker == 0xEE and payload.startswith(b"Adobe"))  # says how colours are coded
            )
        else:
            keep = marker != 0xFE  # comments go; tables and frame headers stay
        if keep:
            kept.append(data[i:end])
        i = end
    if orientation != 1:
        block = orientation_exif(orientation)
        segment = b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block
        at = 1 if kept and kept[0].startswith(b"\xff\xe0") else 0  # JFIF must stay first
        kept.insert(at, segment)
    return b"\xff\xd8" + b"".join(kept)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Text chunks carry XMP and free-form metadata; eXIf carries EXIF; tIME the editing time.
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def strip_png(data: bytes, orientation: int = 1) -> bytes:
    _check(data.startswith(_PNG_SIGNATURE), "not a PNG file")
    out = [_PNG_SIGNATURE]
    i = len(_PNG_SIGNATURE)
    placed_orientation = orientation == 1
    while True:
        _check(i + 8 <= len(data), "PNG chunks are cut short")
        length = struct.unpack(">I", data[i : i + 4])[0]
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        _check(end <= len(data), "PNG chunk is cut short")
        if not placed_orientation and kind in (b"IDAT", b"acTL"):
            out.append(_png_chunk(b"eXIf", orientation_exif(orientation)[6:]))
            placed_orientation = True
        if kind not in _PNG_DROP:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    return b"".join(out)


def strip_webp(data: bytes) -> bytes:
    _check(len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP", "not a WebP file")
    chunks: list[bytes] = []
    i = 12
    while i + 8 <= len(data):
        kind = data[i : i + 4]
        size = struct.unpack("<I", data[i + 4 : i + 8])[0]
        end = i + 8 + size + (size & 1)  # chunks are padded to an even length
        _check(i + 8 + size <= len(data), "WebP chunk is cut short")
        chunk = data[i:end]
        if kind == b"VP8X":
            # Its flags announce EXIF (0x08) and XMP (0x04); they are gone now.
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C & 0xFF]) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        i = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _skip_sub_blocks(data: bytes, i: int) -> int:
    while True:
        _check(i < len(data), "GIF data is cut short")
        size = data[i]
        i += 1 + size
        if size == 0:
            return i


def strip_gif(data: bytes) -> bytes:
    _check(data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 13, "not a GIF file")
    packed = data[10]
    i = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    out = [data[:i]]
    while True:
        _check(i < len(data), "GIF data is cut short")
        block = data[i]
        if block == 0x3B:  # trailer
            out.append(b"\x3b")
            break
        if block == 0x2C:  # an image: descriptor, optional colour table, LZW data
            _check(i + 10 <= len(data), "GIF image is cut short")
            flags = data[i + 9]
            start = i
            i += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
            i = _skip_sub_blocks(data, i + 1)
            out.append(data[start:i])
            continue
        _check(block == 0x21 and i + 2 <= len(data), "GIF block is not recognised")
        label = data[i + 1]
        start = i
        i = _skip_sub_blocks(data, i + 2)
        if label == 0xFE:
            continue  # comment
        if label == 0xFF:
            app = data[start + 3 : start + 14]
            if app not in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):  # XMP and other application data
                continue
        out.append(data[start:i])
    return b"".join(out)
