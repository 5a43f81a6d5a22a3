"""Fixtures: a fresh PostgreSQL database per test run, the app, an HTTP client, small factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from db.engine import create_engine
from db.migrate import upgrade
from db.session import system_session
from db.tenants import create_company
from tests.live import PrivateRedis
from web.app import create_app
from web.settings import load_settings

ADMIN_URL = os.environ.get("OPUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("OPUS_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of its own for this test run, migrated to head, dropped at the end."""
    name = f"opus_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = _with_database(ADMIN_URL, name)
    try:
        import asyncio

        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[Starlette]:
    settings = load_settings({"DATABASE_URL": database_url, "OPUS_DATA_DIR": "/tmp/opus-tests"})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://opus.test") as http:
        yield http


@dataclass
class Tenant:
    company_id: int
    user_id: int
    token: str
    name: str


@pytest.fixture(scope="session")
async def system_engine(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def make_company(system_engine: Any) -> Any:
    """make_company(name=None) -> Tenant with an admin token."""

    async def make(name: str | None = None) -> Tenant:
        label = name or f"Company {uuid.uuid4().hex[:6]}"
        async with system_session(system_engine) as db:
            company_id, user_id, token = await create_company(
                db, label, f"admin-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
            )
        return Tenant(company_id, user_id, token, label)

    return make


class GraphQLClient:
    """Posts GraphQL documents the way a client would and returns the decoded response."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.last_response: httpx.Response | None = None

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        self.last_response = response
        return response.json()  # type: ignore[no-any-return]

    @property
    def statements(self) -> int:
        """SQL statements the last request ran, read from its Server-Timing header."""
        assert self.last_response is not None
        header = self.last_response.headers["server-timing"]
        desc = header.split('desc="', 1)[1]
        return int(desc.split(" ", 1)[0])


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture(scope="session")
def anyio_backend() -> Iterator[str]:
    yield "asyncio"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its production cost takes about half a second per hash on a busy machine, and
    tests create users and sign in often. Hashes made at the lowest cost are still real argon2
    hashes, checked by the same code."""
    from argon2 import PasswordHasher

    import db.auth

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db.auth, "_hasher", cheap)
        patch.setattr(db.auth, "_DUMMY_HASH", cheap.hash("not a password"))
        yield


@pytest.fixture(scope="module")
async def redis() -> AsyncIterator[PrivateRedis]:
    """A redis-server of the module's own (tests/live.py), for tests that stop or reconfigure
    it, or count what reaches it."""
    server = PrivateRedis()
    await server.start()
    yield server
    await server.stop()
