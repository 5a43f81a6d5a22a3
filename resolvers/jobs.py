"""Jobs: listing with filters and search, creation, edits with optimistic locking, hold, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, select, update
from sqlalchemy.engine import Row

from db.events import record_event
from db.models import (
    assets,
    companies,
    contacts,
    customers,
    job_assets,
    jobs,
    locations,
    visit_technicians,
    visits,
)
from db.models.jobs import BILLING_TYPES, PRIORITIES, SOURCES
from loaders.access import visible_jobs
from resolvers.common import (
    OFFICE_ROLES,
    Page,
    PageArgs,
    clean_text,
    count_rows,
    id_in_company,
    keyset_page,
    parse_id,
    parse_query_id,
    require_role,
    require_viewer,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.materials import refresh_readiness

ACTIVE_VISIT_STATUSES = ("EN_ROUTE", "ARRIVED", "WORKING", "PAUSED", "DEPARTED")
# Job statuses that only a named mutation leaves; visits do not move a job out of them.
STICKY_STATUSES = ("ON_HOLD", "COMPLETED", "INVOICED", "CANCELLED")
ORDERINGS = {
    "CREATED_AT_DESC": ((jobs.c.created_at, jobs.c.id), True),
    "CREATED_AT_ASC": ((jobs.c.created_at, jobs.c.id), False),
    "UPDATED_AT_DESC": ((jobs.c.updated_at, jobs.c.id), True),
    "NUMBER_DESC": ((jobs.c.number, jobs.c.id), True),
    "NUMBER_ASC": ((jobs.c.number, jobs.c.id), False),
}


def status_from_visits(visit_statuses: Sequence[str]) -> str:
    """A job's office status as its visits imply it (for jobs not held, completed or cancelled)."""
    live = [s for s in visit_statuses if s != "CANCELLED"]
    if not live:
        return "UNSCHEDULED"
    if any(s in ACTIVE_VISIT_STATUSES or s == "COMPLETED" for s in live):
        return "IN_PROGRESS"
    return "SCHEDULED"


@dataclass
class JobFilterArgs:
    status: list[str] | None = None
    priority: list[str] | None = None
    customer_id: str | None = None
    technician_id: str | None = None
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    tags: list[str] | None = None
    search: str | None = None
    readiness: list[str] | None = None


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered_jobs(ctx: Context, flt: JobFilterArgs | None) -> Any:
    viewer = require_viewer(ctx)
    query = visible_jobs(select(jobs), viewer)
    if flt is None:
        return query
    if flt.status:
        query = query.where(jobs.c.status.in_(flt.status))
    if flt.priority:
        query = query.where(jobs.c.priority.in_(flt.priority))
    if flt.readiness:
        query = query.where(jobs.c.readiness.in_(flt.readiness))
    if flt.customer_id is not None:
        query = query.where(
            jobs.c.customer_id == (parse_query_id(flt.customer_id, "Customer", "customerId") or 0)
        )
    if flt.tags:
        query = query.where(jobs.c.tags.contains(normalize_labels(flt.tags)))
    visit_conditions: list[ColumnElement[bool]] = []
    if flt.technician_id is not None:
        tech_id = parse_query_id(flt.technician_id, "Technician", "technicianId") or 0
        visit_conditions.append(
            exists().where(
                visit_technicians.c.visit_id == visits.c.id,
                visit_technicians.c.technician_id == tech_id,
            )
        )
    if flt.scheduled_from is not None:
        visit_conditions.append(visits.c.end_at > flt.scheduled_from)
    if flt.scheduled_to is not None:
        visit_conditions.append(visits.c.start_at < flt.scheduled_to)
    if visit_conditions:
        query = query.where(
            exists().where(
                visits.c.job_id == jobs.c.id,
                visits.c.company_id == viewer.company_id,
                visits.c.status != "CANCELLED",
                *visit_conditions,
            )
        )
    if flt.search:
        # PostgreSQL text cannot hold NUL characters.
        words = [w for w in flt.search.replace("\x00", " ").lower().split() if w][:8]
        query = query.where(*(jobs.c.search_text.ilike(_like_pattern(w)) for w in words))
    return query


async def list_jobs(
    ctx: Context, flt: JobFilterArgs | None, order_by: str, page: PageArgs
) -> tuple[Page, Any]:
    query = filtered_jobs(ctx, flt)
    sort, descending = ORDERINGS[order_by]
    result = await keyset_page(ctx, query, sort, descending, page)

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


