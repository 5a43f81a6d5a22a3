"""Live events for subscriptions: what each delivered event refers to, fetched once per process."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import job_events, jobs, visits
from db.session import company_session
from loaders.access import visible_jobs
from resolvers.common import require_viewer
from resolvers.context import Context
from resolvers.dispatch_board import company_zone, day_bounds
from subscriptions.channels import board_channel, job_channel
from subscriptions.streams import EventFilter, day_filter, event_stream, job_filter

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Snapshot:
    message: dict[str, Any]
    # The rows' columns as attributes of plain objects (see `_namespace`).
    event: Any
    visit: Any
    job: Any


class SharedResults(Generic[K, V]):
    """Results computed once per key for every caller who asks, the latest `size` kept.

    Each computation runs in a task of its own, not the first caller's: a caller that is
    cancelled (a subscriber disconnecting) must not leave the others waiting on a result never
    computed. A failure is not kept: the next caller computes again.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._tasks: OrderedDict[K, asyncio.Task[V]] = OrderedDict()

    async def get(self, key: K, compute: Callable[[], Coroutine[Any, Any, V]]) -> V:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.create_task(compute())
            task.add_done_callback(lambda done: self._drop_failed(key, done))
            self._tasks[key] = task
            if len(self._tasks) > self.size:
                self._tasks.popitem(last=False)
        if task.done():
            return task.result()
        return await asyncio.shield(task)

    def _drop_failed(self, key: K, task: asyncio.Task[V]) -> None:
        if (task.cancelled() or task.exception() is not None) and self._tasks.get(key) is task:
            del self._tasks[key]


class Snapshots:
    """Rows behind recent events, loaded once per process however many subscribers want them.

    A thousand dispatch screens receiving the same event would otherwise run a thousand
    identical queries; they share one load here instead.
    """

    def __init__(self, engine: AsyncEngine, size: int = 4096) -> None:
        self.engine = engine
        self._loads: SharedResults[int, Snapshot] = SharedResults(size)

    async def get(self, message: dict[str, Any]) -> Snapshot:
        return await self._loads.get(message["id"], lambda: self._load(message))

    async def _load(self, message: dict[str, Any]) -> Snapshot:
        async with company_session(self.engine, message["companyId"]) as db:
            row = await db.one_or_none(
                _SNAPSHOT,
                {
                    "job_id": message["jobId"],
                    "event_id": message["id"],
                    "visit_id": message["visitId"],
                },
            )
        parts: dict[str, dict[str, Any]] = {"e": {}, "j": {}, "v": {}}
        if row is not None:
            for key, value in row._mapping.items():
                prefix, _, name = key.partition("_")
                parts[prefix][name] = value
        return Snapshot(
            message=message,
            event=_namespace(parts["e"]),
            visit=_namespace(parts["v"]),
            job=_namespace(parts["j"]),
        )


def _namespace(columns: dict[str, Any]) -> SimpleNamespace | None:
    """One table's columns as a plain object, None when the outer join found no row.

    Not a Row: graphql-core asks every resolved value whether it has `__await__`, which a Row
    answers through a raised and chained NoSuchColumnError (~10 µs, and cyclic garbage).
    """
    return SimpleNamespace(**columns) if columns.get("id") is not None else None


# The event, its job and its visit in one round trip (this runs once per event and process,
# on the way from commit to every screen).
_SNAPSHOT = (
    select(
        *(c.label(f"e_{c.name}") for c in job_events.c),
        *(c.label(f"j_{c.name}") for c in jobs.c),
        *(c.label(f"v_{c.name}") for c in visits.c),
    )
    .select_from(
        jobs.outerjoin(job_events, job_events.c.id == bindparam("event_id")).outerjoin(
            visits, visits.c.id == bindparam("visit_id")
        )
    )
    .where(jobs.c.id == bindparam("job_id"))
)


@dataclass(frozen=True)
class EventSource:
    """What a live subscription listens to: a bus channel and which of its events to pass on.

    Everything a subscription may see is decided here, once, when it starts: the company, and
    for technicians only their own visits. web/fanout.py shares one source among subscribers
    of the same scope.
    """

    channel: str
    company_id: int
    filter: EventFilter


async def dispatch_source(ctx: Context, day: date) -> EventSource:
    viewer = require_viewer(ctx)
    zone = await company_zone(ctx)
    start, end = day_bounds(day, zone)
    technician = (viewer.technician_id or 0) if viewer.role == "technician" else None
    return EventSource(
        board_channel(viewer.company_id), viewer.company_id, day_filter(start, end, technician)
    )


async def job_source(ctx: Context, job_id: int) -> EventSource | None:
    """The job's events, or None when the job is not there for this viewer."""
    viewer = require_viewer(ctx)
    visible = await ctx.db.scalar(
        visible_jobs(select(jobs.c.id), viewer).where(jobs.c.id == job_id)
    )
    if visible is None:
        return None
    return EventSource(job_channel(job_id), viewer.company_id, job_filter(job_id))


async def snapshots(
    ctx: Context, source: EventSource, after: int | None
) -> AsyncIterator[Snapshot]:
    """The source's events from `after` on (from now when None), then live, as snapshots."""
    stream = event_stream(
        ctx.bus, ctx.engine, source.channel, source.company_id, source.filter, after
    )
    async for message in stream:
        snapshot = await ctx.snapshots.get(message)
        ctx.refresh()
        yield snapshot
