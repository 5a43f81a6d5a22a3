"""Jobs: the record at the centre of the workspace, and its timeline."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from resolvers.common import (
    DEFAULT_PAGE_SIZE,
    PageArgs,
    check_page_args,
    decode_int_cursor,
    encode_cursor,
)
from resolvers.context import Context
from schema.closeout import JobCloseoutTab
from schema.common import JSON, Connection, Node, RowType, UserError, global_id, make_connection
from schema.customers import Asset, Contact, Customer, Location
from schema.dispatch import Visit
from schema.enums import BillingType, JobSource, JobStatus, Priority
from schema.materials import JobMaterialsTab, MaterialReadinessStatus
from schema.tenants import User
from schema.workspace import JobWorkspaceTab

Info = strawberry.Info[Context, None]


@strawberry.type(description="Something that happened to a job: one entry of its timeline.")
class JobEvent(RowType, Node):
    type: str = strawberry.field(description="E.g. job.created, job.updated, visit.en_route.")
    payload: JSON = strawberry.field(description="Details of the change; shape depends on `type`.")
    actor_name: str | None = strawberry.field(description="Who did it, as shown to people.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("JobEvent", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Position in the job's timeline, from 1.")
    def sequence(self) -> int:
        return self.seq  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.created_at  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="The user who did it; null for the system.")
    async def actor(self, info: Info) -> User | None:
        row: Any = self
        if row.actor_user_id is None:
            return None
        return await info.context.loaders.user_by_id.load(row.actor_user_id)  # type: ignore[union-attr, no-any-return]


@strawberry.type(description="A unit of work sold to a customer, from scheduling to billing.")
class Job(RowType, JobWorkspaceTab, JobCloseoutTab, JobMaterialsTab, Node):
    title: str
    scope: str = strawberry.field(description="What is to be done, in detail.")
    priority: Priority
    status: JobStatus
    hold_reason: str | None = strawberry.field(description="Why the job is on hold.")
    cancel_reason: str | None = strawberry.field(description="Why the job was cancelled.")
    source: JobSource
    source_reference: str | None = strawberry.field(
        description="Id of the quote, booking request, lead or agreement the job came from."
    )
    billing_type: BillingType
    estimated_duration_minutes: int | None
    required_skills: list[str]
    tags: list[str]
    version: int = strawberry.field(
        description="Increases with every change; pass it as `expectedVersion` when editing."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Job", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Human job number, e.g. J-1042 (per company).")
    def number(self) -> str:
        return f"J-{self.number}"  # type: ignore[attr-defined]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        row: Any = self
        return await info.context.loaders.customer_by_id.load(row.customer_id)  # type: ignore[union-attr, no-any-return]

    @strawberry.field(description="Service address.")
    async def location(self, info: Info) -> Location | None:
        row: Any = self
        if row.location_id is None:
            return None
        return await info.context.loaders.location_by_id.load(row.location_id)  # type: ignore[union-attr, no-any-return]

    @strawberry.field(description="Person to talk to about this job.")
    async def contact(self, info: Info) -> Contact | None:
        row: Any = self
        if row.contact_id is None:
            return None
        return await info.context.loaders.contact_by_id.load(row.contact_id)  # type: ignore[union-attr, no-any-return]

    @strawberry.field(description="Equipment this job is about.")
    async def assets(self, info: Info) -> list[Asset]:
        return await info.context.loaders.assets_by_job_id.load(self.id)  # type: ignore[union-attr, arg-type, no-any-return]

    @strawberry.field(description="Schedule entries, earliest first.")
    async def visits(self, info: Info) -> list[Visit]:
        return await info.context.loaders.visits_by_job_id.load(self.id)  # type: ignore[union-attr, arg-type, no-any-return]

    @strawberry.field(description="Everything that happened to the job, oldest first by default.")
    async def timeline(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Connection[JobEvent]:
        ctx = info.context
        check_page_args(PageArgs(first=first), ctx.max_page_size)
        size = first if first is not None else DEFAULT_PAGE_SIZE
        cursor = decode_int_cursor(after, "after") if after else None
        job_id: int = self.id  # type: ignore[assignment]
        rows = await ctx.loaders.timeline_page.load((job_id, size + 1, cursor, newest_first))  # type: ignore[union-attr]
        page = rows[:size]

        async def total() -> int:
            return await ctx.loaders.timeline_count.load(job_id)  # type: ignore[union-attr, no-any-return]

        return make_connection(
            page, [encode_cursor([r.seq]) for r in page], len(rows) > size, after is not None, total
        )


@strawberry.enum(description="Orderings of the jobs list.")
class JobOrderBy(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    NUMBER_DESC = "NUMBER_DESC"
    NUMBER_ASC = "NUMBER_ASC"


@strawberry.input(description="Narrow the jobs list; all given conditions must hold.")
class JobFilter:
    status: list[JobStatus] | None = None
    priority: list[Priority] | None = None
    customer_id: strawberry.ID | None = None
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="Jobs with a visit assigned to this technician."
    )
    scheduled_from: datetime | None = strawberry.field(
        default=None, description="Jobs with a visit ending after this instant."
    )
    scheduled_to: datetime | None = strawberry.field(
        default=None, description="Jobs with a visit starting before this instant."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description="Jobs carrying all these tags."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Words found in the number, title, scope, customer name or address.",
    )
    readiness: list[MaterialReadinessStatus] | None = strawberry.field(
        default=None,
        description="Jobs whose material readiness is one of these, e.g. [SHORT, AT_RISK] for "
        "jobs blocked by parts.",
    )


@strawberry.input(description="A new job for a customer.")
class JobCreateInput:
    customer_id: strawberry.ID
    title: str
    scope: str | None = None
    location_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    asset_ids: list[strawberry.ID] | None = None
    priority: Priority | None = None
    source: JobSource | None = None
    source_reference: str | None = None
    billing_type: BillingType | None = None
    estimated_duration_minutes: int | None = None
    required_skills: list[str] | None = None
    tags: list[str] | None = None


@strawberry.input(description="Changes to a job; omitted fields stay as they are.")
class JobUpdateInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The version you edited; a newer one on the server gives VERSION_CONFLICT."
    )
    title: str | None = UNSET
    scope: str | None = UNSET
    location_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    asset_ids: list[strawberry.ID] | None = UNSET
    priority: Priority | None = UNSET
    source_reference: str | None = UNSET
    billing_type: BillingType | None = UNSET
    estimated_duration_minutes: int | None = UNSET
    required_skills: list[str] | None = UNSET
    tags: list[str] | None = UNSET


@strawberry.input(description="Cancel a job and every visit that has not finished.")
class JobCancelInput:
    id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.input(description="Put a job on hold (e.g. waiting for the customer or parts).")
class JobHoldInput:
    id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.input(description="Take a job off hold; its status follows its visits again.")
class JobReleaseInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.type
class JobPayload:
    job: Job | None
    errors: list[UserError]
