"""One database connection and transaction per request, scoped to one company.

A request's statements run on one connection inside one transaction, which carries the
company for row-level security (`opus.company_id`, transaction-local). DataLoader batches
of one request run concurrently as tasks, and asyncpg refuses concurrent operations on one
connection, so statements are serialized by a lock: statements on loopback take well under a
millisecond, and one transaction gives every field of a response the same snapshot. Each
mutation runs inside a savepoint, so a mutation that reports errors leaves nothing behind while
the mutations before it in the same document keep their work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.sql import Executable

_SET_COMPANY = text(
    "SELECT set_config('opus.company_id', :company_id, true),"
    " set_config('opus.system', 'off', true)"
)
_SET_SYSTEM = text("SELECT set_config('opus.system', 'on', true)")


@dataclass
class StatementStats:
    """What the database cost one request; shown in the Server-Timing header and in tests."""

    count: int = 0
    seconds: float = 0.0
    statements: list[str] = field(default_factory=list)
    keep_text: bool = False


def install_statement_counter(engine: AsyncEngine) -> None:
    """Count statements per connection into the StatementStats set on `connection.info`."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["opus_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        stats: StatementStats | None = conn.info.get("opus_stats")
        if stats is not None:
            stats.count += 1
            stats.seconds += time.perf_counter() - conn.info.pop(
                "opus_started", time.perf_counter()
            )
            if stats.keep_text:
                stats.statements.append(statement)


class RequestDB:
    """The connection of one request (or one CLI command, or one relay pass)."""

    def __init__(
        self, engine: AsyncEngine, *, keep_statement_text: bool = False, short: bool = False
    ) -> None:
        # `short`: every statement runs in a transaction of its own, released at once. For
        # websocket connections, which live for hours and must neither pin a pooled connection
        # nor read from one stale snapshot.
        self.short = short
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._lock = asyncio.Lock()
        self.company_id: int | None = None
        self.system = False
        self.stats = StatementStats(keep_text=keep_statement_text)
        self.committed = False
        # Set when this transaction wrote job events (db/events.py): only then does the outbox
        # relay need waking once it commits.
        self.wrote_events = False
        # Sign-ins this transaction ended or changed (db/auth.py): cached viewers of these tokens
        # and users are dropped once it commits.
        self.revoked_tokens: set[int] = set()
        self.changed_users: set[int] = set()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self._engine.connect()
            conn.sync_connection.info["opus_stats"] = self.stats  # type: ignore[union-attr]
            self._conn = conn
            self._tx = await conn.begin()
            if self.system:
                await conn.execute(_SET_SYSTEM)
            elif self.company_id is not None:
                await conn.execute(_SET_COMPANY, {"company_id": str(self.company_id)})
        return self._conn

    async def set_company(self, company_id: int) -> None:
        """Scope every following statement (and row-level security) to one company."""
        async with self._lock:
            self.company_id = company_id
            self.system = False
            if self._conn is not None:
                await self._conn.execute(_SET_COMPANY, {"company_id": str(company_id)})

    def scope_before_first_statement(self, company_id: int) -> None:
        """Scope to a company known before anything ran (a cached viewer): the connection,
        once a statement needs one, opens with it set, and a request that needs no statement
        opens none."""
        if self._conn is not None:
            raise RuntimeError("the connection is open; use set_company")
        self.company_id = company_id
        self.system = False

    def company_set_by_statement(self, company_id: int) -> None:
        """The statement just run set `opus.company_id` (and `opus.system` off) on this
        transaction itself, with set_config in its select list (db/auth.py): record it without
        another round trip."""
        self.company_id = company_id
        self.system = False

    async def set_system(self) -> None:
        """Let trusted code see every company's rows (sign-in, relay, CLI). Never for a viewer."""
        async with self._lock:
            self.system = True
            if self._conn is not None:
                await self._conn.execute(_SET_SYSTEM)

    async def execute(self, statement: Executable, params: Any = None) -> Any:
        if self.short:
            return await self._execute_short(statement, params)
        async with self._lock:
            conn = await self._connection()
            return await conn.execute(statement, params)

    async def _execute_short(self, statement: Executable, params: Any) -> Any:
        async with self._engine.connect() as conn:
            conn.sync_connection.info["opus_stats"] = self.stats  # type: ignore[union-attr]
            async with conn.begin():
                if self.system:
                    await conn.execute(_SET_SYSTEM)
                elif self.company_id is not None:
                    await conn.execute(_SET_COMPANY, {"company_id": str(self.company_id)})
                # Async results are buffered, so they outlive the connection.
                return await conn.execute(statement, params)

    async def all(self, statement: Executable, params: Any = None) -> Sequence[Row[Any]]:
        return (await self.execute(statement, params)).all()

    async def one_or_none(self, statement: Executable, params: Any = None) -> Row[Any] | None:
        return (await self.execute(statement, params)).one_or_none()

    async def scalar(self, statement: Executable, params: Any = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[Savepoint]:
        """Run one mutation atomically: rolled back on exception or when `rollback()` is asked."""
        async with self._lock:
            conn = await self._connection()
            nested = await conn.begin_nested()
        marker = Savepoint()
        try:
            yield marker
        except BaseException:
            async with self._lock:
                await nested.rollback()
            raise
        async with self._lock:
            if marker.rolled_back:
                await nested.rollback()
            else:
                await nested.commit()

    async def commit(self) -> None:
        async with self._lock:
            if self._tx is not None and self._tx.is_active:
                await self._tx.commit()
                self.committed = True

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                if self._tx is not None and self._tx.is_active:
                    await self._tx.rollback()
                await self._conn.close()
                self._conn = None
                self._tx = None


class Savepoint:
    """Handed to a mutation so it can discard its own writes when it reports errors."""

    def __init__(self) -> None:
        self.rolled_back = False

    def rollback(self) -> None:
        self.rolled_back = True


@asynccontextmanager
async def system_session(engine: AsyncEngine) -> AsyncIterator[RequestDB]:
    """A committed-on-success session that sees all companies, for the CLI and background work."""
    db = RequestDB(engine)
    db.system = True
    try:
        yield db
        await db.commit()
    finally:
        await db.close()


@asynccontextmanager
async def company_session(engine: AsyncEngine, company_id: int) -> AsyncIterator[RequestDB]:
    db = RequestDB(engine)
    db.company_id = company_id
    try:
        yield db
        await db.commit()
    finally:
        await db.close()
