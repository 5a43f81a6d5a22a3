"""The GraphQL endpoint: context per request, one transaction per request, Server-Timing.

The HTTP side follows the GraphQL over HTTP spec (audited by tests/http_audit): the response
media type is negotiated from Accept, and clients that accept
application/graphql-response+json get status codes that tell request errors apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from functools import lru_cache
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type as parse_content_type_uncached
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from db.auth import Viewer, access, authenticate, current_viewers, token_digest
from db.session import RequestDB, system_session
from resolvers.context import Context
from resolvers.live import Snapshots
from resolvers.storage import Storage
from subscriptions.bus import Bus
from subscriptions.relay import OutboxRelay
from web import compiled as compiled_documents
from web.auth import ViewerCache
from web.compiled import CompiledDocuments
from web.logs import REQUEST_ID
from web.prepared import PreparedDocuments

log = logging.getLogger("opus.graphql")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


@lru_cache(maxsize=256)
def parse_content_type(header: str) -> tuple[str, dict[str, str]]:
    """Strawberry's parse, remembered: clients send a handful of distinct headers."""
    return parse_content_type_uncached(header)


@lru_cache(maxsize=256)
def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when it accepts neither of ours.

    No Accept header, or one that only matches through wildcards, is a legacy client:
    application/json. Otherwise the higher quality wins, and on a tie the one the client named,
    application/graphql-response+json first (its status codes tell request errors apart).
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    qualities: dict[str, float] = {}
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[media_range.lower()] = quality

    def preference(media_type: str) -> tuple[float, bool, bool]:
        named = media_type in qualities
        # The most specific matching range decides the quality (RFC 9110, 12.5.1).
        for media_range in (media_type, "application/*", "*/*"):
            if media_range in qualities:
                quality = qualities[media_range]
                break
        else:
            quality = 0.0
        favourite = GRAPHQL_RESPONSE_JSON if named else APPLICATION_JSON
        return quality, named, media_type == favourite

    best = max((GRAPHQL_RESPONSE_JSON, APPLICATION_JSON), key=preference)
    return best if preference(best)[0] > 0 else None


