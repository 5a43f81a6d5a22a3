"""Fan-out latency of live dispatch events: mutation to receipt at every websocket subscriber.

Not part of the test suite. Run from the repository root:

    .venv/bin/python bench/fanout.py [--subscribers 100,1000] [--events 20]

It creates a throwaway database (dropped at the end) on OPUS_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/postgres), starts a private redis-server and real uvicorn
processes, connects N graphql-transport-ws subscribers to dispatchEvents (spread over the
server processes, from separate client processes), presses visitTransition through the first
server, and prints one JSON line per scenario:

- from_commit_ms: from the mutation's commit to receipt at each subscriber (p50/p99/max over
  every subscriber and event), the issue's measure. The commit is taken as the moment the
  visitTransition HTTP response reached the bench: the server sends it right after COMMIT, on
  loopback, so this errs short by well under a millisecond when the machine is quiet (and a
  subscriber may even be faster than the bench's HTTP client: a value can be slightly negative);
- latency_ms: from just before the visitTransition HTTP request is sent to receipt: what a
  dispatcher sees after pressing the button, the mutation's own time included;
- from_at_ms: from the event's `at` (its transaction's start in PostgreSQL) to receipt;
- rss_kib: VmRSS of each server process, idle and with the subscribers connected and after the
  events were delivered.

Targets (from commit): p99 <= 100 ms on one process with 1,000 subscribers, <= 150 ms split over
two.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import statistics
import struct
import sys
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import uvloop  # noqa: E402

from bench.servers import LOAD_CORE, SERVER_CORE, can_pin  # noqa: E402
from db.engine import create_engine  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.session import system_session  # noqa: E402
from db.tenants import create_company  # noqa: E402
from tests.live import (  # noqa: E402
    BOARD_SUBSCRIPTION,
    Api,
    Office,
    PrivateRedis,
    ServerProcess,
    board_variables,
    settled_cursor,
)

ADMIN_URL = os.environ.get("OPUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
LIGHT_SUBSCRIPTION = """
subscription Board($date: Date!, $after: String) {
  dispatchEvents(date: $date, after: $after) { cursor type at }
}
"""
WARMUP_EVENTS = 2
CONNECT_BATCH = 50
IDLE_SECONDS = 3.0


# --- subscriber processes -----------------------------------------------------------------------


class _Subscriber(asyncio.Protocol):
    """One graphql-transport-ws subscriber, on a hand-rolled websocket client.

    The load generator runs on the same two cores as the server it measures. The `websockets`
    client spent ~120 µs of CPU per received frame (a future and a task wake-up each): with a
    thousand subscribers the generator used more CPU than the server and the figures measured
    it. Here a frame costs a header parse and a json.loads, in data_received.
    """

    def __init__(
        self, host: str, path: str, token: str, payload: dict[str, Any], wanted: int
    ) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode()
        self.token = token
        self.payload = payload
        self.wanted = wanted
        self.receipts: list[tuple[int, float, str]] = []
        self.buffer = b""
        self.upgraded = False
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[list[tuple[int, float, str]]] = (
            asyncio.get_running_loop().create_future()
        )
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.subscribed, self.done):
            if not future.done():
                future.set_exception(RuntimeError(f"connection lost: {exc!r}"))

    def send(self, opcode: int, data: bytes) -> None:
        # Client frames are masked (RFC 6455 5.3); a zero mask keeps the bytes as they are.
        length = len(data)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        else:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        assert self.transport is not None
        self.transport.write(header + b"\0\0\0\0" + data)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(0x1, json.dumps(message).encode())

    def data_received(self, data: bytes) -> None:
        received = time.time()
        buffer = self.buffer + data
        if not self.upgraded:
            head, sep, buffer = buffer.partition(b"\r\n\r\n")
            if not sep:
                self.buffer = head
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.connection_lost(RuntimeError(head.decode(errors="replace")))
                return
            self.upgraded = True
            self.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
            )
        while len(buffer) >= 2:
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                (length,) = struct.unpack_from("!H", buffer, 2)
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                (length,) = struct.unpack_from("!Q", buffer, 2)
                start = 10
            if len(buffer) < start + length:
                break
            frame = buffer[start : start + length]
            buffer = buffer[start + length :]
            if opcode == 0x9:
                self.send(0xA, frame)  # websocket ping
            elif opcode == 0x1:
                self.message(json.loads(frame), received)
            elif opcode == 0x8:
                self.connection_lost(RuntimeError(f"closed by the server: {frame!r}"))
        self.buffer = buffer

    def message(self, message: dict[str, Any], received: float) -> None:
        kind = message["type"]
        if kind == "connection_ack":
            self.send_json({"id": "1", "type": "subscribe", "payload": self.payload})
            self.subscribed.set_result(None)
        elif kind == "ping":
            self.send_json({"type": "pong"})
        elif kind == "next":
            event = message["payload"]["data"]["dispatchEvents"]
            if len(self.receipts) < self.wanted:
                self.receipts.append((len(self.receipts), received, event["at"]))
                if len(self.receipts) == self.wanted:
                    self.done.set_result(self.receipts)
        elif kind != "pong":
            self.connection_lost(RuntimeError(message))


async def _subscriber(
    url: str, token: str, query: str, variables: dict[str, Any], wanted: int, ready: Any
) -> list[tuple[int, float, str]]:
    """Receipts (index, wall-clock time, `at`) of the first `wanted` events."""
    address = urlsplit(url)
    assert address.hostname is not None and address.port is not None
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: _Subscriber(
            address.netloc,
            address.path,
            token,
            {"query": query, "variables": variables},
            wanted,
        ),
        address.hostname,
        address.port,
    )
    try:
        await asyncio.wait_for(protocol.subscribed, 60)
        ready()
        return await protocol.done
    finally:
        transport.close()


async def _subscribers(
    pipe: Connection, urls: list[str], token: str, query: str, variables: dict[str, Any], n: int
) -> None:
    wanted = pipe.recv()
    connected = asyncio.Event()
    count = 0

    def ready() -> None:
        nonlocal count
        count += 1
        if count == n:
            connected.set()

    tasks: list[asyncio.Task[list[tuple[int, float, str]]]] = []
    for start in range(0, n, CONNECT_BATCH):
        batch = [
            asyncio.create_task(
                _subscriber(urls[i % len(urls)], token, query, variables, wanted, ready)
            )
            for i in range(start, min(start + CONNECT_BATCH, n))
        ]
        tasks += batch
        while count < len(tasks):
            for task in tasks:
                if task.done():
                    task.result()  # raises what made a subscriber fail
            await asyncio.sleep(0.01)
    await connected.wait()
    pipe.send("ready")
    cpu_from = time.process_time()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)
    pipe.send((results, time.process_time() - cpu_from))


def subscriber_process(
    pipe: Connection,
    urls: list[str],
    token: str,
    query: str,
    variables: dict[str, Any],
    n: int,
    pin: bool,
) -> None:
    if pin:
        os.sched_setaffinity(0, {LOAD_CORE})
    try:
        # uvloop: the load generator shares the two cores with the server it measures, so
        # the less it spends per received frame, the less it distorts the figures.
        uvloop.run(_subscribers(pipe, urls, token, query, variables, n))
    except BaseException as error:
        pipe.send(f"subscriber process failed: {error!r}")
        raise


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class Scenario:
    processes: int
    bus: str  # "redis" or "memory"
    subscribers: int
    query: str = BOARD_SUBSCRIPTION
    selection: str = "full"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1),
        "mean": round(statistics.fmean(values), 1),
    }


async def run_scenario(
    scenario: Scenario,
    database_url: str,
    redis: PrivateRedis,
    events: int,
    client_processes: int,
    profile: str | None,
    gap_per_1000: float,
    factory: str,
    pin: bool,
) -> dict[str, Any]:
    redis_url = redis.url if scenario.bus == "redis" else None
    servers = [
        ServerProcess(
            database_url,
            redis_url,
            name=f"server{i}",
            factory=factory,
            env={"OPUS_LOG_LEVEL": "warning"},
        )
        for i in range(scenario.processes)
    ]
    await asyncio.gather(*(s.start() for s in servers))
    # As `opus bench` does: one server process on one core, the subscribers on the other, so the
    # load generator's own work does not come out of the server's time. Two server processes
    # take a core each and share them with the subscribers.
    pinned = pin and can_pin() and scenario.processes == 1
    pinning = "none"
    if pinned:
        os.sched_setaffinity(servers[0].pid, {SERVER_CORE})
        pinning = f"server:{SERVER_CORE} subscribers:{LOAD_CORE}"
    elif pin and can_pin():
        for core, server in enumerate(servers[:2]):
            os.sched_setaffinity(server.pid, {core})
        pinning = "servers:0,1"
    api = Api(servers[0].url, timeout=60)
    workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    try:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with system_session(engine) as db:
                company_id, _, token = await create_company(
                    db, f"Bench {uuid.uuid4().hex[:6]}",
                    f"bench-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery",
                )  # fmt: skip
        finally:
            await engine.dispose()
        office = Office(api, token)
        visit = await office.visit()
        await office.advance(visit, 3)  # WORKING; from here it alternates PAUSED / WORKING
        cursor = await settled_cursor(database_url, company_id)
        rss_idle = [s.rss_kib() for s in servers]

        context = multiprocessing.get_context("spawn")
        per_worker = [
            scenario.subscribers // client_processes + (i < scenario.subscribers % client_processes)
            for i in range(client_processes)
        ]
        urls = [s.ws_url for s in servers]
        wanted = WARMUP_EVENTS + events
        for i, n in enumerate(per_worker):
            if n == 0:
                continue
            ours, theirs = context.Pipe()
            # Each worker spreads its subscribers over the servers, so every process gets half.
            worker_urls = urls[i % len(urls) :] + urls[: i % len(urls)]
            process = context.Process(
                target=subscriber_process,
                args=(
                    theirs, worker_urls, token, scenario.query,
                    board_variables(visit.day, cursor), n, pinned,
                ),
                daemon=True,
            )  # fmt: skip
            process.start()
            ours.send(wanted)
            workers.append((process, ours))
        for _, pipe in workers:
            reply = await asyncio.to_thread(pipe.recv)
            if reply != "ready":
                raise RuntimeError(reply)
        rss_connected = [s.rss_kib() for s in servers]
        idle_from = [cpu_seconds(s.pid) for s in servers]
        await asyncio.sleep(IDLE_SECONDS)
        cpu_before = [cpu_seconds(s.pid) for s in servers]
        idle_cpu = [(b - a) / IDLE_SECONDS for a, b in zip(idle_from, cpu_before, strict=True)]

        profiler = None
        if profile:
            # Collapsed stacks (flamegraph.pl / speedscope input) of the first server.
            output = Path(profile) / f"fanout-{scenario.processes}p-{scenario.subscribers}.txt"
            profiler = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record",
                "--pid", str(servers[0].pid), "--format", "raw", "--output", str(output),
                "--rate", "250", "--nonblocking",
            )  # fmt: skip
            await asyncio.sleep(1)

        sent: list[float] = []
        committed: list[float] = []
        # Events spaced out so each one's fan-out is measured alone, not queued behind the
        # previous one's.
        gap = max(0.3, scenario.subscribers / 1000 * gap_per_1000)
        for _ in range(wanted):
            started = time.time()
            sent.append(started)
            await office.advance(visit)
            committed.append(time.time())
            await asyncio.sleep(max(0.0, started + gap - time.time()))
        results: list[list[list[tuple[int, float, str]]]] = []
        client_cpu = 0.0
        for _, pipe in workers:
            reply = await asyncio.wait_for(asyncio.to_thread(pipe.recv), 300)
            if isinstance(reply, str):
                raise RuntimeError(reply)
            results.append(reply[0])
            client_cpu += reply[1]
        rss_after = [s.rss_kib() for s in servers]
        cpu = [cpu_seconds(s.pid) - before for s, before in zip(servers, cpu_before, strict=True)]
        phase_seconds = time.time() - sent[0]
        if profiler is not None:
            profiler.send_signal(2)
            await profiler.wait()

        latencies: list[float] = []
        from_commit: list[float] = []
        from_at: list[float] = []
        for worker_results in results:
            for receipts in worker_results:
                for index, received, at in receipts[WARMUP_EVENTS:]:
                    latencies.append((received - sent[index]) * 1000)
                    from_commit.append((received - committed[index]) * 1000)
                    from_at.append((received - _epoch(at)) * 1000)
        target = 100 if scenario.processes == 1 else 150
        after_commit = summary(from_commit)
        return {
            "processes": scenario.processes,
            "pinning": pinning,
            "bus": scenario.bus,
            "subscribers": scenario.subscribers,
            "selection": scenario.selection,
            "events": events,
            "gap_s": gap,
            "samples": len(latencies),
            "from_commit_ms": after_commit,
            "target_p99_ms": target,
            "met": after_commit["p99"] <= target,
            "latency_ms": summary(latencies),
            "from_at_ms": summary(from_at),
            "rss_kib": {"idle": rss_idle, "connected": rss_connected, "after": rss_after},
            # Server CPU (user + system) spent per event while the events were delivered: what
            # the fan-out costs, whatever else the machine was doing.
            "server_cpu_ms_per_event": [
                round((c - idle * phase_seconds) * 1000 / wanted, 1)
                for c, idle in zip(cpu, idle_cpu, strict=True)
            ],
            "server_cpu_idle_percent": [round(idle * 100, 1) for idle in idle_cpu],
            # The subscriber processes' CPU per event, all together: on two cores the load
            # generator competes with the server for the same time.
            "client_cpu_ms_per_event": round(client_cpu * 1000 / wanted, 1),
        }
    finally:
        for worker, _ in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
        await api.aclose()
        await asyncio.gather(*(s.stop() for s in servers))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _epoch(at: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(at).timestamp()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", default="100,1000")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument(
        "--gap", type=float, default=1.5, help="seconds between events per 1,000 subscribers"
    )
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--memory-bus", action="store_true", help="also one process, memory bus")
    parser.add_argument("--light", action="store_true", help="also a cursor/type/at selection")
    parser.add_argument("--factory", default="web.app:app_from_env", help="uvicorn app factory")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the first server into DIR")
    parser.add_argument(
        "--no-pin", action="store_true", help="leave every process free to use any core"
    )
    args = parser.parse_args()

    name = f"opus_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = ADMIN_URL.rpartition("/")
    database_url = f"{base}/{name}"
    redis = PrivateRedis()
    try:
        await asyncio.to_thread(upgrade, database_url)
        await redis.start()
        scenarios: list[Scenario] = []
        for subscribers in (int(n) for n in args.subscribers.split(",")):
            for processes in (int(p) for p in args.processes.split(",")):
                scenarios.append(Scenario(processes, "redis", subscribers))
            if args.memory_bus:
                scenarios.append(Scenario(1, "memory", subscribers))
            if args.light:
                scenarios.append(Scenario(1, "redis", subscribers, LIGHT_SUBSCRIPTION, "light"))
        for scenario in scenarios:
            result = await run_scenario(
                scenario,
                database_url,
                redis,
                args.events,
                args.client_processes,
                args.profile,
                args.gap,
                args.factory,
                not args.no_pin,
            )
            print(json.dumps(result), flush=True)
    finally:
        await redis.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
