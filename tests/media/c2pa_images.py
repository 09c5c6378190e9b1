"""Images carrying provenance, made in the tests: C2PA manifests signed by an outside party (a
camera maker, another service) straight through c2pa-python, and IPTC digital source types in XMP."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import c2pa
from PIL import Image, PngImagePlugin

from pixie.media.provenance import CHAIN_FILE, KEY_FILE, ROOT_FILE, ensure_development_chain

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC + "trainedAlgorithmicMedia"
COMPOSITE = IPTC + "compositeWithTrainedAlgorithmicMedia"
CAPTURE = IPTC + "digitalCapture"
# What a camera's manifest may say about where a picture was taken.
GPS_ASSERTION = {
    "label": "stds.exif",
    "data": {
        "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
        "exif:GPSLatitude": "48,51.4833N",
        "exif:GPSLongitude": "2,17.6667E",
    },
}
GPS_TEXT = b"48,51.4833N"
_NO_THUMBNAIL = {"builder": {"thumbnail": {"enabled": False}}}


class OutsideSigner:
    """Someone other than this instance who signs manifests: its own root and leaf."""

    def __init__(self, directory: Path, organization: str = "Other Camera Co") -> None:
        ensure_development_chain(directory, organization=organization)
        self.root_pem = (directory / ROOT_FILE).read_text()
        self.signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(
                c2pa.C2paSigningAlg.ES256,
                (directory / CHAIN_FILE).read_bytes(),
                (directory / KEY_FILE).read_bytes(),
                None,
            )
        )

    def sign(
        self,
        data: bytes,
        mime: str,
        *,
        source_type: Any = c2pa.C2paDigitalSourceType.TRAINED_ALGORITHMIC_MEDIA,
        assertions: list[dict[str, Any]] | None = None,
    ) -> bytes:
        manifest = {
            "claim_generator_info": [{"name": "Other tool", "version": "1.0"}],
            "title": "made elsewhere",
            "assertions": assertions or [],
        }
        out = io.BytesIO()
        with c2pa.Builder(manifest, context=c2pa.Context(c2pa.Settings.from_dict(_NO_THUMBNAIL))) as builder:
            builder.set_intent(c2pa.C2paBuilderIntent.CREATE, source_type)
            builder.sign(self.signer, mime, io.BytesIO(data), out)
        return out.getvalue()


def read_store(data: bytes, mime: str, trust_anchors: str | None = None) -> tuple[dict[str, Any], str]:
    """The manifest store and validation state, as c2pa-python reads them (no Pixie code)."""
    context = (
        c2pa.Context(c2pa.Settings.from_dict({"trust": {"trust_anchors": trust_anchors}}))
        if (trust_anchors)
        else None
    )
    with c2pa.Reader(mime, io.BytesIO(data), None, context=context) as reader:
        return json.loads(reader.json()), str(reader.get_validation_state())


def active(store: dict[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = store["manifests"][store["active_manifest"]]
    return manifest


def actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action
        for assertion in manifest["assertions"]
        if assertion["label"].startswith("c2pa.actions")
        for action in assertion["data"]["actions"]
    ]


def xmp(source_type: str, *, form: str = "attribute") -> bytes:
    """An XMP packet stating an IPTC digital source type, as an attribute or as an element with
    an rdf:resource, the two ways editors write it."""
    ns = 'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
    if form == "attribute":
        description = f'<rdf:Description rdf:about="" {ns} Iptc4xmpExt:DigitalSourceType="{source_type}"/>'
    else:
        description = (
            f'<rdf:Description rdf:about="" {ns}>'
            f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{source_type}"/></rdf:Description>'
        )
    return (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + description.encode()
        + b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def picture(size: int = 256) -> Image.Image:
    x = Image.linear_gradient("L").resize((size, size))
    return Image.merge(
        "RGB", (x, x.transpose(Image.Transpose.ROTATE_90), x.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )


def jpeg_with_xmp(packet: bytes, size: int = 256) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "JPEG", quality=90, xmp=packet)
    return out.getvalue()


def png_with_compressed_xmp(packet: bytes, size: int = 256) -> bytes:
    """XMP in a compressed iTXt chunk: not visible in the raw bytes."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode(), zip=True)
    out = io.BytesIO()
    picture(size).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def encoded(fmt: str, size: int = 1024) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, fmt)
    return out.getvalue()
