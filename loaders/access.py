"""What a viewer may see, applied to queries where rows are fetched.

Company scoping is in every query (and row-level security backs it up); this adds the
role rules: technicians see only the jobs and visits they are assigned to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from db.auth import Viewer
from db.models import jobs, visit_technicians, visits


def assigned_job_ids(technician_id: int | None) -> Select[Any]:
    return (
        select(visits.c.job_id)
        .join(visit_technicians, visit_technicians.c.visit_id == visits.c.id)
        .where(visit_technicians.c.technician_id == (technician_id or 0))
    )


def visible_jobs(query: Select[Any], viewer: Viewer) -> Select[Any]:
    query = query.where(jobs.c.company_id == viewer.company_id)
    if viewer.role == "technician":
        query = query.where(jobs.c.id.in_(assigned_job_ids(viewer.technician_id)))
    return query


def visible_visits(query: Select[Any], viewer: Viewer) -> Select[Any]:
    query = query.where(visits.c.company_id == viewer.company_id)
    if viewer.role == "technician":
        query = query.where(
            exists().where(
                visit_technicians.c.visit_id == visits.c.id,
                visit_technicians.c.technician_id == (viewer.technician_id or 0),
            )
        )
    return query
