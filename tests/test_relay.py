"""The outbox relay on its own: round trips per pass, ordering under racing relays, stragglers,
Redis outages, and the migration that holds its claim and mark functions.

Real PostgreSQL (a database of this module's own, so the in-process app of other tests does not
publish these events) and a private redis-server.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from redis.exceptions import NoPermissionError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from db.migrate import downgrade, upgrade
from subscriptions.bus import BusUnavailable, MemoryBus, RedisBus, Resync, Subscriber
from subscriptions.channels import board_channel, job_channel
from subscriptions.relay import RELAY_LOCK_KEY, OutboxRelay
from tests.live import TIMEOUT, PrivateRedis, create_tenant, private_database

# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with private_database() as url:
        yield url


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection (no row-level security) that writes events as an API would."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An API engine (every connection runs as opus_app), as the relay gets in the app."""
    made = create_engine(database_url, pool_size=1)
    yield made
    await made.dispose()


class Jobs:
    """A company with jobs whose events the tests write directly, each in its own transaction
    unless told otherwise."""

    def __init__(self, admin: asyncpg.Connection, company_id: int, job_ids: list[int]) -> None:
        self.admin = admin
        self.company_id = company_id
        self.job_ids = job_ids
        self.channel = board_channel(company_id)

    async def event(self, job: int = 0, conn: asyncpg.Connection | None = None) -> int:
        conn = conn or self.admin
        job_id = self.job_ids[job]
        event_id: int = await conn.fetchval(
            """
            WITH seq AS (
                UPDATE jobs SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq
            )
            INSERT INTO job_events (company_id, job_id, seq, type)
            SELECT $2, $1, seq.event_seq, 'job.updated' FROM seq RETURNING id
            """,
            job_id,
            self.company_id,
        )
        return event_id

    async def state(self) -> dict[int, tuple[int | None, bool]]:
        """Every event of the company: id -> (position, published)."""
        rows = await self.admin.fetch(
            "SELECT id, position, published_at IS NOT NULL AS published FROM job_events"
            " WHERE company_id = $1",
            self.company_id,
        )
        return {r["id"]: (r["position"], r["published"]) for r in rows}


async def make_jobs(database_url: str, admin: asyncpg.Connection, count: int = 1) -> Jobs:
    tenant = await create_tenant(database_url)
    customer = await admin.fetchval(
        "INSERT INTO customers (company_id, name) VALUES ($1, 'Relay') RETURNING id",
        tenant.company_id,
    )
    job_ids = [
        await admin.fetchval(
            "INSERT INTO jobs (company_id, number, title, customer_id)"
            " VALUES ($1, $2, 'Relay', $3) RETURNING id",
            tenant.company_id,
            number,
            customer,
        )
        for number in range(1, count + 1)
    ]
    return Jobs(admin, tenant.company_id, job_ids)


async def drain(subscriber: Subscriber) -> list[dict[str, Any]]:
    """What the subscriber has received so far (the memory bus delivers during publish)."""
    received = []
    while not subscriber._queue.empty():
        item = subscriber._queue.get_nowait()
        assert not isinstance(item, Resync), item
        received.append(json.loads(item))
    return received


async def receive(subscriber: Subscriber) -> dict[str, Any]:
    item = await asyncio.wait_for(anext(subscriber), TIMEOUT)
    assert not isinstance(item, Resync), item
    message: dict[str, Any] = json.loads(item)
    return message


class RoundTripCounter:
    """A TCP proxy in front of PostgreSQL that counts the client's round trips: each Sync
    (extended protocol) or Query (simple protocol) message is one wait for ReadyForQuery."""

    def __init__(self, database_url: str) -> None:
        self.target = make_url(database_url)
        self.round_trips = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return self.target.set(host="127.0.0.1", port=port).render_as_string(False)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(
            self.target.host, self.target.port or 5432
        )
        for task in (self._client(reader, up_writer), self._pipe(up_reader, writer)):
            spawned = asyncio.create_task(task)
            self._tasks.add(spawned)
            spawned.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # Untyped messages first (SSLRequest, GSSENCRequest), up to the StartupMessage.
            while True:
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                writer.write(head + await reader.readexactly(length - 8))
                if code == 196608:  # protocol 3.0: the StartupMessage
                    break
            while True:
                head = await reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                if kind in (b"S", b"Q"):
                    self.round_trips += 1
                writer.write(head + await reader.readexactly(length - 4))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


