"""Two API processes sharing the test database and one (private) Redis.

An event made through one process reaches subscribers of the other; a Redis outage loses
nothing and repeats nothing (the relay retries, the bus reconnects and the stream replays).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.live import (
    BOARD_SUBSCRIPTION,
    JOB_SUBSCRIPTION,
    Api,
    GraphQLSocket,
    Office,
    PrivateRedis,
    ServerProcess,
    board_variables,
    create_tenant,
    positions,
    private_database,
    settled_cursor,
)

RELAY_FAILED = "outbox relay pass failed"
LOGOUT = "mutation { logout { ok errors { code message } } }"
BUS_LOST = "Redis pub/sub connection lost"


async def unpublished(database_url: str, company_id: int) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM job_events WHERE company_id = $1 AND published_at IS NULL",
            company_id,
        )
    finally:
        await conn.close()
    return int(count)


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    """This module's own database (see tests/live.py `private_database`)."""
    async with private_database() as url:
        yield url


@pytest.fixture(scope="module")
async def servers(
    database_url: str, redis: PrivateRedis
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    a = ServerProcess(database_url, redis.url, name="a")
    b = ServerProcess(database_url, redis.url, name="b")
    try:
        await asyncio.gather(a.start(), b.start())
        yield a, b
    finally:
        await asyncio.gather(a.stop(), b.stop())


@pytest.fixture(scope="module")
async def api_a(servers: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[Api]:
    client = Api(servers[0].url)
    yield client
    await client.aclose()


async def test_transition_through_a_reaches_subscriber_of_b(
    servers: tuple[ServerProcess, ServerProcess],
    api_a: Api,
    database_url: str,
) -> None:
    _, b = servers
    tenant = await create_tenant(database_url)
    office = Office(api_a, tenant.token)
    visit = await office.visit()
    cursor = await settled_cursor(database_url, tenant.company_id)
    async with GraphQLSocket.open(b.ws_url) as socket:
        await socket.init(tenant.token)
        await socket.subscribe("board", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        await socket.subscribe("job", JOB_SUBSCRIPTION, {"jobId": visit.job_id, "after": cursor})
        types = await office.advance(visit, 3)
        board = await socket.events("board", 3)
        job = await socket.events("job", 4)

    assert [e["type"] for e in board] == types
    assert [e["type"] for e in job] == [types[0], "job.status_changed", *types[1:]]
    assert positions(board) == sorted(positions(board))


async def test_signing_out_through_a_closes_that_tokens_socket_on_b(
    servers: tuple[ServerProcess, ServerProcess],
    api_a: Api,
    database_url: str,
) -> None:
    _, b = servers
    tenant = await create_tenant(database_url)
    office = Office(api_a, tenant.token)
    technician = await office.technician(with_login=True)
    visit = await office.visit()
    variables = board_variables(visit.day, await settled_cursor(database_url, tenant.company_id))
    assert technician.token is not None
    async with (
        GraphQLSocket.open(b.ws_url) as leaving,
        GraphQLSocket.open(b.ws_url) as staying,
    ):
        await leaving.init(tenant.token)
        await staying.init(technician.token)
        await leaving.subscribe("board", BOARD_SUBSCRIPTION, variables)
        await staying.subscribe("board", BOARD_SUBSCRIPTION, variables)

        assert (await api_a(LOGOUT, None, tenant.token))["logout"]["ok"] is True

        # The signed-out screen learns it at once, as a bad token at connection_init would.
        assert await leaving.close_code() == 4403
        # Everyone else's keep going.
        await staying.ping()


async def test_redis_outage_loses_and_repeats_nothing(
    servers: tuple[ServerProcess, ServerProcess],
    redis: PrivateRedis,
    api_a: Api,
    database_url: str,
) -> None:
    a, b = servers
    tenant = await create_tenant(database_url)
    office = Office(api_a, tenant.token)
    visit = await office.visit()
    cursor = await settled_cursor(database_url, tenant.company_id)
    async with GraphQLSocket.open(b.ws_url) as socket:
        await socket.init(tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        expected = await office.advance(visit, 2)
        received = await socket.events("1", 2)

        relay_failures = a.log_count(RELAY_FAILED)
        bus_drops = b.log_count(BUS_LOST)
        await redis.stop()
        try:
            # They commit; A's relay cannot publish and keeps them for a later pass.
            expected += await office.advance(visit, 4)
            await a.wait_for_log(RELAY_FAILED, relay_failures)
            await b.wait_for_log(BUS_LOST, bus_drops)
            assert await unpublished(database_url, tenant.company_id) > 0
        finally:
            await redis.start()
        expected += await office.advance(visit, 2)
        received += await socket.events("1", 6, within=20)
        # Whatever was delivered twice (republished, replayed) would come before this one.
        expected += await office.advance(visit)
        received += await socket.events("1", 1)

    assert [e["type"] for e in received] == expected, (a.log(), b.log())
    ordered = positions(received)
    assert ordered == sorted(ordered)
    assert len(set(ordered)) == len(expected) == 9