def normalize_labels(values: Sequence[str]) -> list[str]:
    """Tags and skills: trimmed, lower-case, unique, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        label = value.strip().lower()
        if label:
            seen[label] = None
    return list(seen)


def _check_choice(value: Any, allowed: Sequence[str], *field: str) -> str | None:
    """The stored string of a choice; GraphQL hands enum inputs over as Enum members."""
    plain = value.value if isinstance(value, Enum) else value
    if plain is not None and plain not in allowed:
        raise fail(ErrorCode.VALIDATION, f"Must be one of {', '.join(allowed)}.", *field)
    return plain


def _check_duration(minutes: int | None) -> None:
    if minutes is not None and not 0 <= minutes <= 60 * 24 * 60:
        raise fail(
            ErrorCode.VALIDATION,
            "Estimated duration must be zero or more minutes (at most 60 days).",
            "input",
            "estimatedDurationMinutes",
        )


async def _customer_parts(
    ctx: Context,
    customer_id: int,
    location_gid: str | None,
    contact_gid: str | None,
    asset_gids: Sequence[str] | None,
) -> tuple[int | None, int | None, list[int]]:
    """Check that location, contact and assets belong to the customer (and the company)."""
    company_id = require_viewer(ctx).company_id
    location_id = contact_id = None
    if location_gid is not None:
        location_id = parse_id(location_gid, "Location", "input", "locationId")
        found = await ctx.db.scalar(
            select(locations.c.id).where(
                locations.c.id == location_id,
                locations.c.company_id == company_id,
                locations.c.customer_id == customer_id,
            )
        )
        if found is None:
            raise fail(
                ErrorCode.NOT_FOUND, "No such location for this customer.", "input", "locationId"
            )
    if contact_gid is not None:
        contact_id = parse_id(contact_gid, "Contact", "input", "contactId")
        found = await ctx.db.scalar(
            select(contacts.c.id).where(
                contacts.c.id == contact_id,
                contacts.c.company_id == company_id,
                contacts.c.customer_id == customer_id,
            )
        )
        if found is None:
            raise fail(
                ErrorCode.NOT_FOUND, "No such contact for this customer.", "input", "contactId"
            )
    asset_ids: list[int] = []
    if asset_gids:
        asset_ids = list(
            dict.fromkeys(parse_id(g, "Asset", "input", "assetIds") for g in asset_gids)
        )
        owned = set(
            (
                await ctx.db.execute(
                    select(assets.c.id)
                    .join(locations, locations.c.id == assets.c.location_id)
                    .where(
                        assets.c.id.in_(asset_ids),
                        assets.c.company_id == company_id,
                        locations.c.customer_id == customer_id,
                    )
                )
            ).scalars()
        )
        if set(asset_ids) - owned:
            raise fail(
                ErrorCode.NOT_FOUND,
                "Some assets are not this customer's equipment.",
                "input",
                "assetIds",
            )
    return location_id, contact_id, asset_ids


async def create_job(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    title = clean_text(data.title, "input", "title", required=True, max_length=200)
    scope = clean_text(data.scope, "input", "scope") or ""
    _check_duration(data.estimated_duration_minutes)
    priority = _check_choice(data.priority, PRIORITIES, "input", "priority")
    source = _check_choice(data.source, SOURCES, "input", "source")
    billing_type = _check_choice(data.billing_type, BILLING_TYPES, "input", "billingType")
    customer_id = await id_in_company(
        ctx, customers, data.customer_id, "Customer", "No such customer.", "input", "customerId"
    )
    location_id, contact_id, asset_ids = await _customer_parts(
        ctx, customer_id, data.location_id, data.contact_id, data.asset_ids
    )
    number = await ctx.db.scalar(
        update(companies)
        .where(companies.c.id == viewer.company_id)
        .values(job_seq=companies.c.job_seq + 1)
        .returning(companies.c.job_seq)
    )
    job = (
        await ctx.db.execute(
            insert(jobs)
            .values(
                company_id=viewer.company_id,
                number=number,
                title=title,
                scope=scope,
                customer_id=customer_id,
                location_id=location_id,
                contact_id=contact_id,
                priority=priority or "NORMAL",
                source=source or "DIRECT",
                source_reference=clean_text(data.source_reference, "input", "sourceReference"),
                billing_type=billing_type or "FIXED_PRICE",
                estimated_duration_minutes=data.estimated_duration_minutes,
                required_skills=normalize_labels(data.required_skills or []),
                tags=normalize_labels(data.tags or []),
            )
            .returning(jobs)
        )
    ).one()
    if asset_ids:
        await ctx.db.execute(
            insert(job_assets),
            [{"company_id": viewer.company_id, "job_id": job.id, "asset_id": a} for a in asset_ids],
        )
    await record_event(
        ctx.db,
        company_id=viewer.company_id,
        job_id=job.id,
        type="job.created",
        actor=viewer,
        payload={"number": f"J-{job.number}", "title": title, "status": job.status},
    )
    return await _reload(ctx, job.id)


async def _reload(ctx: Context, job_id: int) -> Row[Any]:
    row = await ctx.db.one_or_none(select(jobs).where(jobs.c.id == job_id))
    assert row is not None
    return row


async def lock_job(
    ctx: Context,
    gid: str,
    expected_version: int | None = None,
    field: tuple[str, ...] = ("input", "id"),
) -> Row[Any]:
    """The job row, locked for this transaction; NOT_FOUND / VERSION_CONFLICT as payload errors."""
    viewer = require_viewer(ctx)
    job_id = parse_id(gid, "Job", *field)
    row = await ctx.db.one_or_none(
        visible_jobs(select(jobs), viewer).where(jobs.c.id == job_id).with_for_update()
    )
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such job.", *field)
    if expected_version is not None and row.version != expected_version:
        raise fail(
            ErrorCode.VERSION_CONFLICT,
            f"The job was changed by someone else (now version {row.version}, you had "
            f"{expected_version}). Reload it and apply your change again.",
            "input",
            "expectedVersion",
        )
    return row


_UPDATABLE = {
    "title": "title",
    "scope": "scope",
    "priority": "priority",
    "billing_type": "billing_type",
    "estimated_duration_minutes": "estimated_duration_minutes",
    "source_reference": "source_reference",
}


async def update_job(ctx: Context, data: Any, is_set: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    if data.expected_version is None:
        raise fail(ErrorCode.VALIDATION, "expectedVersion is required.", "input", "expectedVersion")
    job = await lock_job(ctx, data.id, data.expected_version)
    if job.status in ("CANCELLED", "INVOICED"):
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"A {job.status.lower()} job can no longer be edited.",
            "input",
            "id",
        )
    values: dict[str, Any] = {}
    if is_set(data.title):
        values["title"] = clean_text(data.title, "input", "title", required=True, max_length=200)
    if is_set(data.scope):
        values["scope"] = clean_text(data.scope, "input", "scope") or ""
    if is_set(data.priority):
        if data.priority is None:
            raise fail(ErrorCode.VALIDATION, "Priority cannot be empty.", "input", "priority")
        values["priority"] = _check_choice(data.priority, PRIORITIES, "input", "priority")
    if is_set(data.billing_type):
        if data.billing_type is None:
            raise fail(
                ErrorCode.VALIDATION, "Billing type cannot be empty.", "input", "billingType"
            )
        values["billing_type"] = _check_choice(
            data.billing_type, BILLING_TYPES, "input", "billingType"
        )
    if is_set(data.estimated_duration_minutes):
        _check_duration(data.estimated_duration_minutes)
        values["estimated_duration_minutes"] = data.estimated_duration_minutes
    if is_set(data.source_reference):
        values["source_reference"] = clean_text(data.source_reference, "input", "sourceReference")
    if is_set(data.required_skills):
        values["required_skills"] = normalize_labels(data.required_skills or [])
    if is_set(data.tags):
        values["tags"] = normalize_labels(data.tags or [])
    location_gid = data.location_id if is_set(data.location_id) else None
    contact_gid = data.contact_id if is_set(data.contact_id) else None
    asset_gids = data.asset_ids if is_set(data.asset_ids) else None
    location_id, contact_id, asset_ids = await _customer_parts(
        ctx, job.customer_id, location_gid, contact_gid, asset_gids
    )
    if is_set(data.location_id):
        values["location_id"] = location_id
    if is_set(data.contact_id):
        values["contact_id"] = contact_id
    changed = {k: v for k, v in values.items() if getattr(job, k) != v}
    assets_changed = False
    if is_set(data.asset_ids):
        current = set(
            (
                await ctx.db.execute(
                    select(job_assets.c.asset_id).where(job_assets.c.job_id == job.id)
                )
            ).scalars()
        )
        if current != set(asset_ids):
            assets_changed = True
            await ctx.db.execute(job_assets.delete().where(job_assets.c.job_id == job.id))
            if asset_ids:
                await ctx.db.execute(
                    insert(job_assets),
                    [
                        {"company_id": job.company_id, "job_id": job.id, "asset_id": a}
                        for a in asset_ids
                    ],
                )
    if not changed and not assets_changed:
        return job
    await ctx.db.execute(
        update(jobs)
        .where(jobs.c.id == job.id)
        .values(**changed, version=jobs.c.version + 1, updated_at=func.now())
    )
    payload_fields = sorted([*changed, *(["asset_ids"] if assets_changed else [])])
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="job.updated",
        actor=viewer,
        payload={"fields": payload_fields},
    )
    return await _reload(ctx, job.id)


async def _set_status(
    ctx: Context,
    job: Row[Any],
    status: str,
    event_type: str,
    extra: dict[str, Any],
    payload: dict[str, Any],
) -> Row[Any]:
    viewer = require_viewer(ctx)
    await ctx.db.execute(
        update(jobs)
        .where(jobs.c.id == job.id)
        .values(status=status, version=jobs.c.version + 1, updated_at=func.now(), **extra)
    )
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type=event_type,
        actor=viewer,
        payload={"from": job.status, "to": status, **payload},
    )
    return await _reload(ctx, job.id)


async def cancel_job(
    ctx: Context, gid: str, reason: str | None, expected_version: int | None
) -> Row[Any]:
    require_role(ctx, *OFFICE_ROLES)
    job = await lock_job(ctx, gid, expected_version)
    if job.status in ("COMPLETED", "INVOICED", "CANCELLED"):
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"A {job.status.lower()} job cannot be cancelled.",
            "input",
            "id",
        )
    reason = clean_text(reason, "input", "reason", required=True, max_length=500)
    # Cancelling a job calls off every visit that has not finished.
    await ctx.db.execute(
        update(visits)
        .where(visits.c.job_id == job.id, visits.c.status.not_in(("COMPLETED", "CANCELLED")))
        .values(
            status="CANCELLED",
            status_changed_at=func.now(),
            status_reason=reason,
            version=visits.c.version + 1,
            updated_at=func.now(),
        )
    )
    # Without its visits the job has no date parts must arrive by.
    await refresh_readiness(ctx, job.id, require_viewer(ctx))
    return await _set_status(
        ctx, job, "CANCELLED", "job.cancelled", {"cancel_reason": reason}, {"reason": reason}
    )


async def hold_job(
    ctx: Context, gid: str, reason: str | None, expected_version: int | None
) -> Row[Any]:
    require_role(ctx, *OFFICE_ROLES)
    job = await lock_job(ctx, gid, expected_version)
    if job.status in STICKY_STATUSES:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"Only an open job can be put on hold; this one is {job.status}.",
            "input",
            "id",
        )
    reason = clean_text(reason, "input", "reason", required=True, max_length=500)
    return await _set_status(
        ctx, job, "ON_HOLD", "job.held", {"hold_reason": reason}, {"reason": reason}
    )


async def release_job(ctx: Context, gid: str, expected_version: int | None) -> Row[Any]:
    require_role(ctx, *OFFICE_ROLES)
    job = await lock_job(ctx, gid, expected_version)
    if job.status != "ON_HOLD":
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"Only a job on hold can be released; this one is {job.status}.",
            "input",
            "id",
        )
    statuses = (
        await ctx.db.execute(select(visits.c.status).where(visits.c.job_id == job.id))
    ).scalars()
    return await _set_status(
        ctx, job, status_from_visits(list(statuses)), "job.released", {"hold_reason": None}, {}
    )


async def job_by_number(ctx: Context, number: str) -> Row[Any] | None:
    viewer = require_viewer(ctx)
    digits = number.strip().upper().removeprefix("J-")
    # Job numbers are PostgreSQL integers.
    if not digits.isdigit() or len(digits) > 9:
        return None
    return await ctx.db.one_or_none(
        visible_jobs(select(jobs), viewer).where(jobs.c.number == int(digits))
    )
