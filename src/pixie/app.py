"""create_app(settings): routers, middleware, and the lifespan that starts and stops the backends."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles

import pixie
from pixie.api import errors as api_errors
from pixie.api.middleware import ApiCors, BodyLimit, RateLimits, RequestContext, TrailingSlash
from pixie.api.oauth import router as oauth_router
from pixie.api.params import REQUEST_MODELS
from pixie.api.pixie.generations import router as generations_router
from pixie.api.responses import JSON
from pixie.api.streaming import Streaming
from pixie.api.v1.accounts import router as accounts_router
from pixie.api.v1.apps import router as apps_router
from pixie.api.v1.blocks import router as blocks_router
from pixie.api.v1.conversations import router as conversations_router
from pixie.api.v1.follows import router as follows_router
from pixie.api.v1.instance import router as instance_router
from pixie.api.v1.lists import router as lists_router
from pixie.api.v1.media import router as media_router
from pixie.api.v1.notification_requests import router as notification_requests_router
from pixie.api.v1.notifications import router as notifications_router
from pixie.api.v1.polls import router as polls_router
from pixie.api.v1.reports import router as reports_router
from pixie.api.v1.scheduled_statuses import router as scheduled_router
from pixie.api.v1.statuses import router as statuses_router
from pixie.api.v1.tags import router as tags_router
from pixie.api.v1.timelines import router as timelines_router
from pixie.api.v1.trends import router as trends_router
from pixie.api.v2.filters import router as filters_router
from pixie.api.v2.notifications import router as notifications_v2_router
from pixie.api.v2.search import router as search_router
from pixie.api.v2.suggestions import router as suggestions_router
from pixie.api.wellknown import router as wellknown_router
from pixie.config import Settings
from pixie.db.schema import check_at_head
from pixie.infra.runtime import Runtime, build_runtime
from pixie.logs import access_log
from pixie.realtime import publisher
from pixie.realtime.hub import Hub
from pixie.services import setup
from pixie.web import errors as web_errors
from pixie.web.assets import PREFIX as ASSETS_PREFIX
from pixie.web.assets import Assets
from pixie.web.auth import router as auth_pages_router
from pixie.web.create import router as create_router
from pixie.web.explore import router as explore_router
from pixie.web.feeds import router as feeds_router
from pixie.web.inbox import router as inbox_router
from pixie.web.live import router as live_router
from pixie.web.oauth import router as oauth_pages_router
from pixie.web.posts import router as posts_router
from pixie.web.profiles import router as profiles_router
from pixie.web.session_pages import router as session_pages_router
from pixie.web.settings import router as settings_router

STATIC_DIR = Path(__file__).parent / "web" / "static"
ROUTERS = (
    timelines_router,  # first: routes are matched in order, and timelines are read the most
    apps_router,
    follows_router,  # before accounts: /accounts/relationships is not an account id
    blocks_router,
    accounts_router,
    instance_router,
    media_router,
    lists_router,
    notification_requests_router,  # before notifications: /notifications/requests is no notification id
    notifications_router,
    conversations_router,
    filters_router,
    notifications_v2_router,
    reports_router,
    statuses_router,
    polls_router,
    scheduled_router,
    tags_router,
    trends_router,
    suggestions_router,
    generations_router,
    search_router,
    oauth_router,
    oauth_pages_router,
    auth_pages_router,
    wellknown_router,
)


# The web app's pages, after the API's routes (a page path never shadows an endpoint).
WEB_ROUTERS = (
    session_pages_router,
    feeds_router,
    live_router,
    create_router,
    settings_router,
    inbox_router,
    explore_router,
    profiles_router,  # before posts: /@name/followers is no post id
    posts_router,
)


def api_routes() -> list[APIRoute]:
    """Every endpoint Pixie serves (for the scope and OpenAPI checks)."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def create_served_app() -> FastAPI:
    """The app as `pixie serve` runs it: one per process, for the process's whole life."""
    return create_app(long_lived=True)


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    check_schema: bool = True,
    long_lived: bool = False,
) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_secret_key()
    rt = runtime or build_runtime(settings)
    token_cache = setup.install(rt)
    publisher.install(rt)
    hub = Hub(rt, token_cache)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_schema:
            # A process never runs against a schema it was not written for.
            await check_at_head(rt.db)
        await rt.start()
        await hub.start()
        if long_lived:
            # What exists once started (modules, tables, routes: most of the process's objects)
            # stays for its life: leaving it out of the collector's full passes keeps those
            # short (each pass otherwise stalls every open stream while it walks them all).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await hub.stop()
            await rt.stop()
            access_log.flush()

    app = FastAPI(
        title="Pixie",
        version=pixie.__version__,
        description="Pixie's client API: Mastodon's, plus Pixie's own under /api/v1/pixie.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        default_response_class=JSON,
    )
    app.state.runtime = rt
    app.state.token_cache = token_cache
    app.state.hub = hub
    app.state.assets = Assets()
    api_errors.install(app)
    web_errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    for router in WEB_ROUTERS:
        app.include_router(router)
    app.add_route(ASSETS_PREFIX + "{name}", app.state.assets.serve, methods=["GET", "HEAD"])
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Outermost last: streaming -> request id -> trailing slash -> CORS -> body limit -> rate limits
    # -> routes.
    if settings.rate_limits:
        app.add_middleware(RateLimits, runtime=rt, limiter=rt.limiter)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, max_non_upload_bytes=settings.max_json_body_bytes
    )
    app.add_middleware(ApiCors)
    app.add_middleware(TrailingSlash)
    app.add_middleware(RequestContext)
    # Outside everything: a stream connection holds no frame of the layers it never needs.
    app.add_middleware(Streaming, runtime=rt, hub=hub, tokens=token_cache)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in REQUEST_MODELS.items():
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[name] = model_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
