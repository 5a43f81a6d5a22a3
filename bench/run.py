"""`opus bench`: the hot paths measured side by side with PostGraphile and the Python limits.

One run: a throwaway database on DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432),
migrated and filled (bench/data.py); our API, the asyncpg/Starlette baselines and PostGraphile 4
each in one process on core 0; this process generates the load on core 1. Every scenario runs
on every system that has it, in `rounds` interleaved slices (so a noisy neighbour hurts all
systems alike), and prints one JSON line per scenario and system, then a ratio table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from bench import data
from bench.load import LoadResult, run_load
from bench.scenarios import ASYNCPG, OURS, PG_FUNCTIONS, POSTGRAPHILE, STARLETTE, build
from bench.servers import (
    PrivateRedis,
    Server,
    baseline_server,
    install_postgraphile,
    opus_server,
    pin_load_generator,
    postgraphile_installed,
    postgraphile_server,
)

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = ("board", "jobs_page", "workspace", "trivial", "transition", "fanout")
# Run by bench/fanout.py in a process of its own (its own database, servers and subscribers).
FANOUT = "fanout"
FANOUT_TARGET_P99_MS = 100
LARGE_JOBS = 1_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Options:
    scenarios: list[str]
    duration: float = 10.0
    warmup: float = 2.0
    clients: int = 16
    rounds: int = 2
    size: str = "default"
    jobs: int = 10_000
    keep: bool = False
    postgraphile: bool = True
    variants: dict[str, dict[str, str]] | None = None
    server_url: str = DEFAULT_SERVER
    out: str | None = None


def _variant(spec: str) -> tuple[str, dict[str, str]]:
    """NAME:VAR=VALUE,VAR=VALUE -> (NAME, env)."""
    name, _, rest = spec.partition(":")
    env = dict(item.split("=", 1) for item in rest.split(",") if item)
    return name, env


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        action="append",
        choices=ORDER,
        help="run only this scenario (repeatable; default: all)",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds per scenario and system"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per slice")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved slices per system")
    parser.add_argument(
        "--size",
        choices=("default", "large"),
        default="default",
        help="large: afterwards grow the tenant to 1M jobs and measure board and jobs page again",
    )
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs of the large tenant")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument(
        "--no-postgraphile", action="store_true", help="skip the PostGraphile baseline"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:VAR=VALUE,...",
        help="also run our API with these environment settings, as system NAME",
    )
    parser.add_argument("--out", help="also write the JSON lines to this file")


def options_from(args: argparse.Namespace, server_url: str | None = None) -> Options:
    return Options(
        scenarios=list(args.scenario or ORDER),
        duration=args.duration,
        warmup=getattr(args, "warmup", 2.0),
        clients=getattr(args, "clients", 16),
        rounds=max(1, getattr(args, "rounds", 2)),
        size=getattr(args, "size", "default"),
        jobs=getattr(args, "jobs", 10_000),
        keep=getattr(args, "keep", False),
        postgraphile=not getattr(args, "no_postgraphile", False),
        variants=dict(_variant(v) for v in getattr(args, "variant", []) or []),
        server_url=server_url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER,
        out=getattr(args, "out", None),
    )


class Run:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.lines: list[dict[str, Any]] = []
        self.servers: dict[str, Server] = {}
        self.redis: PrivateRedis | None = None
        self.bench: data.Bench | None = None
        self.data_dir = tempfile.mkdtemp(prefix="opus-bench-")

    def emit(self, line: dict[str, Any]) -> None:
        self.lines.append(line)
        print(json.dumps(line), flush=True)
        if self.options.out:
            with open(self.options.out, "a") as out:
                out.write(json.dumps(line) + "\n")

    async def prepare(self) -> data.Bench:
        from db.migrate import upgrade

        options = self.options
        started = time.perf_counter()
        url = await data.create_database(options.server_url)
        log(f"bench: database {url.rpartition('/')[2]}")
        await asyncio.to_thread(upgrade, url)
        bench = await data.fill(url, options.jobs, log=log)
        bench.seconds["migrate+fill"] = time.perf_counter() - started
        conn = await __import__("asyncpg").connect(url)
        try:
            await conn.execute(PG_FUNCTIONS)
        finally:
            await conn.close()
        self.bench = bench
        return bench

    async def start_servers(self, bench: data.Bench) -> None:
        options = self.options
        if shutil.which("redis-server"):
            self.redis = PrivateRedis()
            await self.redis.start()
        redis_url = self.redis.url if self.redis else None
        # Our pool holds as many connections as there are clients, like the asyncpg baseline's
        # (the default, 10 plus 10 overflow, opens and closes a connection for every request
        # beyond 10 at once: see the opus-pool10 variant in README "Performance").
        pool = {"OPUS_DB_POOL_SIZE": str(options.clients)}
        servers = [
            opus_server(bench.database_url, redis_url, self.data_dir, bench.dispatcher_token, pool),
            baseline_server(
                {
                    "BENCH_DATABASE_URL": bench.database_url,
                    "BENCH_REDIS_URL": redis_url or "",
                    "BENCH_COMPANY_ID": str(bench.company_id),
                    "BENCH_BOARD_DAY": bench.board_day.isoformat(),
                    "BENCH_WORKSPACE_JOB_ID": str(bench.workspace_job_id),
                    "BENCH_ACTOR_ID": str(await self._dispatcher_id(bench)),
                    "BENCH_ACTOR_NAME": "Dana Dispatch",
                }
            ),
        ]
        for name, env in (options.variants or {}).items():
            servers.append(
                opus_server(
                    bench.database_url,
                    redis_url,
                    self.data_dir,
                    bench.dispatcher_token,
                    pool | env,
                    name,
                )
            )
        if options.postgraphile:
            try:
                install_postgraphile(log)
                if postgraphile_installed():
                    servers.append(postgraphile_server(bench.database_url))
            except Exception as exc:  # the run goes on without that baseline
                log(f"bench: PostGraphile unavailable ({exc}); running without it")
        for server in servers:
            await server.start()
            self.servers[server.name] = server
        log("bench: servers " + ", ".join(f"{s.name} (pid {s.pid}, :{s.port})" for s in servers))

    async def _dispatcher_id(self, bench: data.Bench) -> int:
        import asyncpg

        conn = await asyncpg.connect(bench.database_url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT id FROM users WHERE company_id = $1 AND role = 'dispatcher'",
                    bench.company_id,
                )
            )
        finally:
            await conn.close()

    def systems_for(self, scenario: Any) -> list[tuple[str, Any, Server]]:
        """(system name, target, server) for every system that has this scenario."""
        found = []
        for system, target in scenario.targets.items():
            if system == OURS:
                for name in (OURS, *(self.options.variants or {})):
                    if name in self.servers:
                        found.append((name, target, self.servers[name]))
            elif system in (ASYNCPG, STARLETTE):
                found.append((system, target, self.servers["baseline"]))
            elif system in self.servers:
                found.append((system, target, self.servers[system]))
        return found

    async def measure(self, name: str, scenario: Any) -> dict[str, LoadResult]:
        options = self.options
        systems = self.systems_for(scenario)
        results = {system: LoadResult() for system, _, _ in systems}
        slice_seconds = options.duration / options.rounds
        for _ in range(options.rounds):
            for system, target, server in systems:
                cpu = server.cpu_seconds()
                result = await run_load(
                    "127.0.0.1",
                    server.port,
                    target.make_request,
                    clients=options.clients,
                    warmup=options.warmup,
                    duration=slice_seconds,
                    check=target.check,
                )
                result.cpu_seconds = server.cpu_seconds() - cpu
                results[system].merge(result)
        for system, _, server in systems:
            result = results[system]
            line = {
                "scenario": name,
                "system": system,
                "rps": round(result.rps, 1),
                "p50_ms": _round(result.percentile(0.50)),
                "p99_ms": _round(result.percentile(0.99)),
                "statements_per_request": result.statements_per_request,
                "rss_mb": server.rss_mb(),
                "cpu_ms_per_request": _round(result.cpu_ms_per_request),
                "requests": result.requests,
                "failures": result.failures,
            }
            if result.failure_examples:
                line["failure_example"] = result.failure_examples[0]
            self.emit(line)
        return results

    async def scenarios(
        self, bench: data.Bench, suffix: str = "", only: tuple[str, ...] = ORDER
    ) -> None:
        scenarios = build(bench, self.options.clients)
        for name in self.options.scenarios:
            if name in only and name != FANOUT:
                await self.measure(name + suffix, scenarios[name])

    async def grow(self, bench: data.Bench) -> None:
        seconds = await data.extend(bench, LARGE_JOBS, log=log)
        self.emit(
            {
                "scenario": "generate",
                "system": "data",
                "jobs": LARGE_JOBS,
                "seconds": round(seconds, 1),
            }
        )
        await self.scenarios(bench, "_1m", ("board", "jobs_page"))

    async def fanout(self) -> None:
        """Live fan-out to 1,000 websocket subscribers of one server process (bench/fanout.py):
        latency from the mutation's commit to receipt, and the server's RSS with them."""
        env = {**os.environ, "OPUS_TEST_POSTGRES": self.options.server_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "bench/fanout.py", "--subscribers", "1000", "--processes", "1",
            "--events", "20",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        async for raw in process.stdout:
            result = json.loads(raw)
            latency = result["from_commit_ms"]
            self.emit(
                {
                    "scenario": FANOUT,
                    "system": OURS,
                    "subscribers": result["subscribers"],
                    "processes": result["processes"],
                    "p50_ms": latency["p50"],
                    "p99_ms": latency["p99"],
                    "rss_mb": round(max(result["rss_kib"]["connected"]) / 1024, 1),
                    "server_cpu_ms_per_event": result["server_cpu_ms_per_event"][0],
                    "target_p99_ms": FANOUT_TARGET_P99_MS,
                    "met": latency["p99"] <= FANOUT_TARGET_P99_MS,
                }
            )
        if await process.wait() != 0:
            raise RuntimeError(f"bench/fanout.py exited with {process.returncode}")

    async def stop_servers(self) -> None:
        for server in self.servers.values():
            await server.stop()
        self.servers = {}

    async def stop(self) -> None:
        await self.stop_servers()
        if self.redis is not None:
            await self.redis.stop()
        if self.bench is not None and not self.options.keep:
            await data.drop_database(self.bench.database_url)
        elif self.bench is not None:
            log(f"bench: kept {self.bench.database_url}")
        shutil.rmtree(self.data_dir, ignore_errors=True)

    async def main(self) -> list[dict[str, Any]]:
        try:
            if FANOUT in self.options.scenarios:
                # First, on a quiet database server: after the other scenarios' writes,
                # autovacuum works through the bench database while the fan-out is measured.
                await self.fanout()
            if any(name != FANOUT for name in self.options.scenarios):
                await self.http_scenarios()
        finally:
            await self.stop()
        print(ratio_table(self.lines))
        return self.lines

    async def http_scenarios(self) -> None:
        bench = await self.prepare()
        self.emit(
            {
                "scenario": "generate",
                "system": "data",
                "jobs": bench.jobs,
                "seconds": round(bench.seconds.get("generate", 0.0), 1),
            }
        )
        await self.start_servers(bench)
        pinned = pin_load_generator()
        log(f"bench: servers on core 0, load on core 1: {pinned}")
        await self.scenarios(bench)
        if self.options.size == "large":
            await self.grow(bench)


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def ratio_table(lines: list[dict[str, Any]]) -> str:
    """Our req/s and p99 against each baseline, per scenario (ratio > 1: we are faster)."""
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for line in lines:
        if "rps" in line:
            by.setdefault(line["scenario"], {})[line["system"]] = line
    rows = [
        "| scenario | system | req/s | p50 ms | p99 ms | stmts/req | CPU ms/req | RSS MB "
        "| opus req/s ÷ this |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, systems in by.items():
        ours = systems.get(OURS)
        for system, line in systems.items():
            ratio = (
                f"{ours['rps'] / line['rps']:.2f}x"
                if ours and line["rps"] and system != OURS
                else ""
            )
            rows.append(
                f"| {scenario} | {system} | {line['rps']:.0f} | {_fmt(line['p50_ms'])} | "
                f"{_fmt(line['p99_ms'])} | {_fmt(line['statements_per_request'])} | "
                f"{_fmt(line.get('cpu_ms_per_request'))} | {_fmt(line['rss_mb'])} | {ratio} |"
            )
    notes = []
    for base in ("board", "jobs_page"):
        small, large = by.get(base, {}).get(OURS), by.get(base + "_1m", {}).get(OURS)
        if small and large and small["p50_ms"]:
            notes.append(
                f"{base} p50 at 1M jobs / at 10k: {large['p50_ms'] / small['p50_ms']:.2f}x"
            )
    trivial = by.get("trivial", {})
    if OURS in trivial and STARLETTE in trivial and trivial[STARLETTE]["rps"]:
        notes.append(
            "trivial query / plain Starlette endpoint: "
            f"{trivial[OURS]['rps'] / trivial[STARLETTE]['rps']:.0%} of its req/s"
        )
    for line in lines:
        if line["scenario"] == FANOUT:
            notes.append(
                f"fan-out to {line['subscribers']} subscribers on {line['processes']} process: "
                f"p50 {line['p50_ms']} ms, p99 {line['p99_ms']} ms from commit "
                f"(target {line['target_p99_ms']}), RSS {line['rss_mb']} MB"
            )
    for scenario in ("board", "jobs_page", "workspace"):
        systems = by.get(scenario, {})
        if OURS in systems and POSTGRAPHILE in systems and systems[POSTGRAPHILE]["rps"]:
            notes.append(
                f"{scenario}: opus / PostGraphile req/s {systems[OURS]['rps'] / systems[POSTGRAPHILE]['rps']:.2f}x, "
                f"p99 {systems[OURS]['p99_ms']} vs {systems[POSTGRAPHILE]['p99_ms']} ms"
            )
    return "\n".join(["", *rows, "", *notes])


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def run(options: Options) -> list[dict[str, Any]]:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(Run(options).main())


def run_from_cli(settings: Any, args: argparse.Namespace) -> None:
    """`opus bench`: DATABASE_URL names the server (the bench makes its own database on it)."""
    run(options_from(args, settings.database_url))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    add_arguments(parser)
    run(options_from(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
