"""Live subscriptions shared by every subscriber who would receive the same bytes.

Run the plain way, a thousand dispatch screens on one board executed the same subscription
document a thousand times per event: about a millisecond of CPU per subscriber (GraphQL
execution, error handling, JSON, a chain of async generators, a queue and a task wake-up each).
Here `dispatchEvents` and `jobEvents` over graphql-transport-ws are grouped by everything their
payload depends on: the viewer's scope (company, role, technician), the document, the operation
and its variables except `after`. A group executes the document once per event and every member
is sent the same encoded payload; only the position each member has reached is its own.

Ordering is subscriptions/streams.py's, per member: the channel is subscribed before the replay
query runs, events arriving meanwhile wait in the member's `pending` list, and a member is sent
an event only if its position is beyond the last one it was sent. A `Resync` from the bus
replays from each member's own position.

Anything else (queries and mutations over the socket, documents that fail validation, bad
arguments, the legacy graphql-ws protocol) goes through Strawberry exactly as before: when in
doubt, `open` returns None and the caller falls back, so errors are Strawberry's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationType,
    VariableNode,
    Visitor,
    execute_subscription_event,
    get_operation_ast,
    parse,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values
from starlette.websockets import WebSocket
from strawberry.schema.schema import validate_document
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from db.auth import Viewer
from db.session import RequestDB
from resolvers.context import Context
from resolvers.live import EventSource, SharedResults, dispatch_source
from schema.dispatch import DispatchEvent, parse_stream_cursor
from schema.execution import ExecutionContext
from schema.main import OpusSchema, job_event_source
from subscriptions.bus import Bus, Resync
from subscriptions.streams import head_position, replay

if TYPE_CHECKING:
    from resolvers.live import Snapshots

log = logging.getLogger("opus.fanout")

SHARED_FIELDS = frozenset({"dispatchEvents", "jobEvents"})
# Encoded payloads a group keeps, so members replaying the same recent events (a reconnect
# storm after a network blip) execute each one once.
PAYLOADS_KEPT = 512
# Frames waiting for one websocket. A client this far behind is closed so it reconnects and
# resumes from its cursor, rather than holding memory for everybody's events.
MAX_QUEUED_FRAMES = 2000
SLOW_CLIENT_CLOSE = 1013  # "try again later"
FAILED_CLOSE = 1011  # "internal error"
FAILED_REASON = "Live updates failed here: reconnect and resume with `after`."


@dataclass(frozen=True)
class Plan:
    """A valid subscription document whose one root field can be shared."""

    query: str
    document: DocumentNode
    operation_name: str | None
    field_node: FieldNode
    # A variable used only as the `after` argument: members differing in it share a group.
    after_variable: str | None


@lru_cache(maxsize=256)
def _plan(schema: OpusSchema, query: str, operation_name: str | None) -> Plan | None:
    try:
        document = parse(query, max_tokens=schema.max_tokens)
    except GraphQLError:
        return None
    if validate_document(schema._schema, document, schema.request_rules):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1:
        return None
    field = selections[0]
    if (
        not isinstance(field, FieldNode)
        or field.directives
        or field.name.value not in SHARED_FIELDS
    ):
        return None
    after_variable = None
    for argument in field.arguments or ():
        if argument.name.value == "after" and isinstance(argument.value, VariableNode):
            name = argument.value.name.value
            if _variable_uses(document, name) == 1:
                after_variable = name
    return Plan(query, document, operation_name, field, after_variable)


class _VariableUses(Visitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.count = 0

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if node.name.value == self.name:
            self.count += 1

    def enter_variable_definition(self, *_: Any) -> Any:
        return self.SKIP  # the definition `$after: String` is not a use


def _variable_uses(document: DocumentNode, name: str) -> int:
    counter = _VariableUses(name)
    visit(document, counter)
    return counter.count


class Member:
    """One subscription (one operation id on one socket) in a group."""

    __slots__ = ("group", "last", "open", "outbox", "pending", "prefix", "resync")

    def __init__(self, group: Group, outbox: Outbox, operation_id: str) -> None:
        self.group = group
        self.outbox = outbox
        self.prefix = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'
        self.last = 0
        # Events that arrived while this member replays; None once it is live.
        self.pending: list[dict[str, Any]] | None = []
        self.resync = False
        self.open = True

    def send(self, message: dict[str, Any], payload: str) -> None:
        if not self.open:  # completed, or its socket closed, while a catch-up was under way
            return
        self.last = message["position"]
        self.outbox.push(self, self.prefix + payload + "}")


class _Suspended:
    """A coroutine already run up to its first suspension, awaitable to its end.

    Lets a send start eagerly, in the caller's step, and finish in a task only when it has to
    wait (what Python 3.12's eager tasks do; this runs on 3.11).
    """

    __slots__ = ("coro", "yielded")

    def __init__(self, coro: Coroutine[Any, Any, None], yielded: Any) -> None:
        self.coro = coro
        self.yielded = yielded

    def __await__(self) -> Generator[Any, Any, None]:
        coro, value = self.coro, self.yielded
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # passed on into the coroutine, which decides
                try:
                    value = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    value = coro.send(sent)
                except StopIteration:
                    return


class Outbox:
    """Frames for one websocket, in order; a slow client holds up only itself.

    A frame is written at once when nothing is queued: a websocket send completes without
    waiting unless the client stopped reading. Only then does a task take over and the frames
    queue behind it: a task per frame, or a writer task woken per frame, cost a fifth of a
    thousand-subscriber fan-out.
    """

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._frames: deque[tuple[Member, str]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self.closed = False

    def push(self, member: Member, frame: str) -> None:
        if self.closed:
            return
        if self._task is not None:
            if len(self._frames) >= MAX_QUEUED_FRAMES:
                self._too_slow()
            else:
                self._frames.append((member, frame))
            return
        send = self.websocket.send_text(frame)
        try:
            yielded = send.send(None)
        except StopIteration:
            return
        except Exception:  # the socket went away; its handler cleans up
            self._gone()
            return
        self._task = asyncio.create_task(self._drain(_Suspended(send, yielded)))

    async def _drain(self, first: _Suspended) -> None:
        try:
            await first
            while self._frames and not self.closed:
                member, frame = self._frames.popleft()
                if member.open:
                    await self.websocket.send_text(frame)
        except Exception:  # the socket went away; its handler cleans up
            self._gone()
        finally:
            self._task = None

    def _gone(self) -> None:
        self.closed = True
        self._frames.clear()

    def _too_slow(self) -> None:
        log.warning("closing a websocket %d frames behind", len(self._frames))
        self.fail(SLOW_CLIENT_CLOSE, "Too far behind: reconnect and resume with `after`.")

    def fail(self, code: int, reason: str) -> None:
        """Close the socket: its client reconnects and resumes from its cursors."""
        if self.closed:
            return
        self.closed = True
        self._frames.clear()
        # The handler's own task notices the close and cleans up its operations.
        self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with suppress(Exception):  # already closed
            await self.websocket.close(code, reason)

    def close(self) -> None:
        self.closed = True
        self._frames.clear()
        if self._task is not None:
            self._task.cancel()


class Group:
    """Subscribers whose payloads are identical: one execution per event for all of them."""

    def __init__(
        self,
        hub: Fanout,
        key: tuple[Any, ...],
        plan: Plan,
        variables: dict[str, Any],
        source: EventSource,
        context: Context,
    ) -> None:
        self.hub = hub
        self.key = key
        self.plan = plan
        self.variables = variables
        self.source = source
        self.context = context
        executor = ExecutionContext.build(
            hub.schema._schema, plan.document, None, context, variables, plan.operation_name
        )
        # The variables coerced when the first member joined, so this cannot fail.
        assert not isinstance(executor, list)
        self.executor = executor
        self.members: set[Member] = set()
        # Kept a while, so members replaying the same events share their executions too.
        self._payloads: SharedResults[int, str] = SharedResults(PAYLOADS_KEPT)
        self._replays: dict[int, asyncio.Task[list[dict[str, Any]]]] = {}

    def accepts(self, message: dict[str, Any]) -> bool:
        return message["companyId"] == self.source.company_id and self.source.filter.accept(message)

    async def payload(self, message: dict[str, Any]) -> str:
        """The event's `next` payload, executed once for the whole group."""
        return await self._payloads.get(message["position"], lambda: self._execute(message))

    async def _execute(self, message: dict[str, Any]) -> str:
        snapshot = await self.context.snapshots.get(message)
        # Rows as they are now, not as an earlier event's execution cached them.
        self.context.refresh()
        schema = self.hub.schema
        result = execute_subscription_event(
            self.executor.build_per_event_executor(DispatchEvent(snapshot=snapshot))
        )
        if isinstance(result, Awaitable):
            result = await result
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            for error in result.errors:
                if error.original_error is not None:
                    log.error("subscription event", exc_info=error.original_error)
            errors = schema.mask._process_errors(result.errors) if schema.mask else result.errors
            payload["errors"] = [error.formatted for error in errors]
        return json.dumps(payload)

    async def deliver(self, message: dict[str, Any]) -> None:
        position = message["position"]
        live = False
        for member in self.members:
            if member.pending is not None:
                member.pending.append(message)
            elif position > member.last:
                live = True
        if not live:
            return
        payload = await self.payload(message)
        for member in list(self.members):
            if member.pending is None and position > member.last:
                member.send(message, payload)

    async def replay(self, after: int) -> list[dict[str, Any]]:
        """Events after `after`, from the table; members at the same position share a query."""
        task = self._replays.get(after)
        if task is None:
            task = asyncio.create_task(
                replay(self.hub.engine, self.source.company_id, after, self.source.filter)
            )
            self._replays[after] = task
            task.add_done_callback(lambda _: self._replays.pop(after, None))
        return await asyncio.shield(task)

    async def catch_up(self, member: Member) -> None:
        """Replay what the member missed, then what arrived meanwhile, then go live."""
        while member.open:
            member.resync = False
            for message in await self.replay(member.last):
                if message["position"] > member.last:
                    member.send(message, await self.payload(message))
            assert member.pending is not None
            while member.pending:
                message = member.pending.pop(0)
                if message["position"] > member.last:
                    member.send(message, await self.payload(message))
            if not member.resync:
                member.pending = None  # no await since the list emptied: nothing slips by
                return

    def resync(self) -> None:
        """The bus may have lost events: every member replays from its own position."""
        for member in self.members:
            member.resync = True
            if member.pending is None:
                member.pending = []
                self.hub.run(member, self.catch_up(member))


class Feed:
    """This process's one bus subscription to a channel, feeding every group on it."""

    def __init__(self, bus: Bus, channel: str) -> None:
        self.channel = channel
        self.groups: set[Group] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._run(bus))

    async def _run(self, bus: Bus) -> None:
        try:
            async with bus.subscribe(self.channel) as subscriber:
                self.ready.set_result(None)
                async for item in subscriber:
                    if isinstance(item, Resync):
                        for group in list(self.groups):
                            group.resync()
                        continue
                    message = json.loads(item)
                    for group in list(self.groups):
                        if group.accepts(message):
                            try:
                                await group.deliver(message)
                            except Exception:
                                # One group's failure (say, its database query) must not
                                # starve the others; its members resume from the table.
                                log.exception("delivering event %s", message.get("position"))
                                group.resync()
        except asyncio.CancelledError:
            self.ready.cancel()
            raise
        except Exception as exc:
            log.exception("live feed of %s failed", self.channel)
            if not self.ready.done():
                self.ready.set_exception(exc)
            for group in self.groups:
                for member in group.members:
                    member.outbox.fail(FAILED_CLOSE, FAILED_REASON)