# --- round trips ---------------------------------------------------------------------------


async def test_a_pass_is_one_round_trip_idle_and_two_with_an_event(
    database_url: str, admin: asyncpg.Connection
) -> None:
    # Given a relay whose connection goes through a round-trip counter, warmed up once (its
    # first connection prepares the statements)
    jobs = await make_jobs(database_url, admin)
    counter = RoundTripCounter(database_url)
    engine = create_engine(await counter.start(), pool_size=1)
    bus = MemoryBus()
    relay = OutboxRelay(engine, bus)
    try:
        await jobs.event()
        assert await relay.publish_pending() == 1

        # When there is nothing to publish, then a pass is one round trip
        before = counter.round_trips
        assert await relay.publish_pending() == 0
        assert counter.round_trips - before == 1

        # When one event is new, then claim and mark are the only round trips
        event_id = await jobs.event()
        async with bus.subscribe(jobs.channel) as subscriber:
            before = counter.round_trips
            assert await relay.publish_pending() == 1
            assert counter.round_trips - before == 2
            assert [m["id"] for m in await drain(subscriber)] == [event_id]
        assert (await jobs.state())[event_id][1] is True

        # And the system flag the functions set does not outlive them on the pooled connection
        assert await advisory_locks(jobs.admin) == 0
        async with engine.connect() as conn:
            flag = await conn.scalar(text("SELECT current_setting('opus.system', true)"))
            assert flag != "on"
            role = await conn.scalar(text("SELECT current_user"))
            assert role == "opus_app"
    finally:
        await engine.dispose()
        await counter.stop()


# --- ordering ------------------------------------------------------------------------------


async def test_a_claim_waiting_for_the_lock_sees_what_the_holder_committed(
    database_url: str, admin: asyncpg.Connection, engine: AsyncEngine
) -> None:
    # Given an event positioned by another relay that still holds the lock, and a newer event
    jobs = await make_jobs(database_url, admin)
    first, second = await jobs.event(), await jobs.event()
    holder = await asyncpg.connect(database_url)
    bus = MemoryBus()
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", RELAY_LOCK_KEY)
        held_position = await holder.fetchval(
            "UPDATE job_events SET position = nextval('job_event_positions')"
            " WHERE id = $1 RETURNING position",
            first,
        )
        async with bus.subscribe(jobs.channel) as subscriber:
            # When our relay's claim waits for the lock and the holder then commits
            relay = OutboxRelay(engine, bus)
            claim = asyncio.create_task(relay.publish_pending())
            await wait_for_advisory_locks(admin, waiting=1)
            await transaction.commit()
            assert await asyncio.wait_for(claim, TIMEOUT) == 2

            # Then it publishes the holder's event first, at the holder's position, then the
            # newer one above it: its statements after the lock saw the holder's commit
            received = await drain(subscriber)
        assert [m["id"] for m in received] == [first, second]
        assert received[0]["position"] == held_position < received[1]["position"]
    finally:
        await holder.close()


