"""The event bus: delivery, concurrent subscribers, overflow and Redis reconnects.

Runs against the machine's Redis at 127.0.0.1:6379 (channel names are unique per test, other
suites share it) and, for the restart test, a private redis-server on a free port.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from subscriptions.bus import (
    DEFAULT_MAX_QUEUED,
    Bus,
    BusUnavailable,
    Delivery,
    MemoryBus,
    RedisBus,
    Resync,
    Subscriber,
    create_bus,
)

REDIS_URL = "redis://127.0.0.1:6379/0"

MakeBus = Callable[..., Awaitable[Bus]]


async def next_item(subscriber: Subscriber, within: float = 2.0) -> Delivery:
    return await asyncio.wait_for(anext(subscriber), within)


@pytest.fixture
def channel() -> str:
    return f"test-bus:{uuid4().hex}"


@pytest.fixture(params=["memory", "redis"])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[MakeBus]:
    buses: list[Bus] = []

    async def make(max_queued: int = DEFAULT_MAX_QUEUED) -> Bus:
        bus: Bus = (
            MemoryBus(max_queued) if request.param == "memory" else RedisBus(REDIS_URL, max_queued)
        )
        await bus.connect()
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.disconnect()


@pytest.fixture
async def bus(make_bus: MakeBus) -> Bus:
    return await make_bus()


@pytest.fixture
async def redis_bus() -> AsyncIterator[RedisBus]:
    bus = RedisBus(REDIS_URL)
    await bus.connect()
    yield bus
    await bus.disconnect()


async def subscriber_count(url: str, channel: str) -> int:
    async with Redis.from_url(url) as client:
        [(_, count)] = await client.pubsub_numsub(channel)
        return int(count)


class PrivateRedis:
    """A throwaway redis-server we may stop and restart on the same port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        async with Redis.from_url(self.url, retry=None) as client:
            while True:
                try:
                    await client.ping()
                    return
                except (RedisError, OSError):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    await server.start()
    yield server
    await server.stop()


async def test_published_message_reaches_subscriber(bus: Bus, channel: str) -> None:
    async with bus.subscribe(channel) as subscriber:
        await bus.publish(channel, "hello")

        assert await next_item(subscriber) == "hello"


async def test_messages_arrive_in_order_and_only_on_their_channel(bus: Bus, channel: str) -> None:
    async with bus.subscribe(channel) as subscriber:
        await bus.publish(f"{channel}:other", "elsewhere")
        for n in range(5):
            await bus.publish(channel, str(n))

        assert [await next_item(subscriber) for _ in range(5)] == ["0", "1", "2", "3", "4"]


async def test_two_concurrent_subscribers_of_one_channel_both_receive(
    bus: Bus, channel: str
) -> None:
    async with AsyncExitStack() as stack:
        first, second = await asyncio.gather(
            stack.enter_async_context(bus.subscribe(channel)),
            stack.enter_async_context(bus.subscribe(channel)),
        )
        await bus.publish(channel, "to both")

        assert await next_item(first) == "to both"
        assert await next_item(second) == "to both"


async def test_publish_right_after_subscribe_is_received(bus: Bus) -> None:
    for _ in range(20):
        channel = f"test-bus:{uuid4().hex}"
        async with bus.subscribe(channel) as subscriber:
            await bus.publish(channel, "first")

            assert await next_item(subscriber) == "first"


async def test_subscribe_returns_only_after_redis_confirmed(
    private_redis: PrivateRedis, channel: str
) -> None:
    bus = RedisBus(private_redis.url)
    await bus.connect()
    try:
        async with AsyncExitStack() as stack:
            async with Redis.from_url(private_redis.url) as admin:
                # Redis holds every client's commands, our SUBSCRIBE included, for one second.
                await admin.execute_command("CLIENT", "PAUSE", "1000", "ALL")
            entering = asyncio.create_task(stack.enter_async_context(bus.subscribe(channel)))

            done, _ = await asyncio.wait({entering}, timeout=0.3)
            assert not done
            subscriber = await asyncio.wait_for(entering, 3)
            await bus.publish(channel, "confirmed")
            assert await next_item(subscriber) == "confirmed"
    finally:
        await bus.disconnect()


