"""Request and response models: they validate input and document every endpoint in /openapi.json.

Responses are rendered by convert/ and sent as JSON directly; these models describe them (a
schemathesis run in `make test` checks that the two agree).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


def as_id(raw: str | None) -> int | None:
    """The id a client sent, or None when it cannot be one of Pixie's 64-bit ids."""
    if raw and raw.isascii() and raw.isdigit() and int(raw) < 2**63:
        return int(raw)
    return None


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- responses ------------------------------------------------------------------------------


class Error(BaseModel):
    error: str
    error_description: str | None = None


class FieldEntity(BaseModel):
    name: str
    value: str
    verified_at: str | None


class Account(BaseModel):
    id: str
    username: str
    acct: str
    url: str
    uri: str
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    locked: bool
    fields: list[FieldEntity]
    emojis: list[dict[str, Any]]
    bot: bool
    group: bool
    discoverable: bool | None
    indexable: bool
    noindex: bool | None = None
    created_at: str
    last_status_at: str | None
    statuses_count: int
    followers_count: int
    following_count: int
    hide_collections: bool | None
    roles: list[dict[str, Any]]


class SourcePixie(BaseModel):
    direct_messages: str


class Source(BaseModel):
    privacy: str
    sensitive: bool
    language: str
    note: str
    fields: list[FieldEntity]
    follow_requests_count: int
    hide_collections: bool | None
    discoverable: bool | None
    indexable: bool
    pixie: SourcePixie


class Role(BaseModel):
    id: str
    name: str
    color: str
    permissions: str
    highlighted: bool


class AiTrainingConsent(BaseModel):
    granted: bool
    version: int | None
    current_version: int
    updated_at: str | None


class CredentialPixie(BaseModel):
    ai_training_consent: AiTrainingConsent
    confirmed: bool
    approved: bool


class CredentialAccount(Account):
    source: Source
    role: Role
    pixie: CredentialPixie


class Application(BaseModel):
    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uri: str
    redirect_uris: list[str]
    vapid_key: str


class CredentialApplication(Application):
    client_id: str
    client_secret: str
    client_secret_expires_at: int


class Token(BaseModel):
    access_token: str
    token_type: str
    scope: str
    created_at: int
    refresh_token: str | None = None
    expires_in: int | None = None


class Preferences(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    posting_default_visibility: str = Field(alias="posting:default:visibility")
    posting_default_sensitive: bool = Field(alias="posting:default:sensitive")
    posting_default_language: str | None = Field(alias="posting:default:language")
    reading_expand_media: str = Field(alias="reading:expand:media")
    reading_expand_spoilers: bool = Field(alias="reading:expand:spoilers")


class Rule(BaseModel):
    id: str
    text: str
    hint: str


class InstanceV2(BaseModel):
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    icon: list[dict[str, Any]]
    languages: list[str]
    configuration: dict[str, Any]
    registrations: dict[str, Any]
    api_versions: dict[str, int]
    contact: dict[str, Any]
    rules: list[Rule]


class InstanceV1(BaseModel):
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, str]
    stats: dict[str, int]
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: Account | None
    rules: list[Rule]


class NodeInfoLinks(BaseModel):
    links: list[dict[str, str]]


class NodeInfo(BaseModel):
    version: str
    software: dict[str, str]
    protocols: list[str]
    services: dict[str, list[str]]
    usage: dict[str, Any]
    openRegistrations: bool  # noqa: N815 (NodeInfo names it so)
    metadata: dict[str, Any]


class WebFinger(BaseModel):
    subject: str
    aliases: list[str]
    links: list[dict[str, Any]]


class AuthorizationServerMetadata(BaseModel):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    code_challenge_methods_supported: list[str]
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    app_registration_endpoint: str
    service_documentation: str


class Health(BaseModel):
    status: str
    database: str
    redis: str | None


class StatusMention(BaseModel):
    id: str
    username: str
    url: str
    acct: str


class StatusTag(BaseModel):
    name: str
    url: str


class PollOption(BaseModel):
    title: str
    votes_count: int | None


