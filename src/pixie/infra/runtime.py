"""The running instance's backends, chosen by settings at start-up (never by `if` in business code)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import Settings
from pixie.db.engine import Database
from pixie.generation.providers import Generator, build_generator
from pixie.generation.safety import PromptChecker
from pixie.infra.feeds import HomeFeeds, NoFeeds, RedisFeeds
from pixie.infra.id_nodes import IdNodeLease
from pixie.infra.jobs import JobRunner, Scheduler
from pixie.infra.mail import FileOutbox, Mailer, SmtpMailer
from pixie.infra.outbox import Dispatcher, Handlers, InProcessDispatcher, RedisStreamsDispatcher
from pixie.infra.pubsub import InProcessPubSub, PubSub, RedisPubSub
from pixie.infra.ratelimit import RateLimiter
from pixie.infra.search import SearchIndex, search_index_for
from pixie.infra.storage import MediaStorage, build_storage

log = logging.getLogger("pixie.runtime")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pubsub: PubSub
    handlers: Handlers
    dispatcher: Dispatcher
    jobs: JobRunner
    scheduler: Scheduler
    mailer: Mailer
    limiter: RateLimiter
    storage: MediaStorage
    feeds: HomeFeeds
    redis: aioredis.Redis | None = None
    background: bool = True  # run the dispatcher, job runner and scheduler in this process
    id_node: IdNodeLease = field(init=False)
    search: SearchIndex = field(init=False)  # FTS5 on SQLite, tsvector on PostgreSQL
    generator: Generator = field(init=False)  # PIXIE_GENERATOR's provider
    prompts: PromptChecker = field(init=False)  # the safety filter run before any provider
    started: bool = False

    def __post_init__(self) -> None:
        self.id_node = IdNodeLease(self.db)
        self.search = search_index_for(self.db)
        self.generator = build_generator(self.settings)
        self.prompts = PromptChecker.from_settings(self.settings)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction; the events it recorded are dispatched once it has committed."""
        async with self.db.write() as session:
            yield session
            has_events = bool(session.info.pop("pixie_events", False))
        if has_events:
            self.dispatcher.kick()

    async def start(self) -> None:
        await self.id_node.acquire()
        if self.background:
            self.id_node.keep()
        await self.pubsub.start()
        if self.background:
            await self.dispatcher.start()
            await self.jobs.start()
            await self.scheduler.start()
        self.started = True

    async def stop(self) -> None:
        if self.background and self.started:
            await self.scheduler.stop()
            await self.jobs.stop()
            await self.dispatcher.stop()
        await self.pubsub.stop()
        await self.generator.aclose()
        await self.prompts.aclose()
        await self.id_node.release()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()
        self.started = False


def build_runtime(settings: Settings, *, background: bool = True, **db_options: Any) -> Runtime:
    db = Database(settings.database_url, **db_options)
    handlers = Handlers()
    client: aioredis.Redis | None = None
    pubsub: PubSub
    dispatcher: Dispatcher
    if settings.redis_url:
        client = aioredis.Redis.from_url(settings.redis_url)
        pubsub = RedisPubSub(client)
        dispatcher = RedisStreamsDispatcher(db, handlers, client)
        limiter = RateLimiter.redis(settings.redis_url)
    else:
        pubsub = InProcessPubSub()
        dispatcher = InProcessDispatcher(db, handlers)
        limiter = RateLimiter.memory()
    mailer: Mailer
    if settings.smtp_host:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
            start_tls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
        )
    else:
        mailer = FileOutbox(settings.mail_dir)
    return Runtime(
        settings=settings,
        db=db,
        pubsub=pubsub,
        handlers=handlers,
        dispatcher=dispatcher,
        jobs=JobRunner(db),
        scheduler=Scheduler(db),
        mailer=mailer,
        limiter=limiter,
        storage=build_storage(settings),
        feeds=RedisFeeds(client, size=settings.home_feed_size) if client is not None else NoFeeds(),
        redis=client,
        background=background,
    )
