"""Workspace tabs kept by people: notes, messages, incidents, time entries, dependencies."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import workspace as resolvers
from resolvers.common import (
    DEFAULT_PAGE_SIZE,
    PageArgs,
    check_page_args,
    decode_int_cursor,
    encode_cursor,
)
from resolvers.context import Context
from schema.common import (
    Connection,
    Node,
    RowType,
    UserError,
    global_id,
    make_connection,
    payload_of,
    run_mutation,
)
from schema.crew import Technician
from schema.tenants import User

if TYPE_CHECKING:
    from schema.dispatch import Visit
    from schema.jobs import Job

Info = strawberry.Info[Context, None]
JobType = Annotated["Job", strawberry.lazy("schema.jobs")]
VisitType = Annotated["Visit", strawberry.lazy("schema.dispatch")]


async def tab_connection(
    info: Info, job_id: int, tab: str, first: int | None, after: str | None, newest_first: bool
) -> Connection[Any]:
    """A page of one tab of one job; many jobs' pages load in one statement (loaders/pages.py)."""
    ctx = info.context
    check_page_args(PageArgs(first=first), ctx.max_page_size)
    size = first if first is not None else DEFAULT_PAGE_SIZE
    cursor = decode_int_cursor(after, "after") if after else None
    loaders: Any = ctx.loaders
    rows = await loaders.tab_page(tab).load((job_id, size + 1, cursor, newest_first))
    page = rows[:size]

    async def total() -> int:
        return await loaders.tab_count(tab).load(job_id)  # type: ignore[no-any-return]

    return make_connection(
        page, [encode_cursor([r.id]) for r in page], len(rows) > size, after is not None, total
    )


async def _user(info: Info, user_id: int | None) -> Any:
    if user_id is None:
        return None
    return await info.context.loaders.user_by_id.load(user_id)  # type: ignore[union-attr]


@strawberry.type(description="An internal note on a job (never shown to the customer).")
class Note(RowType, Node):
    body: str
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Note", self.id)  # type: ignore[arg-type]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.author_user_id)  # type: ignore[attr-defined, no-any-return]


@strawberry.enum(description="Which way a customer message went.")
class MessageDirection(Enum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


@strawberry.enum(description="How a customer message travels.")
class MessageChannel(Enum):
    SMS = "SMS"
    EMAIL = "EMAIL"
    PORTAL = "PORTAL"
    PHONE = "PHONE"


@strawberry.enum(description="Delivery state of a customer message.")
class MessageStatus(Enum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    RECEIVED = "RECEIVED"


@strawberry.type(description="A message in the customer-facing thread of a job.")
class Message(RowType, Node):
    direction: MessageDirection
    channel: MessageChannel
    status: MessageStatus
    recipient: str | None = strawberry.field(description="Phone or email (sender, for inbound).")
    body: str
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Message", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Who wrote or logged it.")
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.author_user_id)  # type: ignore[attr-defined, no-any-return]


@strawberry.enum(description="What kind of incident.")
class IncidentKind(Enum):
    SAFETY = "SAFETY"
    DAMAGE = "DAMAGE"
    COMPLAINT = "COMPLAINT"
    OTHER = "OTHER"


@strawberry.enum(description="How serious an incident is.")
class Severity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.type(description="Something that went wrong on a job: safety, damage, complaint.")
class Incident(RowType, Node):
    kind: IncidentKind
    severity: Severity
    description: str
    occurred_at: datetime
    resolved_at: datetime | None
    resolution: str | None

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Incident", self.id)  # type: ignore[arg-type]

    @strawberry.field
    async def reported_by(self, info: Info) -> User | None:
        return await _user(info, self.reported_by)  # type: ignore[arg-type]

    @strawberry.field
    async def resolved_by(self, info: Info) -> User | None:
        return await _user(info, self.resolved_by)  # type: ignore[arg-type]


@strawberry.enum(description="What a stretch of a technician's time was spent on.")
class TimeKind(Enum):
    TRAVEL = "TRAVEL"
    WORK = "WORK"
    BREAK = "BREAK"


