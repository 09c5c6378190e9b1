"""Where media files live: local disk on embedded defaults, an S3-compatible bucket in production.

Keys are relative (``<32 hex>/original.jpg``); the database stores only keys, and URLs are made
from ``Settings.media_url`` when rendering, so moving files behind a CDN is a setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Any, Protocol

from pixie.config import Settings

# One random directory per upload (128 bits, so a URL cannot be guessed), then a file name.
_KEY = re.compile(r"^[0-9a-f]{32}/[a-z0-9_]+\.[a-z0-9]+$")
# Stored files never change under their key: caches may keep them for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"


def new_prefix() -> str:
    return secrets.token_hex(16)


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


class MediaStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, keys: list[str]) -> None: ...


class LocalStorage:
    """Files under the data dir, served by Pixie itself at /media/<key>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path | None:
        """The file for a key, or None for a key that is malformed or not stored."""
        if not valid_key(key):
            return None
        path = self.root / key
        return path if path.is_file() else None

    def _write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a reader never sees half a file.
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        await asyncio.to_thread(self._write, key, data)

    async def get(self, key: str) -> bytes | None:
        path = self.path(key)
        return None if path is None else await asyncio.to_thread(path.read_bytes)

    def _delete(self, keys: list[str]) -> None:
        for key in keys:
            if not valid_key(key):
                continue
            path = self.root / key
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # the upload's directory, once its last file is gone
                path.parent.rmdir()

    async def delete(self, keys: list[str]) -> None:
        await asyncio.to_thread(self._delete, keys)


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph, R2...). boto3 clients are thread-safe, so calls
    run in worker threads rather than blocking the event loop."""

    def __init__(self, settings: Settings) -> None:
        import boto3  # only production deployments pay for importing it
        from botocore.config import Config

        options: dict[str, Any] = {
            "region_name": settings.s3_region,
            "config": Config(retries={"max_attempts": 5, "mode": "standard"}),
        }
        if settings.s3_endpoint_url:
            options["endpoint_url"] = settings.s3_endpoint_url
        if settings.s3_access_key_id:
            options["aws_access_key_id"] = settings.s3_access_key_id
        if settings.s3_secret_access_key is not None:
            options["aws_secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
        self.bucket = settings.s3_bucket
        self._extra = {"ACL": settings.s3_acl} if settings.s3_acl else {}
        self._client = boto3.client("s3", **options)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
            **self._extra,
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
            except self._client.exceptions.NoSuchKey:
                return None
            body: bytes = response["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # the most one request may name
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            await asyncio.to_thread(
                self._client.delete_objects, Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )


def build_storage(settings: Settings) -> MediaStorage:
    if settings.s3_bucket:
        return S3Storage(settings)
    return LocalStorage(settings.media_dir)
