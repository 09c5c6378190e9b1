"""Wires the services' event handlers, jobs, periodic tasks and caches into a runtime."""

from __future__ import annotations

from pixie.infra.runtime import Runtime
from pixie.services import generations, mail, maintenance, media, polls, scheduled, search, timelines
from pixie.services.oauth import TokenCache, install_token_cache


def install(rt: Runtime) -> TokenCache:
    generations.install(rt)
    mail.install(rt)
    maintenance.install(rt)
    media.install(rt)
    polls.install(rt)
    scheduled.install(rt)
    search.install(rt)
    timelines.install(rt)
    return install_token_cache(rt)