class Poll(BaseModel):
    id: str
    expires_at: str | None
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: int | None
    options: list[PollOption]
    emojis: list[dict[str, Any]]
    voted: bool | None = None
    own_votes: list[int] | None = None


class Status(BaseModel):
    id: str
    uri: str
    url: str | None
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[dict[str, Any]]
    application: dict[str, Any] | None
    mentions: list[StatusMention]
    tags: list[StatusTag]
    emojis: list[dict[str, Any]]
    reblogs_count: int
    favourites_count: int
    replies_count: int
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: Status | None
    poll: Poll | None
    card: dict[str, Any] | None
    language: str | None
    text: str | None
    filtered: list[dict[str, Any]]
    favourited: bool
    reblogged: bool
    muted: bool
    bookmarked: bool
    pinned: bool
    pixie: dict[str, Any]


class MediaAttachment(BaseModel):
    id: str
    type: str
    url: str | None
    preview_url: str | None
    remote_url: str | None
    preview_remote_url: str | None
    text_url: str | None
    meta: dict[str, Any] | None
    description: str | None
    blurhash: str | None
    pixie: dict[str, Any]


class Context(BaseModel):
    ancestors: list[Status]
    descendants: list[Status]


class GenerationParams(BaseModel):
    prompt: str
    negative_prompt: str
    style: str | None
    size: str
    seed: int
    n: int
    mode: str
    remix_of: str | None


class Generation(BaseModel):
    """A generation job (Pixie's own entity): what was asked, where it stands, its candidates."""

    id: str
    state: str
    progress: float
    created_at: str
    finished_at: str | None
    params: GenerationParams
    provider: str
    model: str
    candidates: list[MediaAttachment]
    status_id: str | None
    error: str | None


class StylePreset(BaseModel):
    id: str
    name: str
    description: str


class Lineage(BaseModel):
    """A post's remix tree: the posts it remixes (oldest first) and those remixing it."""

    ancestors: list[Status]
    descendants: list[Status]


class StatusSource(BaseModel):
    id: str
    text: str
    spoiler_text: str


class EditPollOption(BaseModel):
    title: str


class EditPoll(BaseModel):
    options: list[EditPollOption]


class StatusEdit(BaseModel):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: EditPoll | None = None
    media_attachments: list[dict[str, Any]]
    emojis: list[dict[str, Any]]


class ScheduledPoll(BaseModel):
    options: list[str]
    expires_in: int
    multiple: bool | None = None
    hide_totals: bool | None = None


class ScheduledParams(BaseModel):
    text: str
    poll: ScheduledPoll | None
    media_ids: list[str] | None
    sensitive: bool | None
    spoiler_text: str | None
    visibility: str
    in_reply_to_id: int | None
    language: str | None
    application_id: int | None = None
    scheduled_at: None
    idempotency: str | None
    with_rate_limit: bool


class ScheduledStatus(BaseModel):
    id: str
    scheduled_at: str
    params: ScheduledParams
    media_attachments: list[dict[str, Any]]


class Relationship(BaseModel):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    muting_expires_at: str | None = None
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str


class Conversation(BaseModel):
    id: str
    unread: bool
    accounts: list[Account]
    last_status: Status | None


class FilterKeywordEntity(BaseModel):
    id: str
    keyword: str
    whole_word: bool


class FilterStatusEntity(BaseModel):
    id: str
    status_id: str


class FilterEntity(BaseModel):
    id: str
    title: str
    context: list[str]
    expires_at: str | None
    filter_action: str
    keywords: list[FilterKeywordEntity]
    statuses: list[FilterStatusEntity]


class V1Filter(BaseModel):
    id: str
    phrase: str
    context: list[str]
    whole_word: bool
    expires_at: str | None
    irreversible: bool


class FilterKeywordAttributes(Loose):
    id: str | None = Field(None, max_length=20)
    keyword: str | None = Field(None, max_length=2000)
    whole_word: bool | None = None
    destroy: bool = Field(False, validation_alias=AliasChoices("_destroy", "destroy"))


