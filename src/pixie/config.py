"""Settings: every field from a ``PIXIE_*`` environment variable or a ``.env`` file.

One object, built once and passed in; nothing else in Pixie reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class RegistrationMode(StrEnum):
    OPEN = "open"
    INVITE = "invite"
    APPROVAL = "approval"
    CLOSED = "closed"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PIXIE_", env_file=".env", extra="ignore", validate_default=True
    )

    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL every absolute link is built from."
    )
    domain: str = Field(
        "", description="The instance's domain (acct name@domain); host of the base URL when unset."
    )
    data_dir: Path = Field(
        Path("./var"), description="SQLite file, local media, mail outbox, generated keys."
    )
    secret_key: SecretStr | None = Field(
        None, description="Signs sessions and CSRF tokens; made on first run in the data dir when unset."
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL; SQLite in the data dir when unset, postgresql+asyncpg://... in production."
        ),
    )
    redis_url: str = Field(
        "",
        description=(
            "When set, event dispatch, live pub/sub, caches, rate limits and the job queue move to Redis."
        ),
    )
    registrations: RegistrationMode = Field(
        RegistrationMode.INVITE, description="open, invite, approval or closed."
    )
    rate_limits: bool = Field(True, description="false turns every rate limit off.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or networks whose X-Forwarded-For is believed.",
    )
    generator: str = Field("sketch", description="Image generator: sketch, openai or diffusers.")
    openai_base_url: str = Field(
        "", description="OpenAI-compatible API base URL (images and moderation); OpenAI's when unset."
    )
    openai_api_key: SecretStr | None = Field(None, description="API key for the openai provider.")
    openai_image_model: str = Field(
        "gpt-image-2", description="Image model of the openai provider (gpt-image-2, gpt-image-1.5, ...)."
    )
    openai_timeout_seconds: float = Field(
        120.0, gt=0, description="Seconds one OpenAI-compatible request may take."
    )
    diffusers_model: str = Field(
        "stabilityai/sdxl-turbo",
        description="Hugging Face model id or local path of the diffusers provider's pipeline.",
    )
    diffusers_device: str = Field(
        "", description="Torch device for diffusers (cuda, cpu, mps); the GPU when there is one if unset."
    )
    diffusers_steps: int = Field(4, ge=1, description="Inference steps of the diffusers provider.")
    c2pa_certificate_file: Path | None = Field(
        None,
        description=(
            "PEM chain (leaf first) signing C2PA manifests; a development chain in the data dir when unset."
        ),
    )
    c2pa_private_key_file: Path | None = Field(
        None, description="PEM private key of the C2PA signing certificate."
    )
    prompt_blocklist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Words, or /regular expressions/, refused in prompts, separated by '|'.",
    )
    prompt_moderation: str = Field(
        "", description="Moderation hook run on prompts: empty for none, or openai."
    )
    generation_prompt_max_characters: int = Field(
        1000, ge=1, description="Characters allowed in a generation prompt (and in its negative prompt)."
    )
    generation_max_concurrent: int = Field(
        2, ge=1, description="Generations one account may have queued or running at once."
    )
    generation_daily_quota: int = Field(
        200, ge=0, description="Generations one account may start in 24 hours (0: no limit)."
    )
    generation_timeout_seconds: float = Field(
        300.0, gt=0, description="Seconds one attempt at a generation may run before it is retried or failed."
    )
    generation_attempts: int = Field(
        3, ge=1, description="Attempts at a generation when its provider fails in a way that may pass."
    )
    generation_candidate_retention_days: int = Field(
        90, ge=1, description="Days candidates nobody posted are kept (half of every preference pair)."
    )

    instance_title: str = Field("Pixie", description="The instance's name.")
    instance_description: str = Field(
        "A social network for images made with AI, and the conversations around them.",
        description="One paragraph shown to visitors.",
    )
    contact_email: str = Field("", description="Where people reach the instance's operator.")
    instance_rules: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Server rules, separated by '|'."
    )
    reserved_usernames: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "admin",
            "administrator",
            "root",
            "pixie",
            "support",
            "help",
            "moderator",
            "mod",
            "staff",
            "system",
            "api",
            "oauth",
            "about",
            "settings",
            "www",
            "mail",
            "postmaster",
            "webmaster",
            "abuse",
            "security",
            "noreply",
            "no_reply",
            "instance",
            "owner",
        ],
        description="Usernames nobody may register, comma-separated.",
    )

    max_characters: int = Field(500, description="Characters allowed in a post.")
    max_media_attachments: int = Field(4, description="Images allowed in a post.")
    poll_max_options: int = Field(4, ge=2, description="Choices a poll may offer.")
    poll_max_characters_per_option: int = Field(50, ge=1, description="Characters in one poll choice.")
    poll_min_expiration: int = Field(300, ge=1, description="Shortest time a poll may run, in seconds.")
    poll_max_expiration: int = Field(
        2_629_746, ge=1, description="Longest time a poll may run, in seconds (a month)."
    )
    max_body_bytes: int = Field(
        17 * 1024 * 1024,
        description="Largest request body accepted, in bytes (an upload plus its form around it).",
    )
    max_json_body_bytes: int = Field(
        1024 * 1024, description="Largest non-upload request body accepted, in bytes."
    )

    media_max_bytes: int = Field(16 * 1024 * 1024, description="Largest image file accepted, in bytes.")
    media_max_pixels: int = Field(
        33_177_600,
        description="Largest image accepted, in pixels (width x height); refuses decompression bombs.",
    )
    media_async_pixels: int = Field(
        8_388_608,
        description=(
            "Images above this many pixels posted to /api/v2/media are processed in the background (202)."
        ),
    )
    media_description_limit: int = Field(1500, description="Characters allowed in an image description.")
    media_require_description: bool = Field(
        False, description="Every image in a post must have a description (alt text)."
    )
    media_unattached_hours: int = Field(
        24, description="Hours an upload that no post uses is kept before it is removed."
    )
    media_base_url: str = Field(
        "",
        description=(
            "Base URL media are served from (a CDN); BASE_URL/media for local disk, the bucket's URL for S3."
        ),
    )
    s3_bucket: str = Field("", description="When set, media are stored in this S3-compatible bucket.")
    s3_endpoint_url: str = Field("", description="S3 API endpoint; AWS when unset.")
    s3_region: str = Field("us-east-1", description="S3 region.")
    s3_access_key_id: str = Field("", description="S3 access key; the usual AWS credential chain when unset.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_acl: str = Field(
        "public-read",
        description="Canned ACL set on each stored file; empty for buckets that use a bucket policy instead.",
    )

    smtp_host: str = Field(
        "", description="SMTP server; mail goes to a file outbox under the data dir when unset."
    )
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_username: str = Field("", description="SMTP user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS when the server offers it.")
    smtp_tls: bool = Field(False, description="Connect over implicit TLS (port 465).")
    smtp_from: str = Field("", description="From address of Pixie's mail; notifications@DOMAIN when unset.")
    require_email_confirmation: bool | None = Field(
        None,
        description="New accounts must confirm their e-mail before their tokens work; on when SMTP is set.",
    )

    rate_limit_default: str = Field(
        "300/5minutes", description="Requests per account (or per IP when unauthenticated)."
    )
    rate_limit_sign_up: str = Field("5/30minutes", description="Sign-ups per IP.")
    rate_limit_login: str = Field("25/5minutes", description="Password logins and token requests per IP.")

    home_feed_size: int = Field(
        800,
        ge=20,
        description="Posts kept in each home feed with Redis; older pages are read from the database.",
    )
    fan_out_pull_followers: int = Field(
        10_000,
        ge=0,
        description=(
            "With Redis: an account with more followers than this is not fanned out to each follower's "
            "feed; its posts are merged into its followers' home timelines when they read."
        ),
    )
    token_cache_seconds: float = Field(
        60.0,
        description=(
            "How long a process trusts a cached token look-up; "
            "revocation invalidates at once through pub/sub."
        ),
    )
    outbox_retention_days: int = Field(7, description="Days a dispatched domain event is kept.")
    workers_in_process: bool = Field(
        True,
        description=(
            "With Redis, `pixie serve` also runs jobs from the queue; false leaves them to `pixie worker`."
        ),
    )
    job_concurrency: int = Field(
        2, ge=1, description="Jobs of each kind one process runs at once (`pixie worker --concurrency`)."
    )
    job_lease_seconds: float = Field(
        60.0,
        gt=0,
        description=(
            "A running job's claim, renewed while its worker lives; a dead worker's job is retried after it."
        ),
    )
    job_retry_seconds: float = Field(
        5.0, gt=0, description="Delay before a failed job's first retry; it doubles with each attempt."
    )
    job_requeue_seconds: float = Field(
        60.0,
        gt=0,
        description="With Redis, a job still queued this long after it was due has its message sent again.",
    )
    job_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Python modules whose install(runtime) registers more job kinds.",
    )
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_json: bool = Field(False, description="Logs as JSON lines instead of key=value text.")

    @field_validator("trusted_proxies", "reserved_usernames", "job_modules", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"PIXIE_TRUSTED_PROXIES: {entry!r} is not an address or network") from None
        return value

    @field_validator("instance_rules", "prompt_blocklist", mode="before")
    @classmethod
    def _split_bars(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split("|") if item.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("PIXIE_BASE_URL must be an absolute http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.domain:
            self.domain = urlsplit(self.base_url).netloc
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'pixie.sqlite3').as_posix()}"
        if self.require_email_confirmation is None:
            self.require_email_confirmation = bool(self.smtp_host)
        if not self.media_base_url:
            if not self.s3_bucket:
                self.media_base_url = self.url("/media")
            elif self.s3_endpoint_url:
                self.media_base_url = f"{self.s3_endpoint_url.rstrip('/')}/{self.s3_bucket}"
            else:
                self.media_base_url = f"https://{self.s3_bucket}.s3.{self.s3_region}.amazonaws.com"
        self.media_base_url = self.media_base_url.rstrip("/")
        if not self.smtp_from:
            self.smtp_from = f"Pixie <notifications@{self.domain.split(':')[0]}>"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def url(self, path: str) -> str:
        """An absolute URL on this instance, always from PIXIE_BASE_URL."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def media_url(self, key: str) -> str:
        """The public URL of a stored media file; the database keeps only its relative key."""
        return f"{self.media_base_url}/{key}"

    def ensure_secret_key(self) -> str:
        """The secret key, made once and kept in the data dir when none is configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written exclusively so two processes starting together keep one key.
            try:
                with path.open("x", encoding="ascii") as fh:
                    fh.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        key = path.read_text(encoding="ascii").strip()
        self.secret_key = SecretStr(key)
        return key

    def effective_lines(self) -> list[str]:
        """Sorted PIXIE_X=value lines with secrets masked (for `pixie settings`)."""
        lines = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) or name in ("secret_key", "smtp_password"):
                shown = "********" if value else ""
            elif name in ("database_url", "redis_url"):
                shown = _mask_url_password(str(value))
            elif isinstance(value, list):
                shown = ("|" if name in ("instance_rules", "prompt_blocklist") else ",").join(value)
            elif isinstance(value, bool):
                shown = "true" if value else "false"
            elif isinstance(value, StrEnum):
                shown = value.value
            else:
                shown = str(value)
            lines.append(f"PIXIE_{name.upper()}={shown}")
        return sorted(lines)


def _mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":********@", 1)
    return url
