"""Demo notes, customer messages, incidents and technicians' time, so every tab has content."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert

from db.models import incidents, messages, notes, time_entries
from db.session import RequestDB

NOTES = (
    "Gate code 4417; dog in the back yard.",
    "Customer prefers calls after 3 pm.",
    "Unit is on the roof; bring the long ladder.",
    "Warranty registration number is on the service panel.",
    "Parking in the alley behind the building.",
)
MESSAGES = (
    "Your technician is on the way.",
    "Reminder: your visit is tomorrow between 8 and 11.",
    "Thanks for choosing Northwind! Your invoice will follow.",
)


async def write_demo_workspace(
    db: RequestDB,
    company_id: int,
    job_ids: Sequence[int],
    planned: Sequence[Any],
    visit_ids: Sequence[int],
    planned_visits: Sequence[tuple[int, Any, Any]],
    tech_ids: Sequence[int],
    office_user_id: int,
) -> None:
    rng = random.Random(7)
    note_rows = []
    message_rows = []
    for job_id, job in zip(job_ids, planned, strict=True):
        if rng.random() < 0.6:
            note_rows.append(
                {
                    "company_id": company_id,
                    "job_id": job_id,
                    "body": rng.choice(NOTES),
                    "author_user_id": office_user_id,
                    "created_at": job.created_at,
                }
            )
        if job.visits and rng.random() < 0.5:
            message_rows.append(
                {
                    "company_id": company_id,
                    "job_id": job_id,
                    "direction": "OUTBOUND",
                    "channel": "SMS",
                    "status": "SENT",
                    "recipient": "+1 303 555 0100",
                    "body": rng.choice(MESSAGES),
                    "author_user_id": office_user_id,
                    "created_at": job.created_at,
                }
            )
    if note_rows:
        await db.execute(insert(notes), note_rows)
    if message_rows:
        await db.execute(insert(messages), message_rows)
    incident_rows = [
        {
            "company_id": company_id,
            "job_id": job_id,
            "kind": kind,
            "severity": severity,
            "description": text,
            "occurred_at": job.created_at,
            "reported_by": office_user_id,
        }
        for (job_id, job), (kind, severity, text) in zip(
            list(zip(job_ids, planned, strict=True))[3::40],
            [
                ("DAMAGE", "MEDIUM", "Scuffed hallway wall while carrying the old unit out."),
                ("COMPLAINT", "LOW", "Customer unhappy with the arrival time."),
                ("SAFETY", "HIGH", "Exposed wiring found near the furnace; isolated."),
            ],
            strict=False,
        )
    ]
    if incident_rows:
        await db.execute(insert(incidents), incident_rows)
    # Work time for visits that were worked: one entry per crew member, as long as the visit.
    # The demo calendar never double-books a technician, so these never overlap.
    time_rows = [
        {
            "company_id": company_id,
            "job_id": job_id,
            "technician_id": tech_ids[tech],
            "visit_id": visit_id,
            "kind": "WORK",
            "started_at": visit.start,
            "ended_at": visit.end,
            "approved_by": office_user_id if visit.status == "COMPLETED" else None,
            "approved_at": visit.end if visit.status == "COMPLETED" else None,
        }
        for visit_id, (job_id, _, visit) in zip(visit_ids, planned_visits, strict=True)
        if visit.status in ("COMPLETED", "DEPARTED")
        for tech in visit.techs
    ]
    if time_rows:
        await db.execute(insert(time_entries), time_rows)