class FilterRequest(Loose):
    """``POST /api/v2/filters`` and ``PUT /api/v2/filters/:id``."""

    title: str | None = Field(None, max_length=2000)
    context: list[str] | str | None = None
    filter_action: str | None = Field(None, max_length=20)
    expires_in: int | str | None = None  # seconds; empty for no expiry
    keywords_attributes: list[FilterKeywordAttributes] | dict[str, FilterKeywordAttributes] | None = None


class FilterKeywordRequest(Loose):
    keyword: str | None = Field(None, max_length=2000)
    whole_word: bool | None = None


class FilterStatusRequest(Loose):
    status_id: str | None = Field(None, max_length=20)


class V1FilterRequest(Loose):
    phrase: str | None = Field(None, max_length=2000)
    context: list[str] | str | None = None
    irreversible: bool | None = None
    whole_word: bool | None = None
    expires_in: int | str | None = None


class PolicySummary(BaseModel):
    pending_requests_count: int
    pending_notifications_count: int


class NotificationPolicy(BaseModel):
    for_not_following: str
    for_not_followers: str
    for_new_accounts: str
    for_private_mentions: str
    for_limited_accounts: str
    summary: PolicySummary


class NotificationPolicyRequest(Loose):
    for_not_following: str | None = Field(None, max_length=20)
    for_not_followers: str | None = Field(None, max_length=20)
    for_new_accounts: str | None = Field(None, max_length=20)
    for_private_mentions: str | None = Field(None, max_length=20)
    for_limited_accounts: str | None = Field(None, max_length=20)


class NotificationRequestEntity(BaseModel):
    id: str
    created_at: str
    updated_at: str
    account: Account
    notifications_count: str
    last_status: Status | None = None


class RequestIdsRequest(Loose):
    id: list[str] | str = Field(default_factory=list, description="id[]: the requests")

    def ids(self) -> list[str]:
        return [self.id] if isinstance(self.id, str) else self.id


class Merged(BaseModel):
    merged: bool


class Empty(BaseModel):
    """Mastodon's empty object answer: ``{}``."""


class ListEntity(BaseModel):
    id: str
    title: str
    replies_policy: str
    exclusive: bool


class Notification(BaseModel):
    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: Status | None = None


class NotificationGroup(BaseModel):
    group_key: str
    notifications_count: int
    type: str
    most_recent_notification_id: str
    page_min_id: str | None = None
    page_max_id: str | None = None
    latest_page_notification_at: str | None = None
    sample_account_ids: list[str]
    status_id: str | None = None


class GroupedNotificationsResults(BaseModel):
    accounts: list[Account]
    statuses: list[Status]
    notification_groups: list[NotificationGroup]


class UnreadCount(BaseModel):
    count: int


class Marker(BaseModel):
    last_read_id: str
    version: int
    updated_at: str


class Markers(BaseModel):
    home: Marker | None = None
    notifications: Marker | None = None


class TagHistory(BaseModel):
    day: str
    uses: str
    accounts: str


class Tag(BaseModel):
    id: str
    name: str
    url: str
    history: list[TagHistory]
    following: bool | None = None


class SearchResults(BaseModel):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


# --- requests -------------------------------------------------------------------------------


class CreateAppRequest(Loose):
    client_name: str = Field(min_length=1, max_length=200)
    redirect_uris: str | list[str] = "urn:ietf:wg:oauth:2.0:oob"
    scopes: str | None = None
    website: str | None = None
    grant_types: list[str] | None = None


class RegisterRequest(Loose):
    username: str = ""
    email: str = ""
    password: str = ""
    agreement: bool = False
    locale: str = "en"
    reason: str = ""
    invite_code: str | None = None
    date_of_birth: str | None = None
    pixie: dict[str, bool] = Field(
        default_factory=dict,
        description="ai_training_consent: may public posts and activity improve AI models",
    )


class SourcePixieUpdate(Loose):
    direct_messages: str | None = Field(
        None, description="who may send direct messages: everyone, following, nobody"
    )


