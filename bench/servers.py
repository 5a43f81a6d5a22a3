"""The processes under test: our API, the Python baselines and PostGraphile, each one process
pinned to core 0 (where there are two cores and `taskset`), plus a private redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import Connection, graphql_request, http_request

ROOT = Path(__file__).resolve().parents[1]
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"
SERVER_CORE, LOAD_CORE = 0, 1


def can_pin() -> bool:
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pin_load_generator() -> bool:
    """Move this process (the load generator) to its own core."""
    if not can_pin():
        return False
    os.sched_setaffinity(0, {LOAD_CORE})
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], port: int, ready: bytes
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        # A variant may run another checkout of the service (OPUS_BENCH_CHECKOUT), e.g. a git
        # worktree of the commit before a change, for before/after figures in one run.
        self.cwd = Path(env.pop("OPUS_BENCH_CHECKOUT", ROOT))
        self.log = tempfile.NamedTemporaryFile(
            prefix=f"opus-bench-{name}-", suffix=".log", delete=False
        )

    async def start(self, timeout: float = 90.0) -> None:
        argv = (["taskset", "-c", str(SERVER_CORE)] if can_pin() else []) + self.argv
        self.process = subprocess.Popen(
            argv, env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited at start; see {self.log.name}:\n{self.tail()}"
                )
            conn = Connection("127.0.0.1", self.port)
            try:
                response = await asyncio.wait_for(conn.request(self.ready), 10)
                if response.status == 200:
                    return
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                pass
            finally:
                await conn.close()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name} did not start; see {self.log.name}:\n{self.tail()}"
                )
            await asyncio.sleep(0.2)

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (from /proc/<pid>/stat)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.to_thread(self.process.wait, 15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        self.process = None


def _base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPUS_", "DATABASE_URL", "REDIS_URL"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return env


def uvicorn_argv(app: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def opus_server(
    database_url: str,
    redis_url: str | None,
    data_dir: str,
    token: str,
    extra: dict[str, str] | None = None,
    name: str = "opus",
) -> Server:
    port = free_port()
    env = _base_env() | {"DATABASE_URL": database_url, "OPUS_DATA_DIR": data_dir}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env |= extra or {}
    return Server(
        name,
        uvicorn_argv("web.app:app_from_env", port),
        env,
        port,
        graphql_request("{ __typename }", None, token),
    )


def baseline_server(env_extra: dict[str, str]) -> Server:
    port = free_port()
    return Server(
        "baseline",
        uvicorn_argv("bench.baseline:app_from_env", port),
        _base_env() | env_extra,
        port,
        http_request("/plain"),
    )


def postgraphile_installed() -> bool:
    return (POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js").exists()


def install_postgraphile(log: object = print) -> None:
    """`npm ci` into bench/postgraphile on first use (its own folder: PostGraphile 4 breaks beside
    graphql 16 at the top level)."""
    if postgraphile_installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("PostGraphile needs node and npm")
    log("bench: installing PostGraphile 4 with `npm ci` in bench/postgraphile")  # type: ignore[operator]
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=POSTGRAPHILE_DIR, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def postgraphile_server(database_url: str) -> Server:
    port = free_port()
    node = shutil.which("node") or "node"
    argv = [
        node, str(POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"),
        "--connection", database_url, "--schema", "public", "--host", "127.0.0.1",
        "--port", str(port), "--disable-query-log", "--disable-default-mutations",
        "--no-setof-functions-contain-nulls",
    ]  # fmt: skip
    env = _base_env() | {"NODE_ENV": "production"}
    return Server("postgraphile", argv, env, port, graphql_request("{ __typename }"))


class PrivateRedis:
    """A redis-server of the bench's own, so its publishes never reach anyone else's subscribers."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait)
