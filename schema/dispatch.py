"""Visits: a job's schedule entries and their dispatch status."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.context import Context
from schema.common import Node, RowType, global_id
from schema.crew import Technician
from schema.enums import DispatchStatus

if TYPE_CHECKING:
    from schema.jobs import Job

Info = strawberry.Info[Context, None]
JobType = Annotated["Job", strawberry.lazy("schema.jobs")]


@strawberry.type(
    description="A schedule entry of a job: when, who, and where it stands in the field."
)
class Visit(RowType, Node):
    arrival_window_start: datetime | None = strawberry.field(
        description="Earliest arrival promised to the customer."
    )
    arrival_window_end: datetime | None = strawberry.field(
        description="Latest arrival promised to the customer."
    )
    status: DispatchStatus
    status_changed_at: datetime | None
    status_reason: str | None = strawberry.field(
        description="Why the visit is paused, or how it was left (departure outcome)."
    )
    version: int = strawberry.field(description="Increases with every change (optimistic locking).")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Visit", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Planned start.")
    def start(self) -> datetime:
        return self.start_at  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="Planned end.")
    def end(self) -> datetime:
        return self.end_at  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="The job this visit belongs to.")
    async def job(self, info: Info) -> JobType | None:
        row: Any = self
        return await info.context.loaders.job_by_id.load(row.job_id)  # type: ignore[union-attr]

    @strawberry.field(description="Technicians assigned to the visit (its crew).")
    async def technicians(self, info: Info) -> list[Technician]:
        return await info.context.loaders.technicians_by_visit_id.load(self.id)  # type: ignore[union-attr, arg-type]