class SourceUpdate(Loose):
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    pixie: SourcePixieUpdate | None = None


class FieldUpdate(Loose):
    name: str = ""
    value: str = ""


class PixieProfileUpdate(Loose):
    ai_training_consent: bool | None = None
    # Defaults for posts made from generations.
    hide_prompt: bool | None = None
    allow_remix: bool | None = None


class UpdateCredentialsRequest(Loose):
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    fields_attributes: dict[str, FieldUpdate] | list[FieldUpdate] | None = None
    source: SourceUpdate | None = None
    pixie: PixieProfileUpdate | None = None
    # Image files (multipart); cropped to a square and to 3:1.
    avatar: Any = Field(None, json_schema_extra={"type": "string", "format": "binary"})
    header: Any = Field(None, json_schema_extra={"type": "string", "format": "binary"})


class TokenRequest(Loose):
    grant_type: str = ""
    client_id: str | None = None
    client_secret: str | None = None
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None
    username: str | None = None
    password: str | None = None
    scope: str | None = None
    refresh_token: str | None = None


class RevokeRequest(Loose):
    client_id: str | None = None
    client_secret: str | None = None
    token: str = ""


class LookupQuery(Loose):
    acct: str = Field(min_length=1)


class AccountSearchQuery(Loose):
    q: str | None = Field(None, max_length=1000)
    limit: int = Field(40, ge=0, le=1000)
    offset: int = Field(0, ge=0, le=10_000)
    following: bool = False
    resolve: bool = False  # no other servers to look up: accepted and ignored


class WebFingerQuery(Loose):
    resource: str = Field(min_length=1)


class PollRequest(Loose):
    options: list[str] = Field(default_factory=list, max_length=50)
    expires_in: int | None = Field(None, ge=-(2**31), le=2**31)
    multiple: bool | None = None
    hide_totals: bool | None = None


class StatusPixieRequest(Loose):
    """Pixie's own flags on a post made from a generation (``pixie[hide_prompt]``, ...)."""

    hide_prompt: bool | None = None
    allow_remix: bool | None = None


class CreateGenerationRequest(Loose):
    prompt: str | None = Field(None, max_length=100_000)
    negative_prompt: str | None = Field(None, max_length=100_000)
    style: str | None = Field(None, max_length=64)
    size: str | None = Field(None, max_length=32)
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1)
    n: int = Field(4, ge=-(2**31), le=2**31)
    remix_of: str | None = Field(None, max_length=20)
    mode: str = Field("text", max_length=16)


class CreateStatusRequest(Loose):
    status: str | None = Field(None, max_length=100_000)
    spoiler_text: str | None = Field(None, max_length=10_000)
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = Field(None, max_length=16)
    in_reply_to_id: str | None = Field(None, max_length=20)
    media_ids: list[str] = Field(default_factory=list, max_length=20)
    poll: PollRequest | None = None
    scheduled_at: str | None = Field(None, max_length=64)
    pixie: StatusPixieRequest | None = None


class EditStatusRequest(Loose):
    status: str | None = Field(None, max_length=100_000)
    spoiler_text: str | None = Field(None, max_length=10_000)
    sensitive: bool | None = None
    language: str | None = Field(None, max_length=16)
    media_ids: list[str] = Field(default_factory=list, max_length=20)


class ReblogRequest(Loose):
    visibility: str | None = Field(None, max_length=16)


class VoteRequest(Loose):
    choices: Annotated[list[int], Field(max_length=50)] | int = Field(default_factory=list)

    def indexes(self) -> list[int]:
        return [self.choices] if isinstance(self.choices, int) else self.choices


class RescheduleRequest(Loose):
    scheduled_at: str | None = Field(None, max_length=64)


