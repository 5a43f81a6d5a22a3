"""The outbox relay: publishes committed job events to the bus, in one order, losing none.

Events are written by the transaction that makes the change (db/events.py). The relay gives
each new event a stream `position` and publishes it; positions are handed out and published
under one PostgreSQL advisory lock, so across every API process they reach the bus in
strictly increasing order. Positions are committed before publishing, which means a
subscriber's replay from the table (`position > cursor`) sees everything the bus might not
have delivered yet. An event whose publish did not complete (crash, Redis down) keeps
`published_at` NULL and is published again, before any newer event, by the next pass of any
process; subscribers drop what they already have by position.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from subscriptions.bus import Bus
from subscriptions.channels import board_channel, job_channel

log = logging.getLogger("opus.relay")

RELAY_LOCK_KEY = 0x6F707573  # "opus"
BATCH = 500

_SYSTEM = text("SELECT set_config('opus.system', 'on', true)")
_STRAGGLERS = text(
    """
    SELECT id FROM job_events
    WHERE position IS NOT NULL AND published_at IS NULL
    ORDER BY position LIMIT :batch
    """
)
_ASSIGN = text(
    """
    WITH next AS (
        SELECT id FROM job_events WHERE position IS NULL ORDER BY id LIMIT :batch FOR UPDATE
    ), numbered AS (
        SELECT id, nextval('job_event_positions') AS position
        FROM (SELECT id FROM next ORDER BY id) ordered
    )
    UPDATE job_events e SET position = numbered.position
    FROM numbered WHERE e.id = numbered.id
    RETURNING e.id
    """
)
_MESSAGES = text(
    """
    SELECT e.id, e.position, e.company_id, e.job_id, e.visit_id, e.type, e.created_at,
           v.start_at AS visit_start,
           coalesce(array_agg(vt.technician_id) FILTER (WHERE vt.technician_id IS NOT NULL),
                    '{}') AS technician_ids
    FROM job_events e
    LEFT JOIN visits v ON v.id = e.visit_id
    LEFT JOIN visit_technicians vt ON vt.visit_id = e.visit_id
    WHERE e.id = ANY(:ids)
    GROUP BY e.id, v.start_at
    ORDER BY e.position
    """
)
_MARK = text("UPDATE job_events SET published_at = now() WHERE id = ANY(:ids)")


def event_message(row: Any) -> str:
    """What subscribers receive: enough to filter and order without a query."""
    return json.dumps(
        {
            "id": row.id,
            "position": row.position,
            "companyId": row.company_id,
            "jobId": row.job_id,
            "visitId": row.visit_id,
            "type": row.type,
            "at": row.created_at.isoformat(),
            "visitStart": row.visit_start.isoformat() if row.visit_start else None,
            "technicianIds": list(row.technician_ids or []),
        },
        separators=(",", ":"),
    )


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, bus: Bus, *, interval: float = 1.0) -> None:
        self.engine = engine
        self.bus = bus
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def wake(self) -> None:
        """Publish soon: a transaction that wrote events has committed."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = self.interval
        while True:
            self._wake.clear()
            try:
                await self.publish_pending()
                delay = self.interval
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis or PostgreSQL is away; the events wait in the table.
                log.warning("outbox relay pass failed; retrying", exc_info=True)
                delay = min(delay * 2, 10.0)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the
            # cancellation that stop() sends when the wake event is already set.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def publish_pending(self) -> int:
        """One pass: re-publish stragglers, then position and publish new events."""
        total = 0
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": RELAY_LOCK_KEY})
            await conn.commit()
            try:
                while True:
                    ids = await self._claim(conn, _STRAGGLERS)
                    if not ids:
                        break
                    total += await self._publish(conn, ids)
                while True:
                    ids = await self._claim(conn, _ASSIGN)
                    if not ids:
                        break
                    total += await self._publish(conn, ids)
                    if len(ids) < BATCH:
                        break
            finally:
                await conn.rollback()
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": RELAY_LOCK_KEY})
                await conn.commit()
        self.published += total
        return total

    async def _claim(self, conn: AsyncConnection, statement: Any) -> list[int]:
        await conn.execute(_SYSTEM)
        ids = list((await conn.execute(statement, {"batch": BATCH})).scalars())
        await conn.commit()
        return ids

    async def _publish(self, conn: AsyncConnection, ids: Sequence[int]) -> int:
        await conn.execute(_SYSTEM)
        rows = (await conn.execute(_MESSAGES, {"ids": list(ids)})).all()
        await conn.commit()
        for row in rows:
            message = event_message(row)
            await self.bus.publish(board_channel(row.company_id), message)
            await self.bus.publish(job_channel(row.job_id), message)
        await conn.execute(_SYSTEM)
        await conn.execute(_MARK, {"ids": list(ids)})
        await conn.commit()
        return len(rows)
