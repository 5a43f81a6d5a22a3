"""The GraphQL endpoint: context per request, one transaction per request, Server-Timing."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from db.auth import authenticate
from db.session import RequestDB
from resolvers.context import Context
from resolvers.live import Snapshots
from resolvers.storage import Storage
from subscriptions.bus import Bus
from subscriptions.relay import OutboxRelay

log = logging.getLogger("opus.graphql")


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class OpusGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        engine: AsyncEngine,
        max_page_size: int,
        bus: Bus,
        relay: OutboxRelay,
        average_speed_kmh: float,
        storage: Storage,
        max_upload_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            schema,
            keep_alive=True,
            keep_alive_interval=15,
            multipart_uploads_enabled=True,
            **kwargs,
        )
        self.storage = storage
        self.max_upload_bytes = max_upload_bytes
        self.engine = engine
        self.max_page_size = max_page_size
        self.bus = bus
        self.relay = relay
        self.average_speed_kmh = average_speed_kmh
        self.snapshots = Snapshots(engine)

    def _context(self, db: RequestDB, request: Any) -> Context:
        return Context(
            db=db,
            viewer=None,
            max_page_size=self.max_page_size,
            request=request,
            average_speed_kmh=self.average_speed_kmh,
            engine=self.engine,
            bus=self.bus,
            snapshots=self.snapshots,
            storage=self.storage,
            max_upload_bytes=self.max_upload_bytes,
        )

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        if isinstance(request, WebSocket):
            # Authenticated from the connection_init payload, see on_ws_connect.
            return self._context(RequestDB(self.engine, short=True), request)
        db = RequestDB(self.engine)
        ctx = self._context(db, request)
        ctx.after_commit.append(self.relay.wake)
        token = bearer_token(request.headers.get("authorization"))
        if token:
            ctx.token = token
            viewer = await authenticate(db, token)
            if viewer is not None:
                ctx.use_viewer(viewer)
        return ctx

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw) if isinstance(raw, str) else None
        if token is None and isinstance(context.request, WebSocket):
            token = bearer_token(context.request.headers.get("authorization"))
        viewer = await authenticate(context.db, token) if token else None
        if viewer is None:
            raise ConnectionRejectionError({"reason": "A valid bearer token is required."})
        context.token = token
        context.use_viewer(viewer)
        return UNSET

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        ctx = await self.get_context(request)
        try:
            response = await super().run(request, ctx, root_value)
            await ctx.db.commit()
        except Exception:
            log.exception("request %s failed", request_id)
            raise
        finally:
            await ctx.db.close()
        for callback in ctx.after_commit:
            callback()
        if isinstance(response, Response):
            stats = ctx.db.stats
            total_ms = (time.perf_counter() - started) * 1000
            db_ms = stats.seconds * 1000
            response.headers["Server-Timing"] = (
                f'db;dur={db_ms:.2f};desc="{stats.count} statements", '
                f"app;dur={max(total_ms - db_ms, 0):.2f}"
            )
            response.headers["X-Request-Id"] = request_id
        return response
