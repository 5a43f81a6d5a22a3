"""The event bus that carries published job events to live subscriptions.

Shaped like the `broadcaster` package (`publish`, `async with subscribe(channel)`, `connect`,
`disconnect`), which we do not use: on redis-py 8 it delivers nothing, loses one of two
concurrent subscribers of a channel and never reconnects after Redis drops.

A subscriber yields `str` messages and `Resync` markers. A `Resync` means messages may have been
lost (the subscriber fell behind, or Redis dropped): the consumer replays from the database and
de-duplicates what arrives live afterwards. It is never silent: a message is either delivered or
followed by a `Resync`.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

DEFAULT_MAX_QUEUED = 1000
_BACKOFF_FIRST = 0.05
_BACKOFF_CAP = 2.0
# A half-open TCP connection never reports an error by itself; an unanswered PING does.
_IDLE_PING_SECONDS = 15.0
# Short enough that a slow or dead Redis never stalls the outbox relay for long: it retries
# unpublished events from the database anyway.
_PUBLISH_RETRY = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=3)
_CONNECT_TIMEOUT = 2.0
_SOCKET_TIMEOUT = 5.0


@dataclass(frozen=True)
class Resync:
    """Messages may have been lost on this channel: replay from the database."""

    reason: Literal["overflow", "reconnect"]


Delivery = str | Resync


class BusUnavailable(Exception):
    """The bus could not carry out the operation; Redis is unreachable."""


class Subscriber:
    """One consumer's bounded queue on one channel; iterate it for `Delivery` items."""

    def __init__(self, channel: str, max_queued: int) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(max_queued)

    def _deliver(self, item: Delivery) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            # Everything queued is superseded by the replay the Resync triggers, and dropping it
            # keeps a stuck consumer from holding memory.
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(Resync("overflow"))

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self

    async def __anext__(self) -> Delivery:
        return await self._queue.get()


class Bus(ABC):
    """Publish strings to named channels; subscribe to receive them in order."""

    @abstractmethod
    async def connect(self) -> None: ...

    def use_namespace(self, namespace: str) -> None:  # noqa: B027 - optional by design
        """Keep this deployment's channels apart from others' on a shared server (a bus
        within one process has nobody to keep apart from)."""

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def publish(self, channel: str, message: str) -> None: ...

    async def publish_many(self, deliveries: Sequence[tuple[str, str]]) -> None:
        """Publish `(channel, message)` pairs in this order, as `publish` would one by one."""
        for channel, message in deliveries:
            await self.publish(channel, message)

    @abstractmethod
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscriber]:
        """Once entered, every message published to `channel` is delivered (or a `Resync`)."""