_ADVISORY_LOCKS = """
    SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks
    WHERE locktype = 'advisory'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def advisory_locks(admin: asyncpg.Connection) -> int:
    """Advisory locks held or awaited in this database: none once a pass is over."""
    held, waiting = await admin.fetchrow(_ADVISORY_LOCKS)
    return int(held + waiting)


async def wait_for_advisory_locks(
    admin: asyncpg.Connection, *, held: int | None = None, waiting: int | None = None
) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        now_held, now_waiting = await admin.fetchrow(_ADVISORY_LOCKS)
        if held in (None, now_held) and waiting in (None, now_waiting):
            return
        assert time.monotonic() < deadline, f"advisory locks: {now_held} held, {now_waiting} wait"
        await asyncio.sleep(0.005)


async def test_a_straggler_is_published_again_before_new_events(
    database_url: str, admin: asyncpg.Connection, engine: AsyncEngine
) -> None:
    # Given an event positioned but never published (a relay crashed between commit and
    # publish) and a new event
    jobs = await make_jobs(database_url, admin)
    straggler = await jobs.event()
    position = await admin.fetchval(
        "UPDATE job_events SET position = nextval('job_event_positions') WHERE id = $1"
        " RETURNING position",
        straggler,
    )
    new = await jobs.event()
    bus = MemoryBus()
    async with (
        bus.subscribe(jobs.channel) as board,
        bus.subscribe(job_channel(jobs.job_ids[0])) as job,
    ):
        # When a relay passes
        assert await OutboxRelay(engine, bus).publish_pending() == 2

        # Then the straggler goes out first, at its position, on both channels, then the new one
        for subscriber in (board, job):
            received = await drain(subscriber)
            assert [m["id"] for m in received] == [straggler, new]
            assert received[0]["position"] == position < received[1]["position"]
    state = await jobs.state()
    assert state[straggler] == (position, True)
    assert state[new][1] is True


async def test_redis_down_keeps_events_for_a_later_pass(
    database_url: str, admin: asyncpg.Connection, engine: AsyncEngine
) -> None:
    # Given a relay on a Redis that is down
    jobs = await make_jobs(database_url, admin)
    redis = PrivateRedis()
    bus = RedisBus(redis.url)
    relay = OutboxRelay(engine, bus)
    event_id = await jobs.event()
    try:
        # When it passes, then publishing fails and the event waits, positioned, unpublished
        with pytest.raises(BusUnavailable):
            await relay.publish_pending()
        position, published = (await jobs.state())[event_id]
        assert position is not None and not published
        assert await advisory_locks(admin) == 0

        # When Redis is back, then the next pass publishes it at the same position
        await redis.start()
        listener = RedisBus(redis.url)
        await listener.connect()
        try:
            async with listener.subscribe(jobs.channel) as subscriber:
                assert await relay.publish_pending() == 1
                message = await receive(subscriber)
        finally:
            await listener.disconnect()
        assert (message["id"], message["position"]) == (event_id, position)
        assert (await jobs.state())[event_id] == (position, True)
    finally:
        await bus.disconnect()
        await redis.stop()


async def test_a_pass_stopped_while_publishing_releases_the_lock(
    database_url: str, admin: asyncpg.Connection, engine: AsyncEngine, redis: PrivateRedis
) -> None:
    # Given a relay publishing to a Redis that holds every publish (CLIENT PAUSE)
    jobs = await make_jobs(database_url, admin)
    event_id = await jobs.event()
    bus = RedisBus(redis.url)
    control = Redis.from_url(redis.url)
    relay = OutboxRelay(engine, bus)
    try:
        await control.execute_command("CLIENT", "PAUSE", int(TIMEOUT * 1000), "WRITE")
        publishing = asyncio.create_task(relay.publish_pending())
        await wait_for_advisory_locks(admin, held=1)

        # When the pass is cancelled (the app stops) while the publish waits
        publishing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await publishing

        # Then the lock is released, and the event waits for a later pass
        await wait_for_advisory_locks(admin, held=0, waiting=0)
        await control.execute_command("CLIENT", "UNPAUSE")
        assert (await jobs.state())[event_id][1] is False
        assert await relay.publish_pending() == 1
        assert (await jobs.state())[event_id][1] is True
    finally:
        await control.execute_command("CLIENT", "UNPAUSE")
        await control.aclose()
        await bus.disconnect()


async def test_a_pass_failing_otherwise_releases_the_lock(
    database_url: str, admin: asyncpg.Connection, engine: AsyncEngine, redis: PrivateRedis
) -> None:
    # Given a Redis that refuses PUBLISH (an ACL without it: not an outage, an error)
    jobs = await make_jobs(database_url, admin)
    event_id = await jobs.event()
    bus = RedisBus(redis.url)
    control = Redis.from_url(redis.url)
    relay = OutboxRelay(engine, bus)
    try:
        await control.execute_command("ACL", "SETUSER", "default", "-publish")

        # When a pass fails on it, then the lock is released and the event waits
        with pytest.raises(NoPermissionError):
            await relay.publish_pending()
        await wait_for_advisory_locks(admin, held=0, waiting=0)
        assert (await jobs.state())[event_id][1] is False

        # And once PUBLISH is allowed again, the next pass publishes it
        await control.execute_command("ACL", "SETUSER", "default", "+publish")
        assert await relay.publish_pending() == 1
    finally:
        await control.execute_command("ACL", "SETUSER", "default", "+publish")
        await control.aclose()
        await bus.disconnect()


WRITERS = 4
EVENTS_PER_WRITER = 40


async def test_racing_relays_publish_every_event_in_position_order(
    database_url: str, admin: asyncpg.Connection, redis: PrivateRedis
) -> None:
    # Given two relays on separate engines and buses (two processes), and a subscriber that,
    # on every new position, looks at what a replay from the table would show right then
    jobs = await make_jobs(database_url, admin, count=WRITERS)
    engines = [create_engine(database_url, pool_size=1) for _ in range(2)]
    buses = [RedisBus(redis.url) for _ in range(3)]
    for bus in buses:
        await bus.connect()
    relays = [OutboxRelay(engines[n], buses[n], interval=0.05) for n in range(2)]
    observer = await asyncpg.connect(database_url)
    total = WRITERS * sum(2 if n % 3 == 0 else 1 for n in range(EVENTS_PER_WRITER))
    first_seen: list[int] = []
    visible_at: dict[int, list[int]] = {}
    duplicates = 0

    async def watch(subscriber: Subscriber) -> None:
        nonlocal duplicates
        while len(first_seen) < total:
            message = await receive(subscriber)
            position = message["position"]
            if first_seen and position <= first_seen[-1]:
                assert position in first_seen, f"{position} arrived after {first_seen[-1]}"
                duplicates += 1
                continue
            first_seen.append(position)
            visible_at[position] = [
                r["position"]
                for r in await observer.fetch(
                    "SELECT position FROM job_events WHERE company_id = $1 AND position <= $2"
                    " ORDER BY position",
                    jobs.company_id,
                    position,
                )
            ]

    async def write(writer: int) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            for number in range(EVENTS_PER_WRITER):
                if number % 3 == 0:
                    # Two events in one transaction, which may commit after later ones.
                    async with conn.transaction():
                        await jobs.event(writer, conn)
                        await asyncio.sleep(0)
                        await jobs.event(writer, conn)
                    relays[(writer + number) % 2].wake()
                else:
                    await jobs.event(writer, conn)
                    relays[(writer + number) % 2].wake()
                await asyncio.sleep(0)
        finally:
            await conn.close()

    try:
        async with buses[2].subscribe(jobs.channel) as subscriber:
            watcher = asyncio.create_task(watch(subscriber))
            for relay in relays:
                await relay.start()
            # When writers commit events concurrently and wake either relay
            await asyncio.gather(*(write(w) for w in range(WRITERS)))
            for relay in relays:
                relay.wake()
            await asyncio.wait_for(watcher, TIMEOUT)
    finally:
        for relay in relays:
            await relay.stop()
        for bus in buses:
            await bus.disconnect()
        for engine in engines:
            await engine.dispose()
        await observer.close()

    # Then every event was published, new positions arrived strictly increasing, and when each
    # arrived a replay from the table already showed every position below it there will ever be
    state = await jobs.state()
    positions = sorted(position for position, _ in state.values() if position is not None)
    assert len(state) == total and len(positions) == total
    assert all(published for _, published in state.values())
    assert first_seen == positions
    for position, visible in visible_at.items():
        assert visible == [p for p in positions if p <= position]
    assert all(relay.published > 0 for relay in relays), [r.published for r in relays]
    # And no event went out twice: a relay waiting for the lock sees the holder's marks
    assert duplicates == 0


# --- migration -----------------------------------------------------------------------------


async def test_migration_0004_downgrades_and_upgrades() -> None:
    async with private_database() as url:
        conn = await asyncpg.connect(url)
        try:
            functions = "SELECT count(*) FROM pg_proc WHERE proname LIKE 'opus_relay_%'"
            assert await conn.fetchval(functions) == 2
            await asyncio.to_thread(downgrade, url, "0003")
            assert await conn.fetchval(functions) == 0
            await asyncio.to_thread(upgrade, url)
            assert await conn.fetchval(functions) == 2
            assert await conn.fetchval(
                "SELECT bool_and(has_function_privilege('opus_app', oid, 'EXECUTE'))"
                " FROM pg_proc WHERE proname LIKE 'opus_relay_%'"
            )
        finally:
            await conn.close()
        # And the relay works on the upgraded database
        jobs = await make_jobs(url, await asyncpg.connect(url))
        try:
            await jobs.event()
            engine = create_engine(url, pool_size=1)
            try:
                assert await OutboxRelay(engine, MemoryBus()).publish_pending() == 1
            finally:
                await engine.dispose()
        finally:
            await jobs.admin.close()
