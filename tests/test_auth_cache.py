"""Signed-in viewers cached per process (web/auth.py): a token is looked up once, its viewer
then answers without a statement, still scoped to its company, and a logout or a changed user
takes effect at once in this process and through Redis in the others."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from db.auth import Viewer
from db.models import jobs
from db.session import RequestDB
from subscriptions.bus import RedisBus
from tests.conftest import GraphQLClient
from tests.factories import make_job, make_technician, make_user, new_company
from tests.live import (
    TIMEOUT,
    Api,
    PrivateRedis,
    ServerProcess,
    create_tenant,
    private_database,
)
from web.auth import ViewerCache

TYPENAME = "{ __typename }"
VIEWER = "{ viewer { role user { email } technician { id } } }"
JOBS_TOTAL = "{ jobs { totalCount } }"
LOGOUT = "mutation { logout { ok errors { code } } }"


def viewer(user_id: int = 1, token_id: int = 10, **changes: Any) -> Viewer:
    fields: dict[str, Any] = {
        "user_id": user_id,
        "company_id": 7,
        "role": "dispatcher",
        "name": "Dee",
        "email": "dee@example.com",
        "technician_id": None,
        "token_id": token_id,
    }
    return Viewer(**(fields | changes))


# --- the cache on its own ---------------------------------------------------------------------


def test_a_viewer_is_kept_until_its_token_or_user_changes() -> None:
    # given two cached viewers of two users
    cache = ViewerCache(ttl=60)
    cache.put(b"a", viewer(user_id=1, token_id=10), cache.generation)
    cache.put(b"b", viewer(user_id=2, token_id=20), cache.generation)
    assert cache.get(b"a") is not None and cache.get(b"b") is not None

    # when the first token is revoked, then the second user changes
    cache.forget(token_ids=[10])
    after_revoke = (cache.get(b"a"), cache.get(b"b"))
    cache.forget(user_ids=[2])

    # then each is dropped in turn
    assert after_revoke[0] is None and after_revoke[1] is not None
    assert cache.get(b"b") is None


def test_a_lookup_that_raced_a_revocation_is_not_kept() -> None:
    # given a lookup that began before a revocation was dropped from the cache
    cache = ViewerCache(ttl=60)
    began = cache.generation
    cache.forget(token_ids=[10])

    # when it finishes and offers what it read
    cache.put(b"a", viewer(token_id=10), began)

    # then that (possibly revoked) viewer is not kept
    assert cache.get(b"a") is None


def test_nothing_outlives_the_token_or_a_ttl_of_zero() -> None:
    # given a token that has expired, one about to, and a cache that is switched off
    cache = ViewerCache(ttl=60)
    expired = viewer(token_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    fresh = viewer(token_expires_at=datetime.now(UTC) + timedelta(hours=1))
    off = ViewerCache(ttl=0)

    # when they are offered
    cache.put(b"expired", expired, cache.generation)
    cache.put(b"fresh", fresh, cache.generation)
    off.put(b"a", viewer(), off.generation)

    # then only the live token is kept, and only by the cache that is on
    assert cache.get(b"expired") is None
    assert cache.get(b"fresh") == fresh
    assert off.get(b"a") is None


def test_the_oldest_viewer_makes_room() -> None:
    cache = ViewerCache(ttl=60, max_entries=2)
    for name in (b"a", b"b", b"c"):
        cache.put(name, viewer(), cache.generation)
    assert [cache.get(name) is not None for name in (b"a", b"b", b"c")] == [False, True, True]


# --- through the API --------------------------------------------------------------------------


async def test_a_token_is_looked_up_once(gql: GraphQLClient, make_company: Any) -> None:
    # given a company whose token this process has not seen
    tenant = await make_company()

    # when the token is used three times
    first = await gql(TYPENAME, token=tenant.token)
    first_statements = gql.statements
    await gql(TYPENAME, token=tenant.token)
    second_statements = gql.statements
    third = await gql(VIEWER, token=tenant.token)

    # then the first request looks it up (system scope, then the token), the next ones need no
    # statement at all, and the viewer is the same
    assert first == {"data": {"__typename": "Query"}}
    assert (first_statements, second_statements) == (2, 0)
    assert third["data"]["viewer"]["role"] == "ADMIN"


async def test_a_cached_viewer_still_sees_only_its_company(
    gql: GraphQLClient, make_company: Any
) -> None:
    # given two companies with two jobs and one job, their tokens cached
    ours, theirs = await make_company(), await make_company()
    for _ in range(2):
        await make_job(gql, ours.token)
    await make_job(gql, theirs.token)
    await gql(TYPENAME, token=ours.token)

    # when the cached viewer counts jobs
    result = await gql(JOBS_TOTAL, token=ours.token)

    # then it counts its own
    assert result == {"data": {"jobs": {"totalCount": 2}}}


async def test_the_first_statement_is_scoped_even_without_a_filter(
    system_engine: Any, gql: GraphQLClient, make_company: Any
) -> None:
    # given two companies with a job each
    ours, theirs = await make_company(), await make_company()
    await make_job(gql, ours.token)
    await make_job(gql, theirs.token)

    # when a request scoped from a cached viewer runs a statement that filters nothing
    db = RequestDB(system_engine)
    db.scope_before_first_statement(ours.company_id)
    try:
        setting = await db.scalar(text("SELECT current_setting('opus.company_id')"))
        companies = await db.all(
            select(jobs.c.company_id, func.count()).group_by(jobs.c.company_id)
        )
    finally:
        await db.close()

    # then row-level security shows it only its own company's rows
    assert setting == str(ours.company_id)
    assert [tuple(row) for row in companies] == [(ours.company_id, 1)]


async def test_logging_out_stops_a_cached_token_at_once(
    gql: GraphQLClient, make_company: Any
) -> None:
    # given a token this process has cached
    tenant = await make_company()
    await gql(TYPENAME, token=tenant.token)
    await gql(TYPENAME, token=tenant.token)
    assert gql.statements == 0

    # when it signs out
    signed_out = await gql(LOGOUT, token=tenant.token)

    # then the very next request with it is unauthenticated
    refused = await gql(VIEWER, token=tenant.token)
    assert signed_out["data"]["logout"] == {"ok": True, "errors": []}
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_new_technician_profile_shows_at_once(
    gql: GraphQLClient, system_engine: Any
) -> None:
    # given a technician user whose viewer (without a profile yet) is cached
    tenant = await new_company(system_engine)
    user = await make_user(gql, tenant.token, role="TECHNICIAN")
    before = await gql(VIEWER, token=user["token"])
    assert before["data"]["viewer"]["technician"] is None

    # when the office links a technician profile to the user
    technician = await make_technician(gql, tenant.token, userId=user["id"])

    # then the user's next request has it
    after = await gql(VIEWER, token=user["token"])
    assert after["data"]["viewer"]["technician"] == {"id": technician["id"]}


# --- across processes -------------------------------------------------------------------------


@pytest.fixture
async def two_servers() -> AsyncIterator[tuple[str, ServerProcess, ServerProcess]]:
    """Two API processes on one database and one Redis, each keeping viewers for ten minutes:
    only the bus can make a revocation reach the other one sooner."""
    redis = PrivateRedis()
    await redis.start()
    try:
        async with private_database() as url:
            env = {"OPUS_AUTH_CACHE_SECONDS": "600"}
            a = ServerProcess(url, redis.url, env=env, name="auth-a")
            b = ServerProcess(url, redis.url, env=env, name="auth-b")
            await a.start()
            try:
                await b.start()
                try:
                    yield url, a, b
                finally:
                    await b.stop()
            finally:
                await a.stop()
    finally:
        await redis.stop()


async def _statements(api: Api, token: str) -> int:
    response = await api.http.post(
        "/graphql", json={"query": TYPENAME}, headers={"Authorization": f"Bearer {token}"}
    )
    return int(response.headers["server-timing"].split('desc="', 1)[1].split(" ", 1)[0])


async def test_a_token_revoked_in_one_process_stops_working_in_another(
    two_servers: tuple[str, ServerProcess, ServerProcess],
) -> None:
    # given a token that process B has cached
    url, a, b = two_servers
    tenant = await create_tenant(url)
    api_a, api_b = Api(a.url), Api(b.url)
    try:
        await _statements(api_b, tenant.token)
        assert await _statements(api_b, tenant.token) == 0

        # when the token signs out through process A
        assert (await api_a(LOGOUT, token=tenant.token))["logout"]["ok"] is True

        # then B refuses it as soon as A's message arrives, long before its ten minutes are up
        # (polled: the message is another process's to receive, nothing here to await)
        deadline = time.monotonic() + TIMEOUT
        while (await api_b.raw(VIEWER, token=tenant.token)).get("data") is not None:
            assert time.monotonic() < deadline, "process B still accepts the revoked token"
            await asyncio.sleep(0.01)
        refused = await api_b.raw(VIEWER, token=tenant.token)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await api_a.aclose()
        await api_b.aclose()


async def test_a_bus_that_may_have_lost_messages_empties_the_cache() -> None:
    # given a cache listening on Redis, holding a viewer
    redis = PrivateRedis()
    await redis.start()
    bus = RedisBus(redis.url)
    cache = ViewerCache(ttl=600)
    try:
        await bus.connect()
        await cache.start(bus)
        cache.put(b"a", viewer(), cache.generation)

        # when Redis goes away and comes back, so messages may have been missed
        await redis.stop()
        await redis.start()

        # then the cache holds nothing once the bus is back (polled: the reconnect is the bus's)
        deadline = time.monotonic() + TIMEOUT
        while cache.get(b"a") is not None:
            assert time.monotonic() < deadline, "the cache kept a viewer across a reconnect"
            await asyncio.sleep(0.01)
    finally:
        await cache.stop()
        await bus.disconnect()
        await redis.stop()


async def test_a_change_reaches_a_listening_cache() -> None:
    # given two caches on one Redis bus, as two processes have
    redis = PrivateRedis()
    await redis.start()
    buses = [RedisBus(redis.url), RedisBus(redis.url)]
    here, there = ViewerCache(ttl=600), ViewerCache(ttl=600)
    try:
        for bus, cache in zip(buses, (here, there), strict=True):
            await bus.connect()
            await cache.start(bus)
        token = f"token-{uuid.uuid4().hex}".encode()
        there.put(token, viewer(token_id=42), there.generation)
        seen = there.generation

        # when this process revokes the token
        await here.changed(buses[0], token_ids=[42], user_ids=[])

        # then the other cache drops it (polled: delivery is the other bus's reader's)
        deadline = time.monotonic() + TIMEOUT
        while there.generation == seen:
            assert time.monotonic() < deadline, "the change never arrived"
            await asyncio.sleep(0.01)
        assert there.get(token) is None
    finally:
        for cache in (here, there):
            await cache.stop()
        for bus in buses:
            await bus.disconnect()
        await redis.stop()
