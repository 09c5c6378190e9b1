"""The `pixie` command."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from pixie.config import Settings
from pixie.errors import PixieError

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:
        raise click.ClickException(f"the settings are not valid: {exc}") from None


def _run(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Runs one service call against the database, outside any server process."""
    from pixie.db.schema import SchemaNotAtHead, check_at_head
    from pixie.infra.runtime import build_runtime

    async def main() -> T:
        rt = build_runtime(settings, background=False)
        try:
            await check_at_head(rt.db)
            await rt.id_node.acquire()
            return await action(rt)
        finally:
            await rt.stop()

    try:
        return asyncio.run(main())
    except SchemaNotAtHead as exc:
        raise click.ClickException(str(exc)) from None
    except PixieError as exc:
        details = getattr(exc, "details", None)
        if details:
            lines = [item["description"] for items in details.values() for item in items]
            raise click.ClickException("; ".join(lines)) from None
        raise click.ClickException(exc.message) from None


@click.group()
@click.version_option(package_name="pixie")
def main() -> None:
    """Pixie: a social network built around images, speaking the Mastodon client API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--migrate/--no-migrate", default=False, help="Bring the schema to head before serving.")
def serve(host: str, port: int, workers: int, migrate: bool) -> None:
    """Serve the API and web app."""
    import uvicorn

    from pixie.api.streaming import SERVER_OPTIONS
    from pixie.logs import configure_logging

    settings = _settings()
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException(
            "SQLite allows one writer at a time: run one worker, or set PIXIE_DATABASE_URL to PostgreSQL"
        )
    configure_logging(settings.log_level, json=settings.log_json)
    settings.ensure_secret_key()
    if migrate:
        _migrate(settings, quiet=True)
    uvicorn.run(
        "pixie.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        log_config=None,
        proxy_headers=False,  # X-Forwarded-For is read only behind PIXIE_TRUSTED_PROXIES
        server_header=False,
        **SERVER_OPTIONS,
    )


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=None,
    help="Jobs of each kind run at once [default: PIXIE_JOB_CONCURRENCY].",
)
@click.option(
    "--kinds", default="", help="Comma-separated job kinds to take from the queue [default: every kind]."
)
def worker(concurrency: int | None, kinds: str) -> None:
    """Run jobs from the Redis queue (PIXIE_REDIS_URL) until stopped (SIGTERM or Ctrl-C).

    Jobs still running when it stops go back to the queue at once.
    """
    import signal

    from pixie.db.schema import SchemaNotAtHead, check_at_head
    from pixie.infra.runtime import WorkerOptions, build_worker_runtime
    from pixie.logs import configure_logging
    from pixie.realtime import publisher
    from pixie.services import setup

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException(
            "a worker takes its jobs from the Redis queue: set PIXIE_REDIS_URL"
            " (without Redis, `pixie serve` runs the jobs itself)"
        )
    configure_logging(settings.log_level, json=settings.log_json)
    settings.ensure_secret_key()
    options = WorkerOptions(
        kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()), concurrency=concurrency
    )

    async def main() -> None:
        rt = build_worker_runtime(settings, options)
        try:
            setup.install(rt)
            publisher.install(rt)  # every process that dispatches events runs every handler group
            unknown = sorted(set(options.kinds) - set(rt.jobs.kinds))
            if unknown:
                known = ", ".join(sorted(rt.jobs.kinds))
                raise click.BadParameter(
                    f"no job kind named {', '.join(unknown)}; the kinds are: {known}", param_hint="--kinds"
                )
            await check_at_head(rt.db)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await rt.start()
            taken = options.kinds or tuple(rt.jobs.kinds)
            click.echo(f"worker {rt.jobs.name} running {', '.join(taken)}", err=True)
            await stop.wait()
        finally:
            await rt.stop()

    try:
        asyncio.run(main())
    except (SchemaNotAtHead, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def _migrate(settings: Settings, *, quiet: bool = False) -> None:
    from pixie.db.engine import Database
    from pixie.db.migrate import upgrade

    async def main() -> tuple[str | None, str]:
        db = Database(settings.database_url)
        try:
            return await upgrade(db)
        finally:
            await db.dispose()

    before, after = asyncio.run(main())
    if not quiet or before != after:
        click.echo(
            f"schema at {after}" + (f" (was {before or 'empty'})" if before != after else ", nothing to do"),
            err=quiet,
        )


@main.command()
def migrate() -> None:
    """Bring the database schema to the newest version."""
    _migrate(_settings())


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            raise click.ClickException("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


@main.command("create-user")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
def create_user(username: str, email: str, admin: bool) -> None:
    """Create a confirmed account; the password is asked for (or read from stdin). Prints its id."""
    from pixie.services import accounts

    settings = _settings()
    password = _read_password()
    account = _run(
        settings,
        lambda rt: accounts.create_user(rt, username=username, email=email, password=password, admin=admin),
    )
    click.echo(str(account.id))


@main.command()
@click.option(
    "--max-uses",
    type=click.IntRange(min=1),
    default=None,
    help="How many sign-ups it allows (unlimited when unset).",
)
@click.option(
    "--expires-in", default=None, help="How long it stays valid, e.g. 30m, 12h, 7d, 2w (forever when unset)."
)
def invite(max_uses: int | None, expires_in: str | None) -> None:
    """Make an invite code; prints the code alone."""
    from pixie.services import invites

    settings = _settings()
    try:
        lifetime = invites.parse_duration(expires_in) if expires_in else None
    except PixieError as exc:
        raise click.BadParameter(exc.message, param_hint="--expires-in") from None
    made = _run(settings, lambda rt: invites.create_invite(rt, max_uses=max_uses, expires_in=lifetime))
    click.echo(made.code)


@main.command("revoke-invite")
@click.argument("code")
def revoke_invite(code: str) -> None:
    """Make an invite code unusable (it leaked, or it was meant for someone else)."""
    from pixie.services import invites

    _run(_settings(), lambda rt: invites.revoke_invite(rt, code))
    click.echo("revoked", err=True)


@main.command()
@click.argument("username")
def approve(username: str) -> None:
    """Approve an account that signed up in approval mode."""
    from pixie.services import accounts

    _run(_settings(), lambda rt: accounts.approve(rt, username))
    click.echo(f"approved @{username}", err=True)


@main.command()
@click.argument("username")
def suspend(username: str) -> None:
    """Suspend an account: its tokens stop working and its profile disappears."""
    from pixie.services import accounts

    _run(_settings(), lambda rt: accounts.set_suspended(rt, username, True))
    click.echo(f"suspended @{username}", err=True)


@main.command()
@click.argument("username")
def unsuspend(username: str) -> None:
    """Lift a suspension."""
    from pixie.services import accounts

    _run(_settings(), lambda rt: accounts.set_suspended(rt, username, False))
    click.echo(f"unsuspended @{username}", err=True)


@main.command("settings")
def show_settings() -> None:
    """Print the effective settings as PIXIE_X=value lines (secrets masked)."""
    settings = _settings()
    for line in settings.effective_lines():
        click.echo(line)
