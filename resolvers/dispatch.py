"""Visits: scheduling, crew assignment and the dispatch state machine, with their events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row

from db.auth import Viewer
from db.events import record_event
from db.models import jobs, technicians, visit_technicians, visits
from loaders.access import visible_visits
from resolvers import dispatch_rules as rules
from resolvers.common import OFFICE_ROLES, parse_id, require_role, require_viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import to_global_id
from resolvers.jobs import STICKY_STATUSES, lock_job, status_from_visits
from resolvers.materials import refresh_readiness

CLOSED_JOB_STATUSES = ("COMPLETED", "INVOICED", "CANCELLED")


def _visit_gid(visit_id: int) -> str:
    return to_global_id("Visit", visit_id)


async def lock_visit(ctx: Context, gid: str, expected_version: int | None, *field: str) -> Row[Any]:
    """The visit row locked for this transaction; refusals as payload errors."""
    viewer = require_viewer(ctx)
    visit_id = parse_id(gid, "Visit", *field)
    row = await ctx.db.one_or_none(
        visible_visits(select(visits), viewer).where(visits.c.id == visit_id).with_for_update()
    )
    if row is None:
        # A technician pressing on a visit of the company that is not theirs (say, reassigned
        # while their app still showed it) is told so, not that the visit does not exist.
        if viewer.role == "technician" and await ctx.db.scalar(
            select(visits.c.id).where(
                visits.c.id == visit_id, visits.c.company_id == viewer.company_id
            )
        ):
            raise fail(ErrorCode.FORBIDDEN, "You are not assigned to this visit.", *field)
        raise fail(ErrorCode.NOT_FOUND, "No such visit.", *field)
    if expected_version is not None and row.version != expected_version:
        raise fail(
            ErrorCode.VERSION_CONFLICT,
            f"The visit was changed by someone else (now version {row.version}, you had "
            f"{expected_version}). Reload it and try again.",
            "input",
            "expectedVersion",
        )
    return row


def _check_window(
    start: datetime, end: datetime, window_start: datetime | None, window_end: datetime | None
) -> None:
    for value, name in ((start, "start"), (end, "end")):
        if value.tzinfo is None:
            raise fail(ErrorCode.VALIDATION, "Give times with a UTC offset.", "input", name)
    if end <= start:
        raise fail(ErrorCode.VALIDATION, "The visit must end after it starts.", "input", "end")
    if (window_start is None) != (window_end is None):
        raise fail(
            ErrorCode.VALIDATION,
            "Give both ends of the arrival window, or neither.",
            "input",
            "arrivalWindowStart",
        )
    if window_start is not None and window_end is not None:
        if window_end < window_start:
            raise fail(
                ErrorCode.VALIDATION,
                "The arrival window must end after it starts.",
                "input",
                "arrivalWindowEnd",
            )
        if window_start >= end:
            raise fail(
                ErrorCode.VALIDATION,
                "The arrival window must open before the visit ends.",
                "input",
                "arrivalWindowStart",
            )


async def _technician_ids(ctx: Context, gids: Sequence[str] | None) -> list[int]:
    viewer = require_viewer(ctx)
    ids = list(
        dict.fromkeys(parse_id(g, "Technician", "input", "technicianIds") for g in gids or [])
    )
    if not ids:
        return []
    found = set(
        (
            await ctx.db.execute(
                select(technicians.c.id).where(
                    technicians.c.id.in_(ids),
                    technicians.c.company_id == viewer.company_id,
                    technicians.c.active.is_(True),
                )
            )
        ).scalars()
    )
    if set(ids) - found:
        raise fail(ErrorCode.NOT_FOUND, "No such active technician.", "input", "technicianIds")
    return ids


async def _check_overlap(
    ctx: Context,
    technician_ids: list[int],
    start: datetime,
    end: datetime,
    exclude_visit: int | None,
) -> None:
    """Refuse double-booking a technician in an overlapping window (OVERLAP)."""
    if not technician_ids:
        return
    viewer = require_viewer(ctx)
    query = (
        select(technicians.c.name, visits.c.id, visits.c.start_at, visits.c.end_at)
        .select_from(visits)
        .join(visit_technicians, visit_technicians.c.visit_id == visits.c.id)
        .join(technicians, technicians.c.id == visit_technicians.c.technician_id)
        .where(
            visits.c.company_id == viewer.company_id,
            visit_technicians.c.technician_id.in_(technician_ids),
            visits.c.status.not_in(rules.FINAL),
            visits.c.start_at < end,
            visits.c.end_at > start,
        )
        .order_by(visits.c.start_at)
    )
    if exclude_visit is not None:
        query = query.where(visits.c.id != exclude_visit)
    clashes = await ctx.db.all(query)
    if clashes:
        names = sorted({c.name for c in clashes})
        first = clashes[0]
        raise fail(
            ErrorCode.OVERLAP,
            f"{', '.join(names)} already booked from {first.start_at.isoformat()} to "
            f"{first.end_at.isoformat()} (visit {_visit_gid(first.id)}). Pass allowOverlap: true "
            "to book anyway.",
            "input",
            "technicianIds",
        )


async def refresh_job_status(ctx: Context, job_id: int, actor: Viewer | None) -> None:
    """Move the job's office status to what its visits now imply (unless held or closed)."""
    job = await ctx.db.one_or_none(select(jobs).where(jobs.c.id == job_id).with_for_update())
    if job is None or job.status in STICKY_STATUSES:
        return
    statuses = (
        await ctx.db.execute(select(visits.c.status).where(visits.c.job_id == job_id))
    ).scalars()
    status = status_from_visits(list(statuses))
    if status == job.status:
        return
    await ctx.db.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(status=status, version=jobs.c.version + 1, updated_at=func.now())
    )
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job_id,
        type="job.status_changed",
        actor=actor,
        payload={"from": job.status, "to": status},
    )


