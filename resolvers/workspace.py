"""Tabs people keep on a job: notes, customer messages, incidents, time entries, dependencies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from db.events import record_event
from db.models import (
    incidents,
    job_dependencies,
    jobs,
    messages,
    notes,
    technicians,
    time_entries,
    visits,
)
from loaders.access import visible_jobs
from resolvers.common import (
    OFFICE_ROLES,
    clean_text,
    parse_id,
    require_role,
    require_viewer,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import to_global_id
from resolvers.jobs import lock_job

FINISHED_JOB_STATUSES = ("COMPLETED", "INVOICED", "CANCELLED")
INCIDENT_KINDS = ("SAFETY", "DAMAGE", "COMPLAINT", "OTHER")
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
CHANNELS = ("SMS", "EMAIL", "PORTAL", "PHONE")
TIME_KINDS = ("TRAVEL", "WORK", "BREAK")


def _value(enum_or_str: Any) -> str:
    return enum_or_str if isinstance(enum_or_str, str) else enum_or_str.value


async def _job_for_write(ctx: Context, gid: str) -> Row[Any]:
    return await lock_job(ctx, gid, field=("input", "jobId"))


async def add_note(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_viewer(ctx)
    job = await _job_for_write(ctx, data.job_id)
    body = clean_text(data.body, "input", "body", required=True, max_length=20_000)
    note = (
        await ctx.db.execute(
            insert(notes)
            .values(
                company_id=job.company_id, job_id=job.id, body=body, author_user_id=viewer.user_id
            )
            .returning(notes)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="note.added",
        actor=viewer,
        payload={"noteId": to_global_id("Note", note.id)},
    )
    return note


async def send_message(ctx: Context, data: Any) -> Row[Any]:
    """Record an outbound customer message; the default sender (the log) marks it sent.

    The message row is the outbox of a real SMS or email provider configured later: a provider
    picks up QUEUED rows; with none configured the message is logged and SENT at once.
    """
    viewer = require_role(ctx, *OFFICE_ROLES, "technician")
    job = await _job_for_write(ctx, data.job_id)
    channel = _value(data.channel)
    body = clean_text(data.body, "input", "body", required=True, max_length=5_000)
    recipient = clean_text(data.recipient, "input", "recipient", max_length=320)
    if channel in ("SMS", "EMAIL") and not recipient:
        raise fail(
            ErrorCode.VALIDATION, f"{channel} messages need a recipient.", "input", "recipient"
        )
    message = (
        await ctx.db.execute(
            insert(messages)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                direction="OUTBOUND",
                channel=channel,
                status="SENT",
                recipient=recipient,
                body=body,
                author_user_id=viewer.user_id,
            )
            .returning(messages)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="message.sent",
        actor=viewer,
        payload={"messageId": to_global_id("Message", message.id), "channel": channel},
    )
    return message


async def record_inbound_message(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await _job_for_write(ctx, data.job_id)
    channel = _value(data.channel)
    body = clean_text(data.body, "input", "body", required=True, max_length=5_000)
    message = (
        await ctx.db.execute(
            insert(messages)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                direction="INBOUND",
                channel=channel,
                status="RECEIVED",
                recipient=clean_text(data.sender, "input", "sender"),
                body=body,
                author_user_id=viewer.user_id,
            )
            .returning(messages)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="message.received",
        actor=viewer,
        payload={"messageId": to_global_id("Message", message.id), "channel": channel},
    )
    return message


async def report_incident(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_viewer(ctx)
    job = await _job_for_write(ctx, data.job_id)
    description = clean_text(data.description, "input", "description", required=True)
    occurred_at = data.occurred_at or datetime.now().astimezone()
    if occurred_at.tzinfo is None:
        raise fail(ErrorCode.VALIDATION, "Give the time with a UTC offset.", "input", "occurredAt")
    incident = (
        await ctx.db.execute(
            insert(incidents)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                kind=_value(data.kind),
                severity=_value(data.severity),
                description=description,
                occurred_at=occurred_at,
                reported_by=viewer.user_id,
            )
            .returning(incidents)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="incident.reported",
        actor=viewer,
        payload={
            "incidentId": to_global_id("Incident", incident.id),
            "kind": incident.kind,
            "severity": incident.severity,
        },
    )
    return incident


async def resolve_incident(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    incident_id = parse_id(data.id, "Incident", "input", "id")
    row = await ctx.db.one_or_none(
        select(incidents)
        .where(incidents.c.id == incident_id, incidents.c.company_id == viewer.company_id)
        .with_for_update()
    )
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such incident.", "input", "id")
    if row.resolved_at is not None:
        raise fail(ErrorCode.INVALID_TRANSITION, "The incident is already resolved.", "input", "id")
    resolution = clean_text(data.resolution, "input", "resolution", required=True)
    updated = (
        await ctx.db.execute(
            update(incidents)
            .where(incidents.c.id == row.id)
            .values(resolved_at=func.now(), resolved_by=viewer.user_id, resolution=resolution)
            .returning(incidents)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=row.company_id,
        job_id=row.job_id,
        type="incident.resolved",
        actor=viewer,
        payload={"incidentId": to_global_id("Incident", row.id)},
    )
    return updated


async def create_time_entry(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_viewer(ctx)
    job = await _job_for_write(ctx, data.job_id)
    technician_id = parse_id(data.technician_id, "Technician", "input", "technicianId")
    if not viewer.is_office and viewer.technician_id != technician_id:
        raise fail(
            ErrorCode.FORBIDDEN, "Technicians record only their own time.", "input", "technicianId"
        )
    start, end = data.start, data.end
    if start.tzinfo is None or end.tzinfo is None:
        raise fail(ErrorCode.VALIDATION, "Give times with a UTC offset.", "input", "start")
    if end <= start:
        raise fail(ErrorCode.VALIDATION, "The entry must end after it starts.", "input", "end")
    # Locking the technician serialises entries of one technician, so two overlapping entries
    # sent at once cannot both pass the check below.
    tech = await ctx.db.one_or_none(
        select(technicians.c.id)
        .where(technicians.c.id == technician_id, technicians.c.company_id == viewer.company_id)
        .with_for_update()
    )
    if tech is None:
        raise fail(ErrorCode.NOT_FOUND, "No such technician.", "input", "technicianId")
    visit_id = None
    if data.visit_id is not None:
        visit_id = parse_id(data.visit_id, "Visit", "input", "visitId")
        found = await ctx.db.scalar(
            select(visits.c.id).where(visits.c.id == visit_id, visits.c.job_id == job.id)
        )
        if found is None:
            raise fail(ErrorCode.NOT_FOUND, "No such visit on this job.", "input", "visitId")
    clash = await ctx.db.one_or_none(
        select(time_entries.c.id, time_entries.c.started_at, time_entries.c.ended_at)
        .where(
            time_entries.c.company_id == viewer.company_id,
            time_entries.c.technician_id == technician_id,
            time_entries.c.started_at < end,
            time_entries.c.ended_at > start,
        )
        .limit(1)
    )
    if clash is not None:
        raise fail(
            ErrorCode.OVERLAP,
            f"This overlaps another time entry ({clash.started_at.isoformat()} to "
            f"{clash.ended_at.isoformat()}).",
            "input",
            "start",
        )
    entry = (
        await ctx.db.execute(
            insert(time_entries)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                technician_id=technician_id,
                visit_id=visit_id,
                kind=_value(data.kind),
                started_at=start,
                ended_at=end,
                notes=clean_text(data.notes, "input", "notes"),
            )
            .returning(time_entries)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="time_entry.recorded",
        actor=viewer,
        payload={
            "timeEntryId": to_global_id("TimeEntry", entry.id),
            "kind": entry.kind,
            "minutes": round((end - start).total_seconds() / 60, 1),
        },
    )
    return entry


async def approve_time_entries(ctx: Context, data: Any) -> list[Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    ids = list(dict.fromkeys(parse_id(g, "TimeEntry", "input", "ids") for g in data.ids))
    if not ids:
        raise fail(ErrorCode.VALIDATION, "Name at least one time entry.", "input", "ids")
    rows = await ctx.db.all(
        update(time_entries)
        .where(
            time_entries.c.id.in_(ids),
            time_entries.c.company_id == viewer.company_id,
            time_entries.c.approved_at.is_(None),
        )
        .values(approved_by=viewer.user_id, approved_at=func.now())
        .returning(time_entries)
    )
    if len(rows) != len(ids):
        raise fail(
            ErrorCode.NOT_FOUND,
            "Some time entries do not exist or are already approved.",
            "input",
            "ids",
        )
    for job_id in sorted({r.job_id for r in rows}):
        await record_event(
            ctx.db,
            company_id=viewer.company_id,
            job_id=job_id,
            type="time_entry.approved",
            actor=viewer,
            payload={
                "timeEntryIds": [
                    to_global_id("TimeEntry", r.id) for r in rows if r.job_id == job_id
                ]
            },
        )
    return sorted(rows, key=lambda r: r.started_at)


_PATH_EXISTS = text(
    """
    WITH RECURSIVE upstream(job_id) AS (
        SELECT depends_on_job_id FROM job_dependencies WHERE job_id = :start
        UNION
        SELECT d.depends_on_job_id FROM job_dependencies d JOIN upstream u ON d.job_id = u.job_id
    )
    SELECT EXISTS (SELECT 1 FROM upstream WHERE job_id = :target)
    """
)


async def add_dependency(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await _job_for_write(ctx, data.job_id)
    other_id = parse_id(data.depends_on_job_id, "Job", "input", "dependsOnJobId")
    other = await ctx.db.one_or_none(
        visible_jobs(select(jobs.c.id, jobs.c.number), viewer).where(jobs.c.id == other_id)
    )
    if other is None:
        raise fail(ErrorCode.NOT_FOUND, "No such job.", "input", "dependsOnJobId")
    if other.id == job.id:
        raise fail(ErrorCode.VALIDATION, "A job cannot wait on itself.", "input", "dependsOnJobId")
    # A cycle would appear if the other job already waits, directly or not, on this one.
    if await ctx.db.scalar(_PATH_EXISTS, {"start": other.id, "target": job.id}):
        raise fail(
            ErrorCode.VALIDATION,
            f"J-{other.number} already waits on J-{job.number}; that would be a cycle.",
            "input",
            "dependsOnJobId",
        )
    await ctx.db.execute(
        pg_insert(job_dependencies)
        .values(company_id=job.company_id, job_id=job.id, depends_on_job_id=other.id)
        .on_conflict_do_nothing()
    )
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="dependency.added",
        actor=viewer,
        payload={"dependsOnJobId": to_global_id("Job", other.id), "number": f"J-{other.number}"},
    )
    return job


async def remove_dependency(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await _job_for_write(ctx, data.job_id)
    other_id = parse_id(data.depends_on_job_id, "Job", "input", "dependsOnJobId")
    removed = await ctx.db.all(
        job_dependencies.delete()
        .where(
            job_dependencies.c.job_id == job.id, job_dependencies.c.depends_on_job_id == other_id
        )
        .returning(job_dependencies.c.depends_on_job_id)
    )
    if not removed:
        raise fail(
            ErrorCode.NOT_FOUND, "The job does not wait on that job.", "input", "dependsOnJobId"
        )
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="dependency.removed",
        actor=viewer,
        payload={"dependsOnJobId": to_global_id("Job", other_id)},
    )
    return job
