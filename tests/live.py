"""Helpers for the live tests: real server processes, a private Redis, GraphQL over HTTP and
over websockets (graphql-transport-ws and the legacy graphql-ws protocol).

Nothing here is a pytest fixture; the test modules build their fixtures from these pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from db.engine import create_engine
from db.migrate import upgrade
from db.session import system_session
from db.tenants import create_company
from schema.dispatch import parse_stream_cursor, stream_cursor

ROOT = Path(__file__).resolve().parents[1]
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
# Upper bound for anything we wait on; a passing run never comes close.
TIMEOUT = 10.0

BOARD_SUBSCRIPTION = """
subscription Board($date: Date!, $after: String) {
  dispatchEvents(date: $date, after: $after) {
    cursor type at actor visit { id status } job { id number }
  }
}
"""
JOB_SUBSCRIPTION = """
subscription JobEvents($jobId: ID!, $after: String) {
  jobEvents(jobId: $jobId, after: $after) {
    cursor type at actor visit { id status } job { id number }
  }
}
"""


ADMIN_URL = os.environ.get("OPUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def private_database() -> AsyncIterator[str]:
    """A database of its own, migrated to head, dropped afterwards.

    Live tests cannot share the suite's database: every process that serves the API runs an
    outbox relay, and the in-process app of the other tests (memory bus) would publish some of
    these servers' events to a bus no subscriber of theirs listens to, and mark them published.
    """
    name = f"opus_live_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
        try:
            await asyncio.to_thread(upgrade, url)
            yield url
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Tenant:
    company_id: int
    token: str


async def create_tenant(database_url: str) -> Tenant:
    """A new company with an admin, made directly in the database; the admin's token."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with system_session(engine) as db:
            company_id, _, token = await create_company(
                db,
                f"Company {uuid.uuid4().hex[:6]}",
                f"admin-{uuid.uuid4().hex[:10]}@example.com",
                "correct horse battery",
            )
    finally:
        await engine.dispose()
    return Tenant(company_id, token)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class PrivateRedis:
    """A throwaway redis-server on a free port that a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if time.monotonic() > deadline or self._process.returncode is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                await asyncio.sleep(0.02)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await asyncio.wait_for(self._process.wait(), TIMEOUT)
        self._process = None


class ServerProcess:
    """`uvicorn web.app:app_from_env --factory` in a process of its own."""

    def __init__(
        self,
        database_url: str,
        redis_url: str | None,
        *,
        factory: str = "web.app:app_from_env",
        env: dict[str, str] | None = None,
        name: str = "server",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.factory = factory
        self.name = name
        self.data_dir = Path(tempfile.mkdtemp(prefix="opus-live-"))
        self.log_path = self.data_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "OPUS_DATA_DIR": str(self.data_dir),
            "OPUS_RELAY_INTERVAL_MS": "200",
            "OPUS_LOAD_DEMO": "false",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        else:
            self.env.pop("REDIS_URL", None)
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "uvicorn", self.factory, "--factory",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", "--no-access-log",
                "--ws-per-message-deflate", "false",  # as `opus serve` runs
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}:\n"
                        + _log_tail(self.log_path)
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    await self.stop()
                    raise RuntimeError(f"{self.name} not healthy:\n{_log_tail(self.log_path)}")
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log(self) -> str:
        return _log_tail(self.log_path)

    def log_count(self, text: str) -> int:
        """How often `text` occurs in the process's output so far."""
        return self.log_path.read_text(errors="replace").count(text)

    async def wait_for_log(self, text: str, more_than: int, within: float = TIMEOUT) -> None:
        """Poll the output until `text` occurs more than `more_than` times."""
        deadline = time.monotonic() + within
        while self.log_count(text) <= more_than:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never logged {text!r}:\n{self.log()}")
            await asyncio.sleep(0.02)

    def rss_kib(self) -> int:
        """Resident memory of the process, from /proc (VmRSS, in KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def app_for_tests() -> Any:
    """`app_from_env` with the websocket timings shortened for tests (uvicorn --factory).

    OPUS_TEST_WS_INIT_TIMEOUT_MS sets how long a connection may stay without connection_init
    (strawberry's default is a minute, too long to wait for in a test).
    """
    from starlette.routing import WebSocketRoute

    from web.app import app_from_env

    app = app_from_env()
    init_ms = int(os.environ.get("OPUS_TEST_WS_INIT_TIMEOUT_MS", "0"))
    if init_ms:
        for route in app.routes:
            if isinstance(route, WebSocketRoute):
                route.app.connection_init_wait_timeout = timedelta(milliseconds=init_ms)  # type: ignore[attr-defined]
    return app


class GraphQLError(AssertionError):
    pass


class Api:
    """GraphQL over HTTP against one server process."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """`data` of the response; raises on GraphQL errors and on payload `errors`."""
        result = await self.raw(query, variables, token)
        if result.get("errors"):
            raise GraphQLError(result["errors"])
        data: dict[str, Any] = result["data"]
        for payload in data.values():
            if isinstance(payload, dict) and payload.get("errors"):
                raise GraphQLError(payload["errors"])
        return data


# --- data made through the API ----------------------------------------------------------------


@dataclass
class Technician:
    id: str
    token: str | None = None


@dataclass
class Visit:
    id: str
    job_id: str
    job_number: str
    start: datetime
    status: str = "SCHEDULED"
    # Statuses this visit went through, in order, by `Office.advance`.
    history: list[str] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.start.date()  # companies are made in UTC


# Field moves that can go on as long as a test needs: the WORKING <-> PAUSED loop.
_NEXT = {
    "SCHEDULED": "EN_ROUTE",
    "EN_ROUTE": "ARRIVED",
    "ARRIVED": "WORKING",
    "WORKING": "PAUSED",
    "PAUSED": "WORKING",
}

_CUSTOMER = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code message } } }"""
_LOCATION = """mutation($input: LocationCreateInput!) {
  locationCreate(input: $input) { location { id } errors { code message } } }"""
_USER = """mutation($input: UserCreateInput!) {
  userCreate(input: $input) { user { id } errors { code message } } }"""
_TECHNICIAN = """mutation($input: TechnicianCreateInput!) {
  technicianCreate(input: $input) { technician { id } errors { code message } } }"""
_LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { token errors { code message } } }"""
_JOB = """mutation($input: JobCreateInput!) {
  jobCreate(input: $input) { job { id number } errors { code message } } }"""
_VISIT = """mutation($input: VisitCreateInput!) {
  visitCreate(input: $input) { visit { id } errors { code message } } }"""
_TRANSITION = """mutation($input: VisitTransitionInput!) {
  visitTransition(input: $input) { visit { status } errors { code message } } }"""


class Office:
    """A company's admin making things through the HTTP API."""

    def __init__(self, api: Api, token: str) -> None:
        self.api = api
        self.token = token
        self._customer: tuple[str, str] | None = None

    async def call(self, query: str, **input: Any) -> dict[str, Any]:
        data = await self.api(query, {"input": input}, self.token)
        return next(iter(data.values()))

    async def actor_name(self) -> str:
        data = await self.api("{ viewer { user { name } } }", token=self.token)
        return data["viewer"]["user"]["name"]

    async def customer(self) -> tuple[str, str]:
        if self._customer is None:
            customer = (await self.call(_CUSTOMER, name="Live Test Customer"))["customer"]["id"]
            location = (
                await self.call(_LOCATION, customerId=customer, street="1 Main St", city="Town")
            )["location"]["id"]
            self._customer = (customer, location)
        return self._customer

    async def technician(self, *, with_login: bool = False) -> Technician:
        label = uuid.uuid4().hex[:8]
        user_id = None
        email = f"tech-{label}@example.com"
        if with_login:
            user = await self.call(
                _USER, email=email, name=f"Tech {label}", role="TECHNICIAN", password="pw-" + label
            )
            user_id = user["user"]["id"]
        technician = await self.call(_TECHNICIAN, name=f"Tech {label}", userId=user_id)
        token = None
        if with_login:
            token = (await self.call(_LOGIN, email=email, password="pw-" + label))["token"]
        return Technician(technician["technician"]["id"], token)

    async def job(self) -> tuple[str, str]:
        customer, location = await self.customer()
        job = (await self.call(_JOB, customerId=customer, locationId=location, title="Live"))["job"]
        return job["id"], job["number"]

    async def visit(
        self, technicians: Sequence[Technician] = (), job: tuple[str, str] | None = None
    ) -> Visit:
        job_id, number = job or await self.job()
        start = datetime.now(UTC).replace(microsecond=0)
        visit = await self.call(
            _VISIT,
            jobId=job_id,
            start=start.isoformat(),
            end=(start + timedelta(hours=1)).isoformat(),
            technicianIds=[t.id for t in technicians],
            allowOverlap=True,
        )
        return Visit(visit["visit"]["id"], job_id, number, start)

    async def advance(self, visit: Visit, count: int = 1) -> list[str]:
        """Press the next field status `count` times; returns the event types written."""
        types = []
        for _ in range(count):
            target = _NEXT[visit.status]
            extra = {"reason": "waiting for parts"} if target == "PAUSED" else {}
            result = await self.call(_TRANSITION, visitId=visit.id, to=target, **extra)
            assert result["visit"]["status"] == target, result
            visit.status = target
            visit.history.append(target)
            types.append(f"visit.{target.lower()}")
        return types