@strawberry.type(description="Time a technician spent on a job.")
class TimeEntry(RowType, Node):
    kind: TimeKind
    notes: str | None
    approved_at: datetime | None = strawberry.field(description="Null until the office approves.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("TimeEntry", self.id)  # type: ignore[arg-type]

    @strawberry.field
    def start(self) -> datetime:
        return self.started_at  # type: ignore[attr-defined, no-any-return]

    @strawberry.field
    def end(self) -> datetime:
        return self.ended_at  # type: ignore[attr-defined, no-any-return]

    @strawberry.field
    def minutes(self) -> float:
        row: Any = self
        return round((row.ended_at - row.started_at).total_seconds() / 60, 2)

    @strawberry.field
    async def technician(self, info: Info) -> Technician | None:
        row: Any = self
        return await info.context.loaders.technician_by_id.load(row.technician_id)  # type: ignore[union-attr, no-any-return]

    @strawberry.field
    async def visit(self, info: Info) -> VisitType | None:
        row: Any = self
        if row.visit_id is None:
            return None
        return await info.context.loaders.visit_by_id.load(row.visit_id)  # type: ignore[union-attr]

    @strawberry.field
    async def approved_by(self, info: Info) -> User | None:
        return await _user(info, self.approved_by)  # type: ignore[arg-type]


FINISHED = ("COMPLETED", "INVOICED", "CANCELLED")


@strawberry.type
class JobWorkspaceTab:
    """Fields of Job for the people-kept tabs (Job inherits them)."""

    @strawberry.field(description="Internal notes, newest first by default.")
    async def notes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = True,
    ) -> Connection[Note]:
        return await tab_connection(info, self.id, "notes", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="The customer-facing message thread, oldest first by default.")
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Connection[Message]:
        return await tab_connection(info, self.id, "messages", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="Incidents reported on the job.")
    async def incidents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = True,
    ) -> Connection[Incident]:
        return await tab_connection(info, self.id, "incidents", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="Time technicians spent on the job.")
    async def time_entries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Connection[TimeEntry]:
        return await tab_connection(info, self.id, "time_entries", first, after, newest_first)  # type: ignore[attr-defined]

    @strawberry.field(description="Jobs this job waits on.")
    async def depends_on(self, info: Info) -> list[JobType]:
        return await info.context.loaders.depends_on_by_job_id.load(self.id)  # type: ignore[union-attr, attr-defined, no-any-return]

    @strawberry.field(description="Jobs waiting on this one.")
    async def dependents(self, info: Info) -> list[JobType]:
        return await info.context.loaders.dependents_by_job_id.load(self.id)  # type: ignore[union-attr, attr-defined, no-any-return]

    @strawberry.field(description="Jobs this job waits on that are not finished yet.")
    async def blocked_by(self, info: Info) -> list[JobType]:
        rows = await info.context.loaders.depends_on_by_job_id.load(self.id)  # type: ignore[union-attr, attr-defined]
        return [r for r in rows if r.status not in FINISHED]  # type: ignore[misc]


@strawberry.input(description="An internal note.")
class NoteAddInput:
    job_id: strawberry.ID
    body: str


@strawberry.input(description="A message to the customer.")
class MessageSendInput:
    job_id: strawberry.ID
    channel: MessageChannel
    body: str
    recipient: str | None = strawberry.field(default=None, description="Phone or email.")


@strawberry.input(description="A message the customer sent (logged by the office).")
class MessageRecordInput:
    job_id: strawberry.ID
    channel: MessageChannel
    body: str
    sender: str | None = None


@strawberry.input(description="Report an incident on a job.")
class IncidentReportInput:
    job_id: strawberry.ID
    kind: IncidentKind
    severity: Severity
    description: str
    occurred_at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(description="Close an incident with what was done about it.")
class IncidentResolveInput:
    id: strawberry.ID
    resolution: str


@strawberry.input(description="Time a technician spent; overlapping entries are refused.")
class TimeEntryCreateInput:
    job_id: strawberry.ID
    technician_id: strawberry.ID
    kind: TimeKind
    start: datetime
    end: datetime
    visit_id: strawberry.ID | None = None
    notes: str | None = None