class Fanout:
    """The shared subscriptions of one process."""

    def __init__(
        self,
        schema: OpusSchema,
        engine: Any,
        bus: Bus,
        snapshots: Snapshots,
        new_context: Callable[[RequestDB], Context],
    ) -> None:
        self.schema = schema
        self.engine = engine
        self.bus = bus
        self.snapshots = snapshots
        self.new_context = new_context
        self.groups: dict[tuple[Any, ...], Group] = {}
        self.feeds: dict[str, Feed] = {}
        # Strong references: the event loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, member: Member, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a member's catch-up; if it fails, close its socket so the client resumes."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("live subscription catch-up failed")
                member.outbox.fail(FAILED_CLOSE, FAILED_REASON)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def open(
        self,
        context: Context,
        outbox: Outbox,
        operation_id: str,
        payload: dict[str, Any],
    ) -> tuple[Member, asyncio.Task[None]] | None:
        """Join the subscription's group and start its catch-up; None: not shareable here."""
        viewer = context.viewer
        query = payload.get("query")
        operation_name = payload.get("operationName")
        variables = payload.get("variables") or {}
        if (
            viewer is None
            or not isinstance(query, str)
            or not isinstance(variables, dict)
            or not (operation_name is None or isinstance(operation_name, str))
        ):
            return None
        plan = _plan(self.schema, query, operation_name)
        if plan is None:
            return None
        arguments = self._arguments(plan, variables)
        if arguments is None:
            return None
        try:
            after = parse_stream_cursor(arguments.get("after"))
            if plan.field_node.name.value == "dispatchEvents":
                source = await dispatch_source(context, arguments["date"])
            else:
                source = await job_event_source(context, arguments["jobId"])
        except GraphQLError:
            return None  # Strawberry runs it again and reports the error its own way
        group = self._group(plan, variables, viewer, source)
        member = Member(group, outbox, operation_id)
        group.members.add(member)
        feed = self._feed(source.channel)
        feed.groups.add(group)
        return member, self.run(member, self._start(member, feed, after))

    def _arguments(self, plan: Plan, variables: dict[str, Any]) -> dict[str, Any] | None:
        operation = get_operation_ast(plan.document, plan.operation_name)
        assert operation is not None
        coerced = get_variable_values(
            self.schema._schema, operation.variable_definitions or (), variables, max_errors=50
        )
        if isinstance(coerced, list):
            return None
        subscription = self.schema._schema.subscription_type
        assert subscription is not None
        field = subscription.fields[plan.field_node.name.value]
        try:
            return get_argument_values(field, plan.field_node, coerced)
        except GraphQLError:
            return None

    def _group(
        self, plan: Plan, variables: dict[str, Any], viewer: Viewer, source: EventSource
    ) -> Group:
        shared = {k: v for k, v in variables.items() if k != plan.after_variable}
        # What a payload may depend on: resolvers read the viewer's company, role and
        # technician (visibility), never who exactly is watching.
        scope = (viewer.company_id, viewer.role, viewer.technician_id)
        key = (
            scope,
            plan.query,
            plan.operation_name,
            json.dumps(shared, sort_keys=True, default=str),
        )
        group = self.groups.get(key)
        if group is None:
            context = self.new_context(RequestDB(self.engine, short=True))
            context.db.company_set_by_statement(viewer.company_id)
            context.use_viewer(viewer)
            group = Group(self, key, plan, variables, source, context)
            self.groups[key] = group
        return group

    def _feed(self, channel: str) -> Feed:
        feed = self.feeds.get(channel)
        # A feed that failed has closed its members' sockets; newcomers get a fresh one.
        if feed is None or feed.task.done():
            feed = Feed(self.bus, channel)
            self.feeds[channel] = feed
        return feed

    async def _start(self, member: Member, feed: Feed, after: int | None) -> None:
        await asyncio.shield(feed.ready)
        group = member.group
        member.last = (
            after
            if after is not None
            else await head_position(self.engine, group.source.company_id)
        )
        await group.catch_up(member)

    def leave(self, member: Member) -> None:
        member.open = False
        group = member.group
        group.members.discard(member)
        if group.members:
            return
        self.groups.pop(group.key, None)
        feed = self.feeds.get(group.source.channel)
        if feed is None:
            return
        feed.groups.discard(group)
        if not feed.groups and feed.channel in self.feeds:
            del self.feeds[feed.channel]
            feed.task.cancel()


class SharedSubscriptionsHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with `dispatchEvents` and `jobEvents` served by the view's Fanout.

    Every protocol rule (connection_init, duplicate ids, limits, complete) stays Strawberry's;
    only the execution of a shareable subscription moves.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._members: dict[str, Member] = {}
        self._outbox: Outbox | None = None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        fanout: Fanout | None = getattr(self.view, "fanout", None)
        payload = message.get("payload")
        if (
            fanout is not None
            and self.connection_acknowledged
            and isinstance(payload, dict)
            and isinstance(message.get("id"), str)
            and message["id"] not in self.operations
            and (
                self.max_subscriptions_per_connection is None
                or len(self.operations) < self.max_subscriptions_per_connection
            )
        ):
            if self._outbox is None:
                self._outbox = Outbox(self.websocket.ws)  # type: ignore[attr-defined]
            opened = await fanout.open(
                self.context, self._outbox, message["id"], cast("dict[str, Any]", payload)
            )
            if opened is not None:
                member, task = opened
                operation: Operation[Context, None] = Operation(
                    self,
                    message["id"],
                    payload["query"],
                    payload.get("variables"),
                    payload.get("operationName"),
                )
                operation.task = task
                self.operations[message["id"]] = operation
                self._members[message["id"]] = member
                return
        await super().handle_subscribe(message)

    async def cleanup_operation(self, operation_id: str) -> None:
        member = self._members.pop(operation_id, None)
        if member is not None:
            self.view.fanout.leave(member)  # type: ignore[attr-defined]
        await super().cleanup_operation(operation_id)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._outbox is not None:
            self._outbox.close()


def install(view: Any) -> Fanout:
    """Serve the view's graphql-transport-ws subscriptions through a Fanout of its own."""
    view.fanout = Fanout(
        view.schema, view.engine, view.bus, view.snapshots, lambda db: view._context(db, None)
    )
    view.graphql_transport_ws_handler_class = SharedSubscriptionsHandler
    return view.fanout
