"""Helpers for the browser tests: a database of their own with the demo company, a real server
process, Chromium through Playwright, and a small GraphQL client for setting the scene and
checking the database through the API.

Nothing here is a pytest fixture; tests/test_web_board.py builds its fixtures from these.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from playwright.async_api import Browser, Page, Playwright

from db.demo import load_demo
from db.engine import create_engine
from db.migrate import upgrade
from db.session import system_session
from web.app import create_app
from web.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
STARTUP_TIMEOUT = 30.0


ADMIN_URL = os.environ.get("OPUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A migrated, empty database of the browser tests' own, dropped afterwards.

    The browser tests do not share the test run's database: every API process on a database runs
    an outbox relay that publishes whatever events it finds to its own bus, so the in-process app
    of the other tests (memory bus) could publish the server's events where the page never
    listens. Several processes need one Redis for that; a database of our own needs nothing.
    """
    name = f"opus_web_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def load_demo_company(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with system_session(engine) as db:
            await load_demo(db)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def in_process_api(database_url: str, token: str | None) -> AsyncIterator[Api]:
    """Another API process on the same database, for as long as the block lasts."""
    data_dir = tempfile.mkdtemp(prefix="opus-web-other-")
    app = create_app(load_settings({"DATABASE_URL": database_url, "OPUS_DATA_DIR": data_dir}))
    async with app.router.lifespan_context(app):
        api = Api("http://opus.test", token, transport=httpx.ASGITransport(app=app))
        try:
            yield api
        finally:
            await api.aclose()
            # Stop only once the relay has published what the block wrote: on Python 3.11,
            # cancelling OutboxRelay._run right after wake() is swallowed by asyncio.wait_for
            # and the shutdown never ends.
            await events_published(database_url)


async def events_published(database_url: str) -> None:
    """Wait (up to 10 s) until every job event of the database has a position and was published."""
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(10):
            while await conn.fetchval(  # noqa: ASYNC110 - polling the table, nothing to await
                "SELECT count(*) FROM job_events WHERE position IS NULL OR published_at IS NULL"
            ):
                await asyncio.sleep(0.02)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebServer:
    """`uvicorn web.app:app_from_env --factory` in a process of its own, on a fixed port so a
    restarted server is the same address to the page."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="opus-web-"))
        self.log_path = self.data_dir / "server.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "OPUS_DATA_DIR": str(self.data_dir),
            "OPUS_LOAD_DEMO": "false",
            "OPUS_RELAY_INTERVAL_MS": "200",
            "PYTHONUNBUFFERED": "1",
        }
        # The in-memory bus: one process, and no traffic shared with other test runs on Redis.
        self.env.pop("REDIS_URL", None)
        self.process: asyncio.subprocess.Process | None = None

    def log(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "uvicorn", "web.app:app_from_env", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", "--timeout-graceful-shutdown", "2",
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"server exited:\n{self.log()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    await self.stop()
                    raise RuntimeError(f"server not ready:\n{self.log()}")
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def launch_chromium(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Api:
    """GraphQL over HTTP as one user; raises on errors so a test never reads half an answer."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10, transport=transport)
        self.token = token

    async def aclose(self) -> None:
        await self.http.aclose()

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        result = await self.raw(query, variables)
        assert not result.get("errors"), result["errors"]
        data: dict[str, Any] = result["data"]
        for payload in data.values():
            if isinstance(payload, dict):
                assert not payload.get("errors"), payload["errors"]
        return data

    async def sign_in(self, email: str, password: str) -> str:
        data = await self(LOGIN, input={"email": email, "password": password})
        self.token = data["login"]["token"]
        return self.token

    async def today(self) -> date:
        """The company's today: the day the board opens on."""
        data = await self("{ viewer { company { timezone } } }")
        return datetime.now(ZoneInfo(data["viewer"]["company"]["timezone"])).date()

    async def board(self, day: date) -> dict[str, Any]:
        return (await self(BOARD, date=day.isoformat()))["dispatchBoard"]

    async def visits(self, day: date) -> dict[str, dict[str, Any]]:
        """Every visit on the day's board by id."""
        board = await self.board(day)
        found = {v["id"]: v for lane in board["lanes"] for v in lane["visits"]}
        found.update({v["id"]: v for v in board["unassigned"]})
        return found

    async def transition(self, visit_id: str, to: str, **extra: Any) -> dict[str, Any]:
        data = await self(TRANSITION, input={"visitId": visit_id, "to": to, **extra})
        return data["visitTransition"]["visit"]

    async def visit(self, visit_id: str) -> dict[str, Any]:
        return (await self(VISIT, id=visit_id))["node"]

    async def job_filter_has(self, field: str) -> bool:
        data = await self('{ __type(name: "JobFilter") { inputFields { name } } }')
        return field in {f["name"] for f in data["__type"]["inputFields"]}

    async def job_count(self, **flt: Any) -> int:
        return (await self(JOB_COUNT, filter=flt))["jobs"]["totalCount"]


LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { token errors { code message } } }"""
BOARD = """query($date: Date!) { dispatchBoard(date: $date) {
  lanes { technician { id name } visits { id status isLate technicians { id } } }
  unassigned { id status isLate technicians { id } } } }"""
TRANSITION = """mutation($input: VisitTransitionInput!) {
  visitTransition(input: $input) { visit { id status version } errors { code message } } }"""
VISIT = """query($id: ID!) { node(id: $id) { ... on Visit { id status statusReason version } } }"""
JOB_COUNT = """query($filter: JobFilter) { jobs(first: 1, filter: $filter) { totalCount } }"""


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
