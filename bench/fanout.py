"""Fan-out latency of live dispatch events: mutation to receipt at every websocket subscriber.

Not part of the test suite. Run from the repository root:

    .venv/bin/python bench/fanout.py [--subscribers 100,1000] [--events 20]

It creates a throwaway database (dropped at the end) on OPUS_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/postgres), starts a private redis-server and real uvicorn
processes, connects N graphql-transport-ws subscribers to dispatchEvents (spread over the
server processes, from separate client processes), presses visitTransition through the first
server, and prints one JSON line per scenario:

- latency_ms: from just before the visitTransition HTTP request is sent to receipt at each
  subscriber (p50/p99/max over every subscriber and event);
- from_at_ms: from the event's `at` (its transaction's start in PostgreSQL) to receipt;
- rss_kib: VmRSS of each server process, idle and with the subscribers connected and after the
  events were delivered.

Targets: p99 <= 100 ms on one process with 1,000 subscribers, <= 150 ms split over two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

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


async def _subscriber(
    url: str, token: str, query: str, variables: dict[str, Any], wanted: int, ready: Any
) -> list[tuple[int, float, str]]:
    """Receipts (index, wall-clock time, `at`) of the first `wanted` events."""
    receipts: list[tuple[int, float, str]] = []
    async with connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        max_queue=None,
        open_timeout=60,
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        ready()
        while len(receipts) < wanted:
            raw = await ws.recv()
            received = time.time()
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
                continue
            if message["type"] != "next":
                raise RuntimeError(message)
            event = message["payload"]["data"]["dispatchEvents"]
            receipts.append((len(receipts), received, event["at"]))
    return receipts


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
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)
    pipe.send(results)


def subscriber_process(
    pipe: Connection, urls: list[str], token: str, query: str, variables: dict[str, Any], n: int
) -> None:
    try:
        asyncio.run(_subscribers(pipe, urls, token, query, variables, n))
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
                    board_variables(visit.day, cursor), n,
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
        # Events spaced out so each one's fan-out is measured alone, not queued behind the
        # previous one's.
        gap = max(0.3, scenario.subscribers / 1000 * gap_per_1000)
        for _ in range(wanted):
            started = time.time()
            sent.append(started)
            await office.advance(visit)
            await asyncio.sleep(max(0.0, started + gap - time.time()))
        results: list[list[list[tuple[int, float, str]]]] = []
        for _, pipe in workers:
            reply = await asyncio.wait_for(asyncio.to_thread(pipe.recv), 300)
            if isinstance(reply, str):
                raise RuntimeError(reply)
            results.append(reply)
        rss_after = [s.rss_kib() for s in servers]
        cpu = [cpu_seconds(s.pid) - before for s, before in zip(servers, cpu_before, strict=True)]
        phase_seconds = time.time() - sent[0]
        if profiler is not None:
            profiler.send_signal(2)
            await profiler.wait()

        latencies: list[float] = []
        from_at: list[float] = []
        for worker_results in results:
            for receipts in worker_results:
                for index, received, at in receipts[WARMUP_EVENTS:]:
                    latencies.append((received - sent[index]) * 1000)
                    from_at.append((received - _epoch(at)) * 1000)
        target = 100 if scenario.processes == 1 else 150
        latency = summary(latencies)
        return {
            "processes": scenario.processes,
            "bus": scenario.bus,
            "subscribers": scenario.subscribers,
            "selection": scenario.selection,
            "events": events,
            "gap_s": gap,
            "samples": len(latencies),
            "latency_ms": latency,
            "from_at_ms": summary(from_at),
            "target_p99_ms": target,
            "met": latency["p99"] <= target,
            "rss_kib": {"idle": rss_idle, "connected": rss_connected, "after": rss_after},
            # Server CPU (user + system) spent per event while the events were delivered: what
            # the fan-out costs, whatever else the machine was doing.
            "server_cpu_ms_per_event": [
                round((c - idle * phase_seconds) * 1000 / wanted, 1)
                for c, idle in zip(cpu, idle_cpu, strict=True)
            ],
            "server_cpu_idle_percent": [round(idle * 100, 1) for idle in idle_cpu],
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
            )
            print(json.dumps(result), flush=True)
    finally:
        await redis.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
