"""MediaAttachment entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.models.media import NO_LABEL, READY, MediaAttachment


def _size(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def attachment(settings: Settings, m: MediaAttachment) -> dict[str, Any]:
    ready = m.state == READY and m.original_key is not None
    renditions = m.renditions if ready else {}
    preview = renditions.get("preview")
    meta: dict[str, Any] = {"focus": {"x": m.focus_x, "y": m.focus_y}}
    if ready and m.width and m.height:
        meta["original"] = _size(m.width, m.height)
    if preview:
        meta["small"] = _size(preview["width"], preview["height"])
    extra = {
        name: {
            "url": settings.media_url(r["key"]),
            "width": r["width"],
            "height": r["height"],
            "content_type": r["content_type"],
        }
        for name, r in renditions.items()
        if name != "preview"
    }
    return {
        "id": str(m.id),
        "type": m.type,
        "url": settings.media_url(m.original_key) if ready and m.original_key else None,
        "preview_url": settings.media_url(preview["key"]) if preview else None,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": m.description or None,
        "blurhash": m.blurhash,
        # Pixie's own: the larger rendition and the thumbnail, and where processing stands.
        "pixie": {
            **extra,
            "state": m.state,
            "error": m.error,
            "content_type": m.content_type,
            "file_size": m.file_size,
            "animated": m.animated,
            # Where the image came from, for every rendition of it: "ai_generated", "sketch" or
            # "none", and the summary of the C2PA manifest its original file carries.
            "provenance": {"label": m.provenance_label or NO_LABEL, "c2pa": m.provenance},
        },
    }
