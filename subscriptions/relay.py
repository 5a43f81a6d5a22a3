"""The outbox relay: publishes committed job events to the bus, in one order, losing none.

Events are written by the transaction that makes the change (db/events.py). The relay gives
each new event a stream `position` and publishes it; positions are handed out and published
under one PostgreSQL advisory lock, so across every API process they reach the bus in
strictly increasing order. Positions are committed before publishing, which means a
subscriber's replay from the table (`position > cursor`) sees everything the bus might not
have delivered yet. An event whose publish did not complete (crash, Redis down) keeps
`published_at` NULL and is published again, before any newer event, by the next pass of any
process; subscribers drop what they already have by position.

A pass costs one database round trip when there is nothing to publish, and otherwise two plus
one to the bus per batch: the claim (lock, stragglers, new positions, the messages) and the
mark (published, unlock) are functions of migration 0004, called on an autocommit connection so
that no BEGIN or COMMIT travels on its own, and the messages go out in one pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from subscriptions.bus import Bus, BusUnavailable
from subscriptions.channels import board_channel, job_channel

log = logging.getLogger("opus.relay")

RELAY_LOCK_KEY = 0x6F707573  # "opus"
BATCH = 500

# Functions of migration 0004 (0006 adds the claim's `previous_*` columns). A claim that
# returns rows leaves the session holding the lock; the mark (or the unlock, when publishing
# failed) releases it.
_CLAIM = text("SELECT * FROM opus_relay_claim(:key, :batch)")
_MARK = text("SELECT opus_relay_mark(:ids, :key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


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
            # Where an event that moved its visit took it from (db/events.py).
            "previousVisitStart": (
                row.previous_visit_start.isoformat() if row.previous_visit_start else None
            ),
            "previousTechnicianIds": list(row.previous_technician_ids or []),
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
        """One pass: claim what is unpublished (stragglers first), publish it, mark it."""
        total = 0
        lock = {"key": RELAY_LOCK_KEY}
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                while True:
                    rows = (await conn.execute(_CLAIM, {**lock, "batch": BATCH})).all()
                    if not rows:
                        break
                    try:
                        await self.bus.publish_many(_deliveries(rows))
                    except BusUnavailable:
                        await conn.execute(_UNLOCK, lock)
                        raise
                    await conn.execute(_MARK, {**lock, "ids": [row.id for row in rows]})
                    total += len(rows)
                    if len(rows) < BATCH:
                        break
            except BusUnavailable:
                raise  # the lock is released; the events wait for a later pass
            except BaseException:
                # A failed or cancelled call may have left this session holding the lock, which
                # would stop every relay; closing the connection releases it.
                await conn.invalidate()
                raise
        self.published += total
        return total


def _deliveries(rows: Sequence[Any]) -> list[tuple[str, str]]:
    """Each event to its company's board and its job's channel, in position order."""
    deliveries = []
    for row in rows:
        message = event_message(row)
        deliveries.append((board_channel(row.company_id), message))
        deliveries.append((job_channel(row.job_id), message))
    return deliveries
