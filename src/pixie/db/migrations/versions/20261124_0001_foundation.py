"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:46:42.168848
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("username", sa.String(length=30), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("bot", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("indexable", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("avatar_key", sa.String(length=255), nullable=True),
        sa.Column("header_key", sa.String(length=255), nullable=True),
        sa.Column("suspended_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("statuses_count", sa.BigInteger(), nullable=False),
        sa.Column("followers_count", sa.BigInteger(), nullable=False),
        sa.Column("following_count", sa.BigInteger(), nullable=False),
        sa.Column("last_status_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index("uq_accounts_username_lower", "accounts", [sa.text("lower(username)")], unique=True)
    id_nodes = op.create_table(
        "id_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_nodes")),
    )
    op.bulk_insert(id_nodes, [{"id": node} for node in range(256)])
    op.create_table(
        "jobs",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unique_key", sa.String(length=200), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("unique_key", name=op.f("uq_jobs_unique_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_state_run_after", ["state", "run_after"], unique=False)

    op.create_table(
        "locks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_locks")),
    )
    op.create_table(
        "outbox_events",
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dispatched_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_events_pending", ["dispatched_at", "id"], unique=False)

    op.create_table(
        "ai_training_consents",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_ai_training_consents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_training_consents")),
    )
    with op.batch_alter_table("ai_training_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_training_consents_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["accounts.id"],
            name=op.f("fk_invites_created_by_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_invites_code")),
    )
    op.create_table(
        "oauth_applications",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("grant_types", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["accounts.id"],
            name=op.f("fk_oauth_applications_owner_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_applications")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_applications_client_id")),
    )
    op.create_table(
        "oauth_access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("authorization_code_id", sa.BigInteger(), nullable=True),
        sa.Column("family_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_oauth_access_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["oauth_applications.id"],
            name=op.f("fk_oauth_access_tokens_application_id_oauth_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_access_tokens")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oauth_access_tokens_refresh_token_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oauth_access_tokens_token_hash")),
    )
    with op.batch_alter_table("oauth_access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_access_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oauth_access_tokens_authorization_code_id"),
            ["authorization_code_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_oauth_access_tokens_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oauth_access_tokens_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "oauth_authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=16), nullable=True),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_oauth_authorization_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["oauth_applications.id"],
            name=op.f("fk_oauth_authorization_codes_application_id_oauth_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_authorization_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_authorization_codes_code_hash")),
    )
    op.create_table(
        "users",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("sign_up_reason", sa.Text(), nullable=False),
        sa.Column("invite_id", sa.BigInteger(), nullable=True),
        sa.Column("default_visibility", sa.String(length=16), nullable=False),
        sa.Column("default_sensitive", sa.Boolean(), nullable=False),
        sa.Column("default_language", sa.String(length=16), nullable=True),
        sa.Column("ai_training_consent", sa.Boolean(), nullable=False),
        sa.Column("ai_training_consent_version", sa.Integer(), nullable=True),
        sa.Column("ai_training_consent_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_users_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"], ["invites.id"], name=op.f("fk_users_invite_id_invites"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("account_id", name=op.f("uq_users_account_id")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "email_tokens",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_tokens_token_hash")),
    )
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_tokens_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_tokens_user_id"))

    op.drop_table("email_tokens")
    op.drop_table("users")
    op.drop_table("oauth_authorization_codes")
    with op.batch_alter_table("oauth_access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_access_tokens_application_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_access_tokens_family_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_access_tokens_authorization_code_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_access_tokens_account_id"))

    op.drop_table("oauth_access_tokens")
    op.drop_table("oauth_applications")
    op.drop_table("invites")
    with op.batch_alter_table("ai_training_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_training_consents_account_id"))

    op.drop_table("ai_training_consents")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_pending")

    op.drop_table("outbox_events")
    op.drop_table("locks")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_run_after")

    op.drop_table("jobs")
    op.drop_table("id_nodes")
    op.drop_index("uq_accounts_username_lower", table_name="accounts")
    op.drop_table("accounts")