@strawberry.input(description="Approve time entries (office).")
class TimeEntriesApproveInput:
    ids: list[strawberry.ID]


@strawberry.input(description="Make a job wait on another; cycles are refused.")
class JobDependencyInput:
    job_id: strawberry.ID
    depends_on_job_id: strawberry.ID


@strawberry.type
class NotePayload:
    note: Note | None
    errors: list[UserError]


@strawberry.type
class MessagePayload:
    message: Message | None
    errors: list[UserError]


@strawberry.type
class IncidentPayload:
    incident: Incident | None
    errors: list[UserError]


@strawberry.type
class TimeEntryPayload:
    time_entry: TimeEntry | None
    errors: list[UserError]


@strawberry.type
class TimeEntriesPayload:
    time_entries: list[TimeEntry]
    errors: list[UserError]


@strawberry.type
class JobDependencyPayload:
    job: JobType | None
    errors: list[UserError]


@strawberry.type
class WorkspaceMutation:
    @strawberry.mutation(description="Add an internal note to a job.")
    async def note_add(self, info: Info, input: NoteAddInput) -> NotePayload:
        return await run_mutation(
            info,
            lambda: resolvers.add_note(info.context, input),
            *payload_of(NotePayload, "note"),
        )

    @strawberry.mutation(description="Send a message to the customer of a job.")
    async def message_send(self, info: Info, input: MessageSendInput) -> MessagePayload:
        return await run_mutation(
            info,
            lambda: resolvers.send_message(info.context, input),
            *payload_of(MessagePayload, "message"),
        )

    @strawberry.mutation(description="Log a message the customer sent.")
    async def message_record(self, info: Info, input: MessageRecordInput) -> MessagePayload:
        return await run_mutation(
            info,
            lambda: resolvers.record_inbound_message(info.context, input),
            *payload_of(MessagePayload, "message"),
        )

    @strawberry.mutation(description="Report an incident.")
    async def incident_report(self, info: Info, input: IncidentReportInput) -> IncidentPayload:
        return await run_mutation(
            info,
            lambda: resolvers.report_incident(info.context, input),
            *payload_of(IncidentPayload, "incident"),
        )

    @strawberry.mutation(description="Resolve an incident.")
    async def incident_resolve(self, info: Info, input: IncidentResolveInput) -> IncidentPayload:
        return await run_mutation(
            info,
            lambda: resolvers.resolve_incident(info.context, input),
            *payload_of(IncidentPayload, "incident"),
        )

    @strawberry.mutation(description="Record time on a job; OVERLAP if it overlaps another entry.")
    async def time_entry_create(self, info: Info, input: TimeEntryCreateInput) -> TimeEntryPayload:
        return await run_mutation(
            info,
            lambda: resolvers.create_time_entry(info.context, input),
            *payload_of(TimeEntryPayload, "time_entry"),
        )

    @strawberry.mutation(description="Approve time entries for labor costing.")
    async def time_entries_approve(
        self, info: Info, input: TimeEntriesApproveInput
    ) -> TimeEntriesPayload:
        return await run_mutation(
            info,
            lambda: resolvers.approve_time_entries(info.context, input),
            lambda rows: TimeEntriesPayload(time_entries=rows, errors=[]),
            lambda errors: TimeEntriesPayload(time_entries=[], errors=errors),
        )

    @strawberry.mutation(description="Make a job wait on another job.")
    async def job_dependency_add(
        self, info: Info, input: JobDependencyInput
    ) -> JobDependencyPayload:
        return await run_mutation(
            info,
            lambda: resolvers.add_dependency(info.context, input),
            *payload_of(JobDependencyPayload, "job"),
        )

    @strawberry.mutation(description="Stop a job waiting on another job.")
    async def job_dependency_remove(
        self, info: Info, input: JobDependencyInput
    ) -> JobDependencyPayload:
        return await run_mutation(
            info,
            lambda: resolvers.remove_dependency(info.context, input),
            *payload_of(JobDependencyPayload, "job"),
        )
