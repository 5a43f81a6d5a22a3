"""The async generators behind subscriptions: replay what a client missed, then stream live.

Order of operations matters: subscribe to the bus first, then replay from the table, then
pass on live messages whose position is beyond the last one sent. Every event committed
before the replay query is in the replay; every later one is published after the bus
subscription exists (relay.py), so nothing falls between the two, and nothing is sent twice.
A `Resync` from the bus (Redis reconnected, or this subscriber fell behind) triggers another
replay from the last position sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import company_session
from subscriptions.bus import Bus, Resync
from subscriptions.relay import event_message

REPLAY_BATCH = 500

_REPLAY = """
    SELECT e.id, e.position, e.company_id, e.job_id, e.visit_id, e.type, e.created_at,
           e.previous_visit_start, e.previous_technician_ids,
           v.start_at AS visit_start,
           coalesce(array_agg(vt.technician_id) FILTER (WHERE vt.technician_id IS NOT NULL),
                    '{{}}') AS technician_ids
    FROM job_events e
    LEFT JOIN visits v ON v.id = e.visit_id
    LEFT JOIN visit_technicians vt ON vt.visit_id = e.visit_id
    WHERE e.company_id = :company_id AND e.position > :after {condition}
    GROUP BY e.id, v.start_at
    ORDER BY e.position
    LIMIT :limit
"""


class EventFilter:
    """Which events of a company a subscription wants, in SQL (replay) and in Python (live)."""

    def __init__(
        self,
        condition: str,
        params: dict[str, Any],
        accept: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.condition = condition
        self.params = params
        self.accept = accept


def day_filter(start: datetime, end: datetime, technician_id: int | None) -> EventFilter:
    """Events of visits starting in [start, end); for a technician, only their visits. An
    event that moved a visit away (another day, another crew) counts for where it was too:
    the screens it left still show it."""

    def on_the_day(value: str | None) -> bool:
        return value is not None and start <= datetime.fromisoformat(value) < end

    def accept(message: dict[str, Any]) -> bool:
        if not (on_the_day(message["visitStart"]) or on_the_day(message.get("previousVisitStart"))):
            return False
        return (
            technician_id is None
            or technician_id in message["technicianIds"]
            or technician_id in message.get("previousTechnicianIds", ())
        )

    condition = (
        "AND ((v.start_at >= :day_start AND v.start_at < :day_end)"
        " OR (e.previous_visit_start >= :day_start AND e.previous_visit_start < :day_end))"
    )
    params: dict[str, Any] = {"day_start": start, "day_end": end}
    if technician_id is not None:
        condition += (
            " AND (EXISTS (SELECT 1 FROM visit_technicians mine WHERE mine.visit_id = e.visit_id"
            " AND mine.technician_id = :technician_id)"
            " OR :technician_id = ANY(e.previous_technician_ids))"
        )
        params["technician_id"] = technician_id
    return EventFilter(condition, params, accept)


def job_filter(job_id: int) -> EventFilter:
    return EventFilter("AND e.job_id = :job_id", {"job_id": job_id}, lambda m: m["jobId"] == job_id)


async def replay(
    engine: AsyncEngine, company_id: int, after: int, flt: EventFilter
) -> list[dict[str, Any]]:
    """The filter's events after position `after`, from the table, in order."""
    found: list[dict[str, Any]] = []
    statement = text(_REPLAY.format(condition=flt.condition))
    async with company_session(engine, company_id) as db:
        while True:
            rows = await db.all(
                statement,
                {"company_id": company_id, "after": after, "limit": REPLAY_BATCH, **flt.params},
            )
            found.extend(json.loads(event_message(r)) for r in rows)
            if len(rows) < REPLAY_BATCH:
                return found
            after = rows[-1].position


async def head_position(engine: AsyncEngine, company_id: int) -> int:
    """The company's latest stream position: where a subscription without `after` starts."""
    async with company_session(engine, company_id) as db:
        position = await db.scalar(
            text("SELECT coalesce(max(position), 0) FROM job_events WHERE company_id = :c"),
            {"c": company_id},
        )
    return int(position)


async def event_stream(
    bus: Bus,
    engine: AsyncEngine,
    channel: str,
    company_id: int,
    flt: EventFilter,
    after: int | None,
) -> AsyncIterator[dict[str, Any]]:
    """Messages (see relay.event_message) in position order: missed ones first, then live."""
    async with bus.subscribe(channel) as subscriber:
        last = after if after is not None else await head_position(engine, company_id)
        for message in await replay(engine, company_id, last, flt):
            last = message["position"]
            yield message
        async for item in subscriber:
            if isinstance(item, Resync):
                for message in await replay(engine, company_id, last, flt):
                    last = message["position"]
                    yield message
                continue
            message = json.loads(item)
            if message["position"] <= last or message["companyId"] != company_id:
                continue
            last = message["position"]
            if flt.accept(message):
                yield message
