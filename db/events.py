"""Writing job events: the timeline, the outbox and the webhook source in one table.

Callers write events in the same transaction as the change they describe; publishing happens
after commit from these rows (subscriptions/relay.py), never from a resolver.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert

from db.auth import Viewer
from db.models import job_events, jobs
from db.session import RequestDB


async def record_event(
    db: RequestDB,
    *,
    company_id: int,
    job_id: int,
    type: str,
    payload: dict[str, Any] | None = None,
    actor: Viewer | None = None,
    visit_id: int | None = None,
    previous_visit_start: datetime | None = None,
    previous_technician_ids: Sequence[int] | None = None,
) -> Any:
    """Append one event to a job's timeline and return its row.

    When the event moves its visit (another time, another crew), `previous_*` say where it was,
    so the boards and technicians it left are told too (subscriptions/streams.py)."""
    db.wrote_events = True
    seq = await db.scalar(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.company_id == company_id)
        .values(event_seq=jobs.c.event_seq + 1)
        .returning(jobs.c.event_seq)
    )
    result = await db.execute(
        insert(job_events)
        .values(
            company_id=company_id,
            job_id=job_id,
            visit_id=visit_id,
            seq=seq,
            type=type,
            payload=payload or {},
            actor_user_id=actor.user_id if actor else None,
            actor_name=actor.name if actor else "system",
            created_at=func.now(),
            previous_visit_start=previous_visit_start,
            previous_technician_ids=(
                list(previous_technician_ids) if previous_technician_ids is not None else None
            ),
        )
        .returning(job_events)
    )
    return result.one()
