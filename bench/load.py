"""The load generator: N keep-alive HTTP/1.1 connections on raw asyncio streams.

An HTTP client library would cost more per request than the fastest server under test (a plain
Starlette endpoint answers thousands of requests a second), so requests are prebuilt bytes and
responses are parsed only as far as the status line, the headers and Content-Length (or chunks).
Each client sends its next request as soon as the previous answer is in (closed loop). Requests
started during the warm-up are not counted; the timed window counts every response that ends in
it and the latency of every request that started in it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RequestFactory = Callable[[int, int], bytes]  # (client number, request number) -> request bytes
Check = Callable[[bytes], str | None]  # response body -> None when good, else what is wrong


def http_request(
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    method: str | None = None,
    host: str = "127.0.0.1",
) -> bytes:
    method = method or ("POST" if body is not None else "GET")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def graphql_request(
    document: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    path: str = "/graphql",
) -> bytes:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": document, "variables": variables or {}}).encode()
    return http_request(path, body, headers)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**24)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass
            self.reader = self.writer = None

    async def request(self, data: bytes) -> Response:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)


def statements_of(server_timing: str | None) -> int | None:
    """N of `db;dur=..;desc="N statements"`, or None."""
    if not server_timing or 'desc="' not in server_timing:
        return None
    try:
        return int(server_timing.split('desc="', 1)[1].split(" ", 1)[0])
    except ValueError:
        return None


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)
    # Server CPU seconds over all requests sent (warm-up included), and those requests.
    cpu_seconds: float = 0.0
    sent: int = 0

    def merge(self, other: LoadResult) -> None:
        self.cpu_seconds += other.cpu_seconds
        self.sent += other.sent
        self.requests += other.requests
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.statements += other.statements
        self.failures += other.failures
        self.failure_examples = (self.failure_examples + other.failure_examples)[:5]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def cpu_ms_per_request(self) -> float | None:
        return self.cpu_seconds / self.sent * 1000 if self.sent and self.cpu_seconds else None

    @property
    def statements_per_request(self) -> float | None:
        return statistics.median(self.statements) if self.statements else None


async def run_load(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    clients: int = 16,
    warmup: float = 2.0,
    duration: float = 10.0,
    check: Check | None = None,
    check_every: int = 10,
) -> LoadResult:
    """Closed-loop load from `clients` connections.

    The measured window opens after the warm-up, and not before every client has had an answer
    (a slow server answers 16 concurrent requests in one burst after 16 times its service time),
    and lasts `duration` seconds.
    """
    loop = asyncio.get_running_loop()
    result = LoadResult(seconds=duration)
    window: list[float] = []  # [start, end] once open
    answered = [asyncio.Event() for _ in range(clients)]

    async def client(number: int) -> None:
        conn = Connection(host, port)
        sent = 0
        try:
            while True:
                began = loop.time()
                if window and began >= window[1]:
                    return
                data = make_request(number, sent)
                sent += 1
                try:
                    response = await conn.request(data)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    await conn.close()
                    response = Response(599, {}, f"connection lost: {exc!r}".encode())
                ended = loop.time()
                result.sent += 1
                answered[number].set()
                problem = None
                if response.status != 200:
                    problem = f"HTTP {response.status}: {response.body[:300]!r}"
                elif check is not None and sent % check_every == 1:
                    problem = check(response.body)
                if problem is not None:
                    result.failures += 1
                    if len(result.failure_examples) < 5:
                        result.failure_examples.append(problem)
                if not window:
                    continue
                start, end = window
                if start <= ended <= end:
                    result.requests += 1
                if began >= start and ended <= end:
                    result.latencies.append(ended - began)
                    n = statements_of(response.headers.get("server-timing"))
                    if n is not None:
                        result.statements.append(n)
        finally:
            await conn.close()

    async def open_window() -> None:
        await asyncio.sleep(warmup)
        await asyncio.gather(*(event.wait() for event in answered))
        now = loop.time()
        window.extend((now, now + duration))

    await asyncio.gather(open_window(), *(client(n) for n in range(clients)))
    return result


def graphql_check(body: bytes) -> str | None:
    """A GraphQL response with data and without errors (mutation payloads' `errors` must be [])."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    if decoded.get("errors"):
        return f"errors: {json.dumps(decoded['errors'])[:300]}"
    if decoded.get("data") is None:
        return f"no data: {body[:200]!r}"
    for value in decoded["data"].values():
        if isinstance(value, dict) and value.get("errors"):
            return f"payload errors: {json.dumps(value['errors'])[:300]}"
    return None


def now() -> float:
    return time.perf_counter()