class MediaUploadRequest(Loose):
    """An image upload (multipart). ``thumbnail`` is accepted and ignored: Pixie makes its own."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)

    file: Any = Field(None, json_schema_extra={"type": "string", "format": "binary"})
    description: str | None = None
    focus: str | None = Field(None, max_length=64)


class MediaUpdateRequest(Loose):
    description: str | None = None
    focus: str | None = Field(None, max_length=64)


class ReportRequest(Loose):
    account_id: str = Field(max_length=20)
    status_ids: list[str] | str = Field(default_factory=list, max_length=100)
    rule_ids: list[str] | str = Field(default_factory=list, max_length=50)
    category: str | None = Field(None, max_length=16)
    comment: str | None = Field(None, max_length=10_000)
    forward: bool | None = None


class ReportEntity(BaseModel):
    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str
    status_ids: list[str] | None
    rule_ids: list[str] | None
    target_account: Account


class FollowOptions(Loose):
    reblogs: bool | None = None
    notify: bool | None = None


class IdsQuery(Loose):
    """``id[]=1&id[]=2`` (or a single ``id=1``)."""

    id: list[str] | str = Field(default_factory=list)

    def ids(self, *, most: int) -> list[int]:
        """The first ``most`` of them that can be ids at all."""
        raw = [self.id] if isinstance(self.id, str) else self.id
        return [i for i in map(as_id, raw[:most]) if i is not None]


class MuteOptions(Loose):
    notifications: bool = True
    duration: int = Field(0, ge=0, le=3_153_600_000, description="Seconds; 0 mutes until unmuted")


class ListRequest(Loose):
    title: str | None = Field(None, max_length=1000)
    replies_policy: str | None = Field(None, max_length=16)
    exclusive: bool | None = None


class ListAccountsRequest(Loose):
    """``account_ids[]=1&account_ids[]=2``."""

    account_ids: list[str] | str = Field(default_factory=list)

    def ids(self, *, most: int) -> list[int]:
        raw = [self.account_ids] if isinstance(self.account_ids, str) else self.account_ids
        return [i for i in map(as_id, raw[:most]) if i is not None]


def _names(raw: list[str] | str | None) -> list[str] | None:
    if raw is None:
        return None
    return [raw] if isinstance(raw, str) else raw


class NotificationFilterQuery(Loose):
    types: list[str] | str | None = Field(None, description="Only these types (types[]=...)")
    exclude_types: list[str] | str | None = Field(None, description="Not these types (exclude_types[]=...)")
    account_id: str | None = Field(None, max_length=20, description="Only from this account")
    include_filtered: bool = Field(False, description="With those the notification policy held back")

    def type_names(self) -> list[str] | None:
        return _names(self.types)

    def excluded(self) -> list[str] | None:
        return _names(self.exclude_types)

    def from_account(self) -> int | None:
        """The account asked for; -1 (nobody) when it cannot be an id."""
        if self.account_id is None:
            return None
        found = as_id(self.account_id)
        return found if found is not None else -1


class UnreadCountQuery(NotificationFilterQuery):
    limit: int = Field(100, ge=1, le=100_000)


class GroupedUnreadCountQuery(UnreadCountQuery):
    grouped_types: list[str] | str | None = None

    def grouped(self) -> list[str] | None:
        return _names(self.grouped_types)


class MarkersQuery(Loose):
    timeline: list[str] | str = Field(
        default_factory=list, description="home, notifications (timeline[]=...)"
    )

    def timelines(self) -> list[str]:
        return [self.timeline] if isinstance(self.timeline, str) else self.timeline


class MarkerPosition(Loose):
    last_read_id: str = Field(max_length=20)


class MarkersRequest(Loose):
    home: MarkerPosition | None = None
    notifications: MarkerPosition | None = None


Status.model_rebuild()


class SearchQuery(Loose):
    q: str | None = Field(None, max_length=1000)
    type: str | None = Field(None, max_length=20)
    limit: int = Field(20, ge=0, le=1000)
    offset: int | None = Field(None, ge=0, le=10_000)
    following: bool = False
    account_id: str | None = Field(None, max_length=20)
    max_id: str | None = Field(None, max_length=20)
    min_id: str | None = Field(None, max_length=20)
    resolve: bool = False  # no other servers to look up: accepted and ignored
    exclude_unreviewed: bool = False  # no trends to review: accepted and ignored