async def settled_cursor(database_url: str, company_id: int) -> str:
    """Wait until the relay has positioned and published every event of the company; return
    the stream cursor of the newest one (what a client that saw everything would hold).

    Subscribing with it gives exactly the events made afterwards: no race with the server's
    own notion of "now" (a subscription without `after` starts wherever the table is when the
    server gets to it, which a client cannot observe).
    """
    deadline = time.monotonic() + TIMEOUT
    conn = await asyncpg.connect(database_url)
    try:
        while True:
            pending, head = await conn.fetchrow(
                """
                SELECT count(*) FILTER (WHERE position IS NULL OR published_at IS NULL),
                       coalesce(max(position), 0)
                FROM job_events WHERE company_id = $1
                """,
                company_id,
            )
            if pending == 0:
                return stream_cursor(int(head))
            if time.monotonic() > deadline:
                raise AssertionError(f"{pending} events of company {company_id} unpublished")
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


# --- websockets --------------------------------------------------------------------------------


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"websocket closed: {code} {reason}")
        self.code = code
        self.reason = reason


class GraphQLSocket:
    """A client of graphql-transport-ws (default) or of the legacy graphql-ws protocol."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        # Messages of other operations read while waiting for one, kept for their own `next`.
        self.unread: dict[str | None, list[dict[str, Any]]] = {}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, protocol: str = TRANSPORT_WS) -> AsyncIterator[GraphQLSocket]:
        async with connect(url, subprotocols=[Subprotocol(protocol)], open_timeout=TIMEOUT) as ws:
            assert ws.subprotocol == protocol
            yield cls(ws, protocol)

    @property
    def legacy(self) -> bool:
        return self.protocol == LEGACY_WS

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, within: float = TIMEOUT) -> dict[str, Any]:
        """The next message; raises `Closed` with the close code when the server closed."""
        try:
            raw = await asyncio.wait_for(self.ws.recv(), within)
        except ConnectionClosed as closed:
            frame = closed.rcvd
            raise Closed(frame.code if frame else None, frame.reason if frame else "") from None
        message: dict[str, Any] = json.loads(raw)
        return message

    async def close_code(self, within: float = TIMEOUT) -> int | None:
        """Read until the server closes the socket; its close code."""
        while True:
            try:
                await self.receive(within)
            except Closed as closed:
                return closed.code

    async def init(self, token: str | None, payload: dict[str, Any] | None = None) -> None:
        if payload is None:
            payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any]) -> None:
        payload = {"query": query, "variables": variables}
        kind = "start" if self.legacy else "subscribe"
        await self.send({"id": op_id, "type": kind, "payload": payload})

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "stop" if self.legacy else "complete"})

    async def next(self, op_id: str, within: float = TIMEOUT) -> dict[str, Any]:
        """`data` of the next result of operation `op_id`; other messages are kept aside."""
        message = await self.message(op_id, within)
        kind = message["type"]
        if kind in ("next", "data"):
            result = message["payload"]
            if result.get("errors"):
                raise GraphQLError(result["errors"])
            return result["data"]
        raise GraphQLError(message)

    async def message(self, op_id: str, within: float = TIMEOUT) -> dict[str, Any]:
        """The next message about operation `op_id` (next, error, complete, ...)."""
        unread = self.unread.get(op_id)
        if unread:
            return unread.pop(0)
        deadline = time.monotonic() + within
        while True:
            message = await self.receive(max(deadline - time.monotonic(), 0.001))
            kind = message["type"]
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "ka":
                pass
            elif message.get("id") == op_id:
                return message
            else:
                self.unread.setdefault(message.get("id"), []).append(message)

    async def events(self, op_id: str, count: int, within: float = TIMEOUT) -> list[dict[str, Any]]:
        """The next `count` events of a dispatchEvents/jobEvents operation."""
        results = [await self.next(op_id, within) for _ in range(count)]
        return [next(iter(result.values())) for result in results]

    async def ping(self) -> None:
        """A round trip (graphql-transport-ws): everything the server sent before is read."""
        await self.send({"type": "ping"})
        while True:
            message = await self.receive()
            if message["type"] == "pong":
                return
            if message["type"] != "ka":
                self.unread.setdefault(message.get("id"), []).append(message)


def board_variables(visit_day: date, after: str | None) -> dict[str, Any]:
    return {"date": visit_day.isoformat(), "after": after}


def positions(events: Sequence[dict[str, Any]]) -> list[int]:
    return [int(parse_stream_cursor(e["cursor"]) or 0) for e in events]
