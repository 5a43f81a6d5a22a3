"""The Starlette application: GraphQL at /graphql, health checks, the pages."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from db.engine import create_engine
from db.installation import installation_id
from db.session import install_statement_counter
from resolvers.storage import LocalStorage
from schema.main import create_schema
from subscriptions.bus import create_bus
from subscriptions.relay import OutboxRelay
from web import fanout as shared_subscriptions
from web import logs
from web.documents import document_endpoint
from web.graphql import OpusGraphQL
from web.settings import Settings, load_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings) -> Starlette:
    logs.install(settings.log_level)
    if settings.database_url is None:
        raise RuntimeError("create_app needs a database URL; `opus serve` starts the embedded one")
    engine = create_engine(settings.database_url, pool_size=settings.pool_size)
    install_statement_counter(engine)
    limits = settings.limits
    schema = create_schema(
        max_depth=limits.max_depth,
        max_aliases=limits.max_aliases,
        max_tokens=limits.max_tokens,
        introspection=settings.introspection,
    )
    storage = LocalStorage(settings.data_dir / "files")
    bus = create_bus(settings.redis_url)
    relay = OutboxRelay(engine, bus, interval=settings.relay_interval_seconds)
    graphql = OpusGraphQL(
        schema,
        engine=engine,
        max_page_size=limits.max_page_size,
        bus=bus,
        relay=relay,
        average_speed_kmh=settings.average_speed_kmh,
        storage=storage,
        max_upload_bytes=limits.max_upload_bytes,
        compiled=settings.compiled_queries,
        auth_cache_seconds=settings.auth_cache_seconds,
        socket_recheck_seconds=settings.socket_recheck_seconds,
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    shared_subscriptions.install(graphql)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        bus.use_namespace(f"opus:{await installation_id(engine)}")
        await bus.connect()
        await graphql.viewers.start(bus)
        await relay.start()
        settle_garbage_collector()
        try:
            yield
        finally:
            await relay.stop()
            await graphql.viewers.stop()
            await bus.disconnect()
            await engine.dispose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
        return JSONResponse({"status": "ok"})

    async def index(request: Request) -> Response:
        # The dispatch board: one page; its modules and styles come from /static.
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/documents/{document_id}", document_endpoint(engine, storage)),
            WebSocketRoute("/graphql", graphql),
            Mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.bus = bus
    app.state.relay = relay
    app.state.settings = settings
    return app


def settle_garbage_collector() -> None:
    """Keep the collector off what lives as long as the process.

    The schema, the modules and the pools are tens of thousands of objects that every full
    collection walked again, and a fan-out to a thousand sockets allocates enough to trigger
    collections mid-event: frozen, and with a larger first generation, the collector cost a
    quarter less CPU there (bench/fanout.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def app_from_env() -> Starlette:
    """Factory for uvicorn (`web.app:app_from_env`), reading settings from the environment."""
    return create_app(load_settings())