class MemoryBus(Bus):
    """In-process bus for the embedded single-process mode."""

    def __init__(self, max_queued: int = DEFAULT_MAX_QUEUED) -> None:
        self._max_queued = max_queued
        self._subscribers: dict[str, set[Subscriber]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def publish(self, channel: str, message: str) -> None:
        for subscriber in self._subscribers.get(channel, ()):
            subscriber._deliver(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(channel, self._max_queued)
        subscribers = self._subscribers.setdefault(channel, set())
        subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[channel]


@dataclass(eq=False)
class _Channel:
    subscribers: set[Subscriber] = field(default_factory=set)
    # Set once Redis confirmed the SUBSCRIBE, or once a reconnect guarantees a Resync instead.
    ready: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class _Ack:
    """A SUBSCRIBE/UNSUBSCRIBE reply we expect; Redis answers them in the order sent."""

    confirmed: asyncio.Event
    resync: _Channel | None = None


class RedisBus(Bus):
    """Bus over Redis pub/sub, for several API processes.

    One pub/sub connection per process carries every channel; local subscribers get their own
    queues. If the connection drops it is re-opened with exponential backoff (capped at 2 s),
    every channel is subscribed again and each subscriber then receives a `Resync`.

    `publish` and `publish_many` retry briefly (well under a second) and then raise
    `BusUnavailable`.
    """

    def __init__(self, url: str, max_queued: int = DEFAULT_MAX_QUEUED) -> None:
        self._max_queued = max_queued
        # Put before every channel name in Redis, whose pub/sub channels are shared by everyone
        # on the server (see `use_namespace`).
        self._prefix = ""
        self._publisher = Redis.from_url(
            url,
            retry=_PUBLISH_RETRY,
            socket_connect_timeout=_CONNECT_TIMEOUT,
            socket_timeout=_SOCKET_TIMEOUT,
        )
        # No retry on this one: reconnecting is ours to do, because it decides who gets a Resync.
        self._pool = ConnectionPool.from_url(
            url, socket_connect_timeout=_CONNECT_TIMEOUT, socket_timeout=_SOCKET_TIMEOUT
        )
        self._channels: dict[str, _Channel] = {}
        self._acks: deque[_Ack] = deque()
        self._connection: AbstractConnection | None = None
        # Serialises writes on the pub/sub connection so replies match `_acks` in order.
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    def use_namespace(self, namespace: str) -> None:
        """Keep this deployment's channels apart from others' on the same Redis server; set
        before connecting. Processes with the same namespace hear each other."""
        if self._channels or self._reader is not None:
            raise RuntimeError("set the namespace before connecting or subscribing")
        self._prefix = f"{namespace}:" if namespace else ""

    async def connect(self) -> None:
        """Open the pub/sub connection; raises `BusUnavailable` if Redis is unreachable."""
        try:
            connection = await self._open()
        except (RedisError, OSError) as error:
            raise BusUnavailable(f"cannot connect to Redis: {error}") from error
        self._reader = asyncio.create_task(self._run(connection), name="redis-bus-reader")

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._publisher.aclose()

    async def publish(self, channel: str, message: str) -> None:
        try:
            await self._publisher.publish(self._prefix + channel, message)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise BusUnavailable(f"cannot publish to {channel!r}: {error}") from error

    async def publish_many(self, deliveries: Sequence[tuple[str, str]]) -> None:
        """One round trip for all of them: Redis runs a pipeline's commands in order. After a
        failure some may have been published and some not; the caller publishes them all again
        (subscribers drop by position what they already have)."""
        if not deliveries:
            return
        pipeline = self._publisher.pipeline(transaction=False)
        for channel, message in deliveries:
            pipeline.publish(self._prefix + channel, message)
        try:
            await pipeline.execute()
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise BusUnavailable(f"cannot publish {len(deliveries)} messages: {error}") from error

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(channel, self._max_queued)
        channel = self._prefix + channel  # the name in Redis, as messages arrive under it
        # Registering and deciding who sends SUBSCRIBE happen without an await in between, so
        # concurrent subscribers of one channel cannot both (or neither) subscribe in Redis.
        state = self._channels.get(channel)
        first = state is None
        if state is None:
            state = self._channels[channel] = _Channel()
        state.subscribers.add(subscriber)
        try:
            if first:
                await asyncio.shield(self._command("SUBSCRIBE", channel, state.ready))
            await state.ready.wait()
            yield subscriber
        finally:
            state.subscribers.discard(subscriber)
            if not state.subscribers and self._channels.get(channel) is state:
                del self._channels[channel]
                await asyncio.shield(self._command("UNSUBSCRIBE", channel, asyncio.Event()))

    async def _command(self, verb: str, channel: str, confirmed: asyncio.Event) -> None:
        async with self._lock:
            connection = self._connection
            if connection is None or not connection.is_connected:
                # The reconnect subscribes whatever `_channels` holds then, with a Resync.
                confirmed.set()
                return
            self._acks.append(_Ack(confirmed))
            # A failed write closes the connection; the reader then reconnects and releases us.
            with suppress(RedisError, OSError):
                await connection.send_command(verb, channel)
        await confirmed.wait()

    async def _open(self) -> AbstractConnection:
        connection: AbstractConnection = self._pool.make_connection()
        try:
            await connection.connect()
            async with self._lock:
                states = list(self._channels.items())
                if states:
                    await connection.send_command("SUBSCRIBE", *(name for name, _ in states))
                # Subscribers registered while disconnected (or before connect) may have missed
                # messages, and so may everyone after a drop.
                self._acks.extend(_Ack(state.ready, state) for _, state in states)
                self._connection = connection
        except BaseException:
            await connection.disconnect(nowait=True)
            raise
        return connection

    async def _run(self, connection: AbstractConnection) -> None:
        while True:
            try:
                await self._listen(connection)
            except Exception as error:
                # Whatever broke, live updates for this process depend on this loop going on.
                logger.warning(
                    "Redis pub/sub connection lost (%s: %s); reconnecting",
                    type(error).__name__,
                    error,
                )
            finally:
                await self._forget(connection)
            connection = await self._reconnect()

    async def _reconnect(self) -> AbstractConnection:
        delay = _BACKOFF_FIRST
        while True:
            await asyncio.sleep(delay)
            try:
                connection = await self._open()
            except (RedisError, OSError):
                delay = min(delay * 2, _BACKOFF_CAP)
                continue
            logger.info("Redis pub/sub connection re-established")
            return connection

    async def _forget(self, connection: AbstractConnection) -> None:
        async with self._lock:
            self._connection = None
            # Nothing pending will be answered now; the reconnect re-subscribes with a Resync.
            for ack in self._acks:
                ack.confirmed.set()
            self._acks.clear()
        await connection.disconnect(nowait=True)

    async def _listen(self, connection: AbstractConnection) -> None:
        awaiting_pong = False
        while True:
            # Under RESP3, which redis-py 8 negotiates, pub/sub replies are push messages; without
            # push_request the parser passes them to a logging handler and drops them.
            reply = await connection.read_response(timeout=_IDLE_PING_SECONDS, push_request=True)
            if reply is None:
                if awaiting_pong:
                    raise RedisConnectionError("Redis did not answer PING")
                async with self._lock:
                    await connection.send_command("PING")
                awaiting_pong = True
                continue
            awaiting_pong = False
            if not isinstance(reply, list):
                continue
            kind = _text(reply[0])
            if kind == "message":
                state = self._channels.get(_text(reply[1]))
                if state is not None:
                    message = _text(reply[2])
                    for subscriber in state.subscribers:
                        subscriber._deliver(message)
            elif kind in ("subscribe", "unsubscribe"):
                ack = self._acks.popleft()
                ack.confirmed.set()
                if ack.resync is not None:
                    for subscriber in ack.resync.subscribers:
                        subscriber._deliver(Resync("reconnect"))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def create_bus(redis_url: str | None) -> Bus:
    """Redis when a URL is configured (several processes), else in-process."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