async def _crew(ctx: Context, visit_id: int) -> list[int]:
    return list(
        (
            await ctx.db.execute(
                select(visit_technicians.c.technician_id)
                .where(visit_technicians.c.visit_id == visit_id)
                .order_by(visit_technicians.c.technician_id)
            )
        ).scalars()
    )


async def _set_crew(
    ctx: Context, company_id: int, visit_id: int, technician_ids: list[int]
) -> None:
    await ctx.db.execute(visit_technicians.delete().where(visit_technicians.c.visit_id == visit_id))
    if technician_ids:
        await ctx.db.execute(
            insert(visit_technicians),
            [
                {"company_id": company_id, "visit_id": visit_id, "technician_id": t}
                for t in technician_ids
            ],
        )


def _tech_gids(ids: Sequence[int]) -> list[str]:
    return [to_global_id("Technician", t) for t in ids]


async def create_visit(ctx: Context, data: Any) -> tuple[Row[Any], Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await lock_job(ctx, data.job_id, field=("input", "jobId"))
    if job.status in CLOSED_JOB_STATUSES:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"A {job.status.lower()} job takes no new visits.",
            "input",
            "jobId",
        )
    _check_window(data.start, data.end, data.arrival_window_start, data.arrival_window_end)
    crew = await _technician_ids(ctx, data.technician_ids)
    if not data.allow_overlap:
        await _check_overlap(ctx, crew, data.start, data.end, None)
    visit = (
        await ctx.db.execute(
            insert(visits)
            .values(
                company_id=viewer.company_id,
                job_id=job.id,
                start_at=data.start,
                end_at=data.end,
                arrival_window_start=data.arrival_window_start,
                arrival_window_end=data.arrival_window_end,
                status=rules.SCHEDULED,
                status_changed_at=func.now(),
            )
            .returning(visits)
        )
    ).one()
    await _set_crew(ctx, viewer.company_id, visit.id, crew)
    event = await record_event(
        ctx.db,
        company_id=viewer.company_id,
        job_id=job.id,
        visit_id=visit.id,
        type="visit.created",
        actor=viewer,
        payload={
            "visitId": _visit_gid(visit.id),
            "to": rules.SCHEDULED,
            "start": data.start.isoformat(),
            "end": data.end.isoformat(),
            "technicianIds": _tech_gids(crew),
        },
    )
    await refresh_job_status(ctx, job.id, viewer)
    # The next visit is what parts must arrive before.
    await refresh_readiness(ctx, job.id, viewer)
    return visit, event


async def reschedule_visit(ctx: Context, data: Any) -> tuple[Row[Any], Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    visit = await lock_visit(ctx, data.visit_id, data.expected_version, "input", "visitId")
    if visit.status != rules.SCHEDULED:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"Only a visit that has not started can be rescheduled; this one is {visit.status}.",
            "input",
            "visitId",
        )
    _check_window(data.start, data.end, data.arrival_window_start, data.arrival_window_end)
    crew = await _crew(ctx, visit.id)
    if not data.allow_overlap:
        await _check_overlap(ctx, crew, data.start, data.end, visit.id)
    updated = (
        await ctx.db.execute(
            update(visits)
            .where(visits.c.id == visit.id)
            .values(
                start_at=data.start,
                end_at=data.end,
                arrival_window_start=data.arrival_window_start,
                arrival_window_end=data.arrival_window_end,
                late_alerted_at=None,
                version=visits.c.version + 1,
                updated_at=func.now(),
            )
            .returning(visits)
        )
    ).one()
    event = await record_event(
        ctx.db,
        company_id=visit.company_id,
        job_id=visit.job_id,
        visit_id=visit.id,
        type="visit.rescheduled",
        actor=viewer,
        previous_visit_start=visit.start_at,
        payload={
            "visitId": _visit_gid(visit.id),
            "from": {"start": visit.start_at.isoformat(), "end": visit.end_at.isoformat()},
            "to": {"start": data.start.isoformat(), "end": data.end.isoformat()},
        },
    )
    await refresh_readiness(ctx, visit.job_id, viewer)
    return updated, event


