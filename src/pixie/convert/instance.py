"""Instance (v1 and v2), Rule and NodeInfo entities."""

from __future__ import annotations

from typing import Any

import pixie
from pixie.config import RegistrationMode, Settings
from pixie.convert.accounts import account
from pixie.media.processing import FORMATS, SIZES
from pixie.services.instance import InstanceStats
from pixie.services.pins import MAX_PINNED_STATUSES

MASTODON_API_VERSION = "4.3.0"
MASTODON_API_VERSIONS = {"mastodon": 2}
SOURCE_URL = "https://github.com/pixie-social/pixie"
CHARACTERS_RESERVED_PER_URL = 23


def version() -> str:
    """What clients parse: Mastodon's API level, then Pixie's own version."""
    return f"{MASTODON_API_VERSION} (compatible; Pixie {pixie.__version__})"


def rules(settings: Settings) -> list[dict[str, Any]]:
    return [{"id": str(i + 1), "text": text, "hint": ""} for i, text in enumerate(settings.instance_rules)]


def _statuses(settings: Settings) -> dict[str, Any]:
    return {
        "max_characters": settings.max_characters,
        "max_media_attachments": settings.max_media_attachments,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def _media(settings: Settings) -> dict[str, Any]:
    return {
        "supported_mime_types": [mime for mime, _ in FORMATS.values()],
        "description_limit": settings.media_description_limit,
        "image_size_limit": settings.media_max_bytes,
        "image_matrix_limit": settings.media_max_pixels,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def _polls(settings: Settings) -> dict[str, Any]:
    return {
        "max_options": settings.poll_max_options,
        "max_characters_per_option": settings.poll_max_characters_per_option,
        "min_expiration": settings.poll_min_expiration,
        "max_expiration": settings.poll_max_expiration,
    }


def media_policy(settings: Settings) -> dict[str, Any]:
    """What happens to an uploaded image, stated so people know before they upload."""
    return {
        "max_bytes": settings.media_max_bytes,
        "max_pixels": settings.media_max_pixels,
        "formats": [mime for mime, _ in FORMATS.values()],
        "type_detected_from": "content",
        "original": {
            "kept": True,
            "reencoded": False,
            "removed": ["exif", "gps", "xmp", "iptc", "comments", "embedded_thumbnails"],
            "kept_metadata": ["icc_profile", "orientation"],
            "reencoded_when": "AVIF files carrying metadata, and rotated WebP files",
        },
        "renditions": {name: {"longest_side": px} for name, px in SIZES.items()},
        "renditions_color_space": "sRGB",
        "require_description": settings.media_require_description,
        "description_limit": settings.media_description_limit,
        "unattached_removed_after_hours": settings.media_unattached_hours,
    }


def _streaming_url(settings: Settings) -> str:
    return settings.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def instance_v2(settings: Settings, stats: InstanceStats) -> dict[str, Any]:
    mode = settings.registrations
    return {
        "domain": settings.domain,
        "title": settings.instance_title,
        "version": version(),
        "source_url": SOURCE_URL,
        "description": settings.instance_description,
        "usage": {"users": {"active_month": stats.active_month}},
        "thumbnail": {"url": settings.url("/static/thumbnail.png")},
        "icon": [{"src": settings.url("/static/avatar.png"), "size": "120x120"}],
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": _streaming_url(settings), "status": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": MAX_PINNED_STATUSES},
            "statuses": _statuses(settings),
            "media_attachments": _media(settings),
            "polls": _polls(settings),
            "translation": {"enabled": False},
        },
        "registrations": {
            "enabled": mode in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
            "approval_required": mode == RegistrationMode.APPROVAL,
            "message": "Sign-ups need an invite code." if mode == RegistrationMode.INVITE else None,
            "url": None,
        },
        "api_versions": MASTODON_API_VERSIONS,
        "contact": {
            "email": settings.contact_email,
            "account": account(settings, stats.contact) if stats.contact else None,
        },
        "rules": rules(settings),
        "pixie": {
            "version": pixie.__version__,
            "registrations": mode.value,
            "generator": settings.generator,
            "media_policy": media_policy(settings),
        },
    }


def instance_v1(settings: Settings, stats: InstanceStats) -> dict[str, Any]:
    mode = settings.registrations
    return {
        "uri": settings.domain,
        "title": settings.instance_title,
        "short_description": settings.instance_description,
        "description": settings.instance_description,
        "email": settings.contact_email,
        "version": version(),
        "urls": {"streaming_api": _streaming_url(settings)},
        "stats": {"user_count": stats.user_count, "status_count": stats.status_count, "domain_count": 0},
        "thumbnail": settings.url("/static/thumbnail.png"),
        "languages": ["en"],
        "registrations": mode in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
        "approval_required": mode == RegistrationMode.APPROVAL,
        "invites_enabled": mode == RegistrationMode.INVITE,
        "configuration": {
            "accounts": {"max_featured_tags": 10},
            "statuses": _statuses(settings),
            "media_attachments": _media(settings),
            "polls": _polls(settings),
        },
        "contact_account": account(settings, stats.contact) if stats.contact else None,
        "rules": rules(settings),
        "api_versions": MASTODON_API_VERSIONS,
    }


NODEINFO_VERSIONS = ("2.1", "2.0")


def nodeinfo(settings: Settings, stats: InstanceStats, version: str = "2.1") -> dict[str, Any]:
    """NodeInfo in one of its schema versions (2.0 knows only the software's name and version)."""
    software = {"name": "pixie", "version": pixie.__version__}
    if version != "2.0":
        software |= {"repository": SOURCE_URL, "homepage": SOURCE_URL}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {
                "total": stats.user_count,
                "activeMonth": stats.active_month,
                "activeHalfyear": stats.active_halfyear,
            },
            "localPosts": stats.status_count,
        },
        "openRegistrations": settings.registrations in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
        "metadata": {"nodeName": settings.instance_title},
    }