def is_request_error(result: ExecutionResult) -> bool:
    """Did the request fail before execution began (parse, validation, variable coercion)?

    Such errors carry no path; field errors always do, even when they null the whole data.
    """
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # already closed
        await websocket.close(code=code, reason=reason)


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
        compiled: bool = True,
        auth_cache_seconds: float = 5,
        socket_recheck_seconds: float = 60,
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
        # Hot documents answered by one SQL statement (web/compiled.py); None: resolvers only.
        self.compiled = CompiledDocuments(max_page_size) if compiled else None
        # Viewers of bearer tokens seen lately (web/auth.py); documents seen before
        # (web/prepared.py).
        self.viewers = ViewerCache(auth_cache_seconds)
        # Open websockets by their viewer, to close those whose token is revoked (logout) or
        # whose user changed: a socket is authenticated once, at connection_init.
        # (Contexts compare by value, so they are kept by identity; gone with their socket.)
        self.sockets: weakref.WeakValueDictionary[int, Context] = weakref.WeakValueDictionary()
        self._closing: set[asyncio.Task[None]] = set()
        self.viewers.on_forget.append(self._close_sockets_of)
        self.socket_recheck_seconds = socket_recheck_seconds
        self._recheck: asyncio.Task[None] | None = None
        self.prepared = PreparedDocuments(schema)

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
        token = bearer_token(request.headers.get("authorization"))
        if token:
            ctx.token = token
            viewer = await self._authenticate(db, token)
            if viewer is not None:
                ctx.use_viewer(viewer)
        return ctx

    async def _authenticate(self, db: RequestDB, token: str) -> Viewer | None:
        digest = token_digest(token)
        viewer = self.viewers.get(digest)
        if viewer is not None:
            # The first statement, if the request runs one, opens the transaction scoped to the
            # viewer's company, as the token lookup would have left it.
            db.scope_before_first_statement(viewer.company_id)
            return viewer
        generation = self.viewers.generation
        viewer = await authenticate(db, token)
        if viewer is not None:
            self.viewers.put(digest, viewer, generation)
        return viewer

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw) if isinstance(raw, str) else None
        if token is None and isinstance(context.request, WebSocket):
            token = bearer_token(context.request.headers.get("authorization"))
        # Through the sign-in cache as HTTP requests are: a thousand screens reconnecting after
        # a restart of a process look each token up once, not once per screen.
        viewer = await self._authenticate(context.db, token) if token else None
        if viewer is None:
            raise ConnectionRejectionError({"reason": "A valid bearer token is required."})
        context.token = token
        context.use_viewer(viewer)
        self.sockets[id(context)] = context
        if self._recheck is None or self._recheck.done():
            self._recheck = asyncio.create_task(self._recheck_sockets(), name="socket-recheck")
        return UNSET

    async def _recheck_sockets(self) -> None:
        """Changes made behind the API's back (a user deactivated, a role changed or a token
        revoked in SQL) reach no cache invalidation: look again now and then, one statement
        for every socket of the process, and close those that no longer stand. Stops when no
        socket is left; the next connection starts it again."""
        while self.sockets:
            await asyncio.sleep(self.socket_recheck_seconds)
            await self._recheck_once()

    async def _recheck_once(self) -> None:
        sockets: dict[int, tuple[Context, Viewer, int]] = {}
        for key, context in list(self.sockets.items()):
            viewer = context.viewer
            if viewer is not None and viewer.token_id is not None:
                sockets[key] = (context, viewer, viewer.token_id)
        if not sockets:
            return
        try:
            async with system_session(self.engine) as db:
                now = await current_viewers(db, (token for _, _, token in sockets.values()))
        except Exception:
            log.warning("could not recheck live sockets' sign-ins", exc_info=True)
            return
        for key, (context, viewer, token) in sockets.items():
            if token not in now:
                self._close_socket(key, context, 4403, "Signed out.")
            elif now[token] != access(viewer):
                self._close_socket(key, context, 4205, "Your access changed: reconnect.")

    def _close_socket(self, key: int, context: Context, code: int, reason: str) -> None:
        self.sockets.pop(key, None)
        task = asyncio.create_task(_close_quietly(context.request, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _close_sockets_of(self, token_ids: set[int], user_ids: set[int]) -> None:
        for key, context in list(self.sockets.items()):
            viewer = context.viewer
            if viewer is None or not isinstance(context.request, WebSocket):
                continue
            if viewer.token_id in token_ids:
                # Like a bad token at connection_init: signing in again is the way back.
                code, reason = 4403, "Signed out."
            elif viewer.user_id in user_ids:
                # Same token, but what it may see changed: reconnect to get the new viewer.
                code, reason = 4205, "Your access changed: reconnect."
            else:
                continue
            self._close_socket(key, context, code, reason)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        # Every log record of this request says which request it was (web/logs.py).
        REQUEST_ID.set(request_id)
        ctx = await self.get_context(request)
        db = ctx.db
        try:
            response = await self._answer(request, ctx, root_value)
            await db.commit()
        except Exception:
            log.exception("request %s failed", request_id)
            raise
        finally:
            await db.close()
        if db.committed:
            if db.revoked_tokens or db.changed_users:
                await self.viewers.changed(self.bus, db.revoked_tokens, db.changed_users)
            if db.wrote_events:
                self.relay.wake()
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

    async def _answer(self, request: Request, ctx: Context, root_value: Any) -> Response:
        """A POSTed JSON body goes to the compiled plans (web/compiled.py), then to the
        documents seen before (web/prepared.py); the rest to Strawberry's view."""
        media_type = negotiate_media_type(request.headers.get("accept"))
        if request.method == "POST" and media_type is not None:
            content_type, params = parse_content_type(request.headers.get("content-type", ""))
            charset = params.get("charset", "utf-8").lower()
            if content_type == APPLICATION_JSON and charset in ("utf-8", "utf8"):
                payload = compiled_documents.decode_payload(await request.body())
                response = await self._compiled(ctx, payload, media_type)
                if response is None:
                    response = await self._prepared(request, ctx, payload, media_type)
                if response is not None:
                    return response
        return await self._respond(request, ctx, root_value)

    async def _compiled(self, ctx: Context, payload: Any, media_type: str) -> Response | None:
        """The answer of a compiled hot document (web/compiled.py), or None for the resolvers."""
        if self.compiled is None or ctx.viewer is None:
            return None
        body = await compiled_documents.execute(self.compiled, ctx, payload)
        if body is None:
            return None
        return Response(body, media_type=f"{media_type}; charset=utf-8")

    async def _prepared(
        self, request: Request, ctx: Context, payload: Any, media_type: str
    ) -> Response | None:
        """A document Strawberry's view validated before, executed without it: the same
        response, built by the same process_result."""
        operation = self.prepared.operation(payload)
        if operation is None:
            return None
        request.state.graphql_query = payload["query"]
        result = await self.prepared.execute(operation, ctx)
        data = await self.process_result(request, result)
        request_error = request.state.graphql_request_error
        return Response(
            self.encode_json(data),
            status_code=400 if request_error and media_type == GRAPHQL_RESPONSE_JSON else 200,
            media_type=f"{media_type}; charset=utf-8",
        )

    async def _respond(self, request: Request, ctx: Context, root_value: Any) -> Response:
        """Strawberry's HTTP handling inside the GraphQL over HTTP rules it leaves open."""
        media_type = negotiate_media_type(request.headers.get("accept"))
        try:
            self._check_media_types(request, media_type)
            response: Response = await super().run(request, ctx, root_value)
        except HTTPException as exc:
            return self._refusal(exc, media_type or APPLICATION_JSON)
        request_error = getattr(request.state, "graphql_request_error", None)
        if request_error is None or media_type is None:
            return response  # not an execution result: the GraphiQL page
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        if request_error and media_type == GRAPHQL_RESPONSE_JSON:
            response.status_code = 400
        return response

    def _check_media_types(self, request: Request, media_type: str | None) -> None:
        if media_type is None and not self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            raise HTTPException(
                406, f"Responses are {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON} (utf-8)."
            )
        if request.method != "POST":
            return
        content_type, params = parse_content_type(request.headers.get("content-type", ""))
        accepted = {APPLICATION_JSON, "multipart/form-data"}
        charset = params.get("charset", "utf-8").lower()
        if content_type not in accepted or charset not in ("utf-8", "utf8"):
            raise HTTPException(
                415, "POST a utf-8 application/json body (multipart/form-data for uploads)."
            )

    def _refusal(self, exc: HTTPException, media_type: str) -> Response:
        """A request refused before execution, as a GraphQL response with one error."""
        headers = {"Allow": "POST"} if exc.status_code == 405 else None
        return Response(
            self.encode_json({"errors": [{"message": exc.reason}]}),
            status_code=exc.status_code,
            media_type=f"{media_type}; charset=utf-8",
            headers=headers,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        request.state.graphql_query = request_data.query
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            # The spec wants 405 for a mutation sent with GET; strawberry answers 400.
            if request_adapter.method == "GET" and isinstance(
                exc.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, exc.reason) from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        request_error = is_request_error(result)
        # A request error means execution never began, so the response has no data entry.
        if request_error:
            response.pop("data", None)
        request.state.graphql_request_error = request_error
        query = getattr(request.state, "graphql_query", None)
        if isinstance(query, str):
            if not request_error:
                # Parsed, validated and executed: valid in this process for good.
                self.prepared.remember(query)
            if self.compiled is not None and not result.errors:
                self.compiled.proven(query)
        return response