async def test_overflow_yields_resync_instead_of_dropping_silently(
    make_bus: MakeBus, channel: str
) -> None:
    bus = await make_bus(max_queued=3)
    async with bus.subscribe(channel) as slow, bus.subscribe(f"{channel}:sync") as sync:
        for n in range(5):
            await bus.publish(channel, str(n))
        # One connection delivers in publish order: once `sync` has this, `slow` has all five.
        await bus.publish(f"{channel}:sync", "done")
        assert await next_item(sync) == "done"

        item = await next_item(slow)
        assert isinstance(item, Resync)
        assert item.reason == "overflow"
        assert await next_item(slow) == "4"
        await bus.publish(channel, "caught up")
        assert await next_item(slow) == "caught up"


async def test_one_redis_subscription_per_channel_until_the_last_subscriber_leaves(
    redis_bus: RedisBus, channel: str
) -> None:
    async with redis_bus.subscribe(channel):
        async with redis_bus.subscribe(channel):
            assert await subscriber_count(REDIS_URL, channel) == 1
        assert await subscriber_count(REDIS_URL, channel) == 1

    assert await subscriber_count(REDIS_URL, channel) == 0


async def test_resubscribing_a_channel_just_left_still_receives(
    redis_bus: RedisBus, channel: str
) -> None:
    async with redis_bus.subscribe(channel):
        pass
    async with redis_bus.subscribe(channel) as subscriber:
        await redis_bus.publish(channel, "again")

        assert await next_item(subscriber) == "again"


async def test_redis_restart_delivers_resync_then_later_messages(
    private_redis: PrivateRedis, channel: str
) -> None:
    bus = RedisBus(private_redis.url)
    await bus.connect()
    try:
        async with bus.subscribe(channel) as subscriber:
            await bus.publish(channel, "before")
            assert await next_item(subscriber) == "before"

            await private_redis.stop()
            started = time.monotonic()
            with pytest.raises(BusUnavailable):
                await bus.publish(channel, "while down")
            assert time.monotonic() - started < 1.5
            await private_redis.start()

            item = await next_item(subscriber, within=5)
            assert isinstance(item, Resync)
            assert item.reason == "reconnect"
            assert await subscriber_count(private_redis.url, channel) == 1
            await bus.publish(channel, "after")
            assert await next_item(subscriber) == "after"
    finally:
        await bus.disconnect()


async def test_unreachable_redis_raises_bus_unavailable(private_redis: PrivateRedis) -> None:
    await private_redis.stop()
    bus = RedisBus(private_redis.url)

    with pytest.raises(BusUnavailable):
        await bus.connect()
    with pytest.raises(BusUnavailable):
        await bus.publish("anything", "lost")
    await bus.disconnect()


def test_create_bus_picks_redis_only_when_configured() -> None:
    assert isinstance(create_bus(None), MemoryBus)
    assert isinstance(create_bus(REDIS_URL), RedisBus)


async def test_deployments_sharing_a_redis_server_hear_only_their_own(channel: str) -> None:
    # Two deployments (two databases, so two installation ids) on one Redis: Redis pub/sub
    # channels ignore the database number, and both have a `company:1:board`.
    ours, same, theirs = RedisBus(REDIS_URL), RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    installation = f"opus:{uuid4()}"
    ours.use_namespace(installation)
    same.use_namespace(installation)  # another process of our deployment
    theirs.use_namespace(f"opus:{uuid4()}")
    async with AsyncExitStack() as stack:
        for bus in (ours, same, theirs):
            await bus.connect()
            stack.push_async_callback(bus.disconnect)
        mine = await stack.enter_async_context(ours.subscribe(channel))
        other = await stack.enter_async_context(theirs.subscribe(channel))

        await theirs.publish(channel, "their event")
        await same.publish_many([(channel, "our event")])

        assert await next_item(mine) == "our event"
        assert await next_item(other) == "their event"
        # Each got only its own: a message published after the other's has arrived.
        await theirs.publish(channel, "their second")
        assert await next_item(other) == "their second"
        assert mine._queue.empty()


async def test_a_namespace_is_set_before_connecting() -> None:
    bus = RedisBus(REDIS_URL)
    await bus.connect()
    try:
        with pytest.raises(RuntimeError):
            bus.use_namespace("late")
    finally:
        await bus.disconnect()
