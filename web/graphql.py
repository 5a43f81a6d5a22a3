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
from strawberry.types.unset import UNSET

from db.auth import authenticate
from db.session import RequestDB
from resolvers.context import Context

log = logging.getLogger("opus.graphql")


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class OpusGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, engine: AsyncEngine, max_page_size: int, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.engine = engine
        self.max_page_size = max_page_size

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:  # type: ignore[override]
        db = RequestDB(self.engine)
        ctx = Context(db=db, viewer=None, max_page_size=self.max_page_size, request=request)
        token = bearer_token(request.headers.get("authorization"))
        if token:
            ctx.token = token
            viewer = await authenticate(db, token)
            if viewer is not None:
                ctx.use_viewer(viewer)
        return ctx

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
