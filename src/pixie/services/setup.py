"""Wires the services' event handlers, jobs, periodic tasks and caches into a runtime."""

from __future__ import annotations

import importlib

from pixie.infra.runtime import Runtime
from pixie.services import (
    account_deletion,
    generations,
    mail,
    maintenance,
    media,
    polls,
    render_invalidation,
    scheduled,
    search,
    timelines,
)
from pixie.services.oauth import TokenCache, install_token_cache


def install(rt: Runtime) -> TokenCache:
    account_deletion.install(rt)
    generations.install(rt)
    mail.install(rt)
    maintenance.install(rt)
    media.install(rt)
    polls.install(rt)
    render_invalidation.install(rt)
    scheduled.install(rt)
    search.install(rt)
    timelines.install(rt)
    for name in rt.settings.job_modules:
        # An operator's own job kinds (and the tests'): each module registers its kinds itself.
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ValueError(f"PIXIE_JOB_MODULES names {name!r}, which cannot be imported: {exc}") from exc
        if not callable(getattr(module, "install", None)):
            raise ValueError(f"PIXIE_JOB_MODULES names {name!r}, which has no install(runtime) function")
        module.install(rt)
    return install_token_cache(rt)