async def assign_visit(ctx: Context, data: Any) -> tuple[Row[Any], Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    visit = await lock_visit(ctx, data.visit_id, data.expected_version, "input", "visitId")
    if visit.status in rules.FINAL:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"The visit is {visit.status}; its crew is final.",
            "input",
            "visitId",
        )
    before = await _crew(ctx, visit.id)
    crew = await _technician_ids(ctx, data.technician_ids)
    if not data.allow_overlap:
        await _check_overlap(
            ctx, [t for t in crew if t not in before], visit.start_at, visit.end_at, visit.id
        )
    await _set_crew(ctx, visit.company_id, visit.id, crew)
    updated = (
        await ctx.db.execute(
            update(visits)
            .where(visits.c.id == visit.id)
            .values(version=visits.c.version + 1, updated_at=func.now())
            .returning(visits)
        )
    ).one()
    event = await record_event(
        ctx.db,
        company_id=visit.company_id,
        job_id=visit.job_id,
        visit_id=visit.id,
        type="visit.assigned",
        actor=viewer,
        previous_technician_ids=before,
        payload={
            "visitId": _visit_gid(visit.id),
            "from": _tech_gids(before),
            "to": _tech_gids(crew),
        },
    )
    return updated, event


async def transition_visit(ctx: Context, data: Any) -> tuple[Row[Any], Row[Any]]:
    """Move a visit through the dispatch state machine (row lock + version against races)."""
    viewer = require_viewer(ctx)
    target = data.to if isinstance(data.to, str) else data.to.value
    visit = await lock_visit(ctx, data.visit_id, data.expected_version, "input", "visitId")
    crew = await _crew(ctx, visit.id)
    assigned = viewer.technician_id is not None and viewer.technician_id in crew
    why_not = rules.refusal(visit.status, target, office=viewer.is_office, assigned=assigned)
    if why_not is not None:
        code = (
            ErrorCode.FORBIDDEN
            if why_not.startswith(("Only the office", "You are not assigned"))
            else ErrorCode.INVALID_TRANSITION
        )
        raise fail(code, why_not, "input", "to")
    reason = (data.reason or "").strip() or None
    outcome = (
        data.outcome.value
        if data.outcome is not None and not isinstance(data.outcome, str)
        else data.outcome
    )
    if rules.needs_reason(target) and reason is None:
        raise fail(ErrorCode.VALIDATION, "Say why the visit is paused.", "input", "reason")
    if rules.needs_outcome(target) and outcome is None:
        raise fail(
            ErrorCode.VALIDATION,
            f"Say how the visit was left: one of {', '.join(rules.OUTCOMES)}.",
            "input",
            "outcome",
        )
    if (data.lat is None) != (data.lng is None):
        raise fail(
            ErrorCode.VALIDATION, "Give both latitude and longitude, or neither.", "input", "lat"
        )
    if data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lng <= 180):
        raise fail(ErrorCode.VALIDATION, "Coordinates out of range.", "input", "lat")
    values: dict[str, Any] = {
        "status": target,
        "status_changed_at": func.now(),
        "status_reason": outcome if target == rules.DEPARTED else reason,
        "version": visits.c.version + 1,
        "updated_at": func.now(),
    }
    if data.lat is not None:
        values.update(last_lat=data.lat, last_lng=data.lng)
    updated = (
        await ctx.db.execute(
            update(visits).where(visits.c.id == visit.id).values(**values).returning(visits)
        )
    ).one()
    payload: dict[str, Any] = {"visitId": _visit_gid(visit.id), "from": visit.status, "to": target}
    if reason is not None:
        payload["reason"] = reason
    if outcome is not None:
        payload["outcome"] = outcome
    if data.lat is not None:
        payload.update(lat=data.lat, lng=data.lng)
    event = await record_event(
        ctx.db,
        company_id=visit.company_id,
        job_id=visit.job_id,
        visit_id=visit.id,
        type=f"visit.{target.lower()}",
        actor=viewer,
        payload=payload,
    )
    await refresh_job_status(ctx, visit.job_id, viewer)
    if target in rules.FINAL:
        await refresh_readiness(ctx, visit.job_id, viewer)
    return updated, event


def transition_options(
    visit: Any, viewer: Viewer, crew: Sequence[int]
) -> list[tuple[str, str | None]]:
    """Every target status with None when allowed, else the reason it is not."""
    assigned = viewer.technician_id is not None and viewer.technician_id in crew
    return [
        (target, rules.refusal(visit.status, target, office=viewer.is_office, assigned=assigned))
        for target in rules.STATUSES
        if target != visit.status
    ]
