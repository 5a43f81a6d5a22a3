"""Visits, the dispatch state machine, the day board and technician routes."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import dispatch_board as board_resolvers
from resolvers import dispatch_rules as rules
from resolvers.common import query_error
from resolvers.context import Context
from resolvers.dispatch import transition_options
from resolvers.errors import ErrorCode
from schema.common import Node, RowType, UserError, global_id
from schema.crew import GeoPoint, Technician
from schema.enums import DispatchStatus

if TYPE_CHECKING:
    from schema.jobs import Job, JobEvent

Info = strawberry.Info[Context, None]
JobType = Annotated["Job", strawberry.lazy("schema.jobs")]
JobEventType = Annotated["JobEvent", strawberry.lazy("schema.jobs")]


@strawberry.enum(description="How a technician left a visit.")
class DepartureOutcome(Enum):
    FINISHED = "FINISHED"
    RETURN_NEEDED = "RETURN_NEEDED"
    PARTS_NEEDED = "PARTS_NEEDED"


@strawberry.type(description="A status a visit could move to, and whether the viewer may press it.")
class TransitionOption:
    to: DispatchStatus
    allowed: bool
    reason: str | None = strawberry.field(description="Why not, when not allowed.")
    requires_reason: bool = strawberry.field(description="The move needs a `reason` (pausing).")
    requires_outcome: bool = strawberry.field(
        description="The move needs an `outcome` (departing)."
    )


@strawberry.type(description="Minutes spent, computed from the visit's status history.")
class VisitTimings:
    travel_minutes: float = strawberry.field(description="En route until arrival.")
    on_site_minutes: float = strawberry.field(description="Arrival until departure.")
    paused_minutes: float
    working_minutes: float


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
        return await info.context.loaders.technicians_by_visit_id.load(self.id)  # type: ignore[union-attr, arg-type, no-any-return]

    @strawberry.field(
        description="Every status the visit could move to, with whether the viewer may press it "
        "and why not, so clients never copy the state machine."
    )
    async def available_transitions(self, info: Info) -> list[TransitionOption]:
        ctx = info.context
        crew = await ctx.loaders.technician_ids_by_visit_id.load(self.id)  # type: ignore[union-attr, arg-type]
        assert ctx.viewer is not None
        return [
            TransitionOption(
                to=DispatchStatus(target),
                allowed=why_not is None,
                reason=why_not,
                requires_reason=rules.needs_reason(target),
                requires_outcome=rules.needs_outcome(target),
            )
            for target, why_not in transition_options(self, ctx.viewer, crew)
        ]

    @strawberry.field(description="Travel, on-site and paused minutes so far.")
    async def timings(self, info: Info) -> VisitTimings:
        history = await info.context.loaders.status_history_by_visit_id.load(self.id)  # type: ignore[union-attr, arg-type]
        result = rules.timings([(h.status, h.at) for h in history], datetime.now(UTC))
        return VisitTimings(
            travel_minutes=result.travel_minutes,
            on_site_minutes=result.on_site_minutes,
            paused_minutes=result.paused_minutes,
            working_minutes=result.working_minutes,
        )

    @strawberry.field(description="Projected arrival, for visits not reached yet.")
    async def eta(self, info: Info) -> datetime | None:
        return (await board_resolvers.projection_loader(info.context).load(self.id)).eta  # type: ignore[arg-type]

    @strawberry.field(
        description="Minutes past the arrival promise: not arrived by the window's end, or "
        "projected to miss it. 0 when on time."
    )
    async def late_by_minutes(self, info: Info) -> int:
        return (await board_resolvers.projection_loader(info.context).load(self.id)).late_by_minutes  # type: ignore[arg-type]

    @strawberry.field(description="Running late (see lateByMinutes).")
    async def is_late(self, info: Info) -> bool:
        return (
            await board_resolvers.projection_loader(info.context).load(self.id)
        ).late_by_minutes > 0  # type: ignore[arg-type]


@strawberry.type(description="One technician's row on the board.")
class BoardLane:
    technician: Technician
    visits: list[Visit] = strawberry.field(description="The day's visits, in start order.")


@strawberry.type(description="The dispatch board for one day (in the company's time zone).")
class DispatchBoard:
    date: date
    lanes: list[BoardLane]
    unassigned: list[Visit] = strawberry.field(description="Visits with no technician yet.")


@strawberry.type(description="A stop on a technician's route.")
class RouteStop:
    sequence: int
    visit: Visit
    eta: datetime | None = strawberry.field(description="Projected arrival; null once reached.")
    distance_km: float | None = strawberry.field(
        description="Great-circle distance from the previous position."
    )
    late_by_minutes: int

    @strawberry.field
    def is_late(self) -> bool:
        return self.late_by_minutes > 0


@strawberry.type(description="A technician's day: stops in order with ETAs.")
class TechnicianRoute:
    technician: Technician
    date: date
    stops: list[RouteStop]
    next_visit: Visit | None = strawberry.field(description="Where the technician goes or is now.")
    origin: GeoPoint | None = strawberry.field(description="Home base the day starts from.")


def route_from(result: board_resolvers.Route | None) -> TechnicianRoute | None:
    if result is None:
        return None
    stops = [
        RouteStop(
            sequence=s.sequence,
            visit=s.visit,
            eta=s.eta,  # type: ignore[arg-type]
            distance_km=s.distance_km,
            late_by_minutes=s.late_by_minutes,
        )
        for s in result.stops
    ]
    nxt = board_resolvers.next_stop(result)
    return TechnicianRoute(
        technician=result.technician,
        date=result.day,
        stops=stops,  # type: ignore[arg-type]
        next_visit=nxt.visit if nxt else None,  # type: ignore[arg-type]
        origin=GeoPoint(lat=result.origin[0], lng=result.origin[1]) if result.origin else None,
    )


def board_from(result: board_resolvers.Board) -> DispatchBoard:
    return DispatchBoard(
        date=result.day,
        lanes=[BoardLane(technician=lane.technician, visits=lane.visits) for lane in result.lanes],  # type: ignore[arg-type]
        unassigned=result.unassigned,  # type: ignore[arg-type]
    )


@strawberry.input(description="Schedule a visit of a job.")
class VisitCreateInput:
    job_id: strawberry.ID
    start: datetime
    end: datetime
    arrival_window_start: datetime | None = None
    arrival_window_end: datetime | None = None
    technician_ids: list[strawberry.ID] | None = None
    allow_overlap: bool = strawberry.field(
        default=False, description="Book even if a technician is busy in that window."
    )


@strawberry.input(description="Move a visit that has not started.")
class VisitRescheduleInput:
    visit_id: strawberry.ID
    start: datetime
    end: datetime
    arrival_window_start: datetime | None = None
    arrival_window_end: datetime | None = None
    expected_version: int | None = None
    allow_overlap: bool = False


@strawberry.input(description="Replace a visit's crew.")
class VisitAssignInput:
    visit_id: strawberry.ID
    technician_ids: list[strawberry.ID]
    expected_version: int | None = None
    allow_overlap: bool = False


@strawberry.input(description="Call off a visit (office only).")
class VisitCancelInput:
    visit_id: strawberry.ID
    reason: str | None = None
    expected_version: int | None = None


@strawberry.input(description="Press a status button: move a visit through the state machine.")
class VisitTransitionInput:
    visit_id: strawberry.ID
    to: DispatchStatus
    expected_version: int | None = strawberry.field(
        default=None, description="The version you saw; a newer one gives VERSION_CONFLICT."
    )
    reason: str | None = strawberry.field(default=None, description="Required when pausing.")
    outcome: DepartureOutcome | None = strawberry.field(
        default=None, description="Required when departing."
    )
    lat: float | None = strawberry.field(default=None, description="Where the press happened.")
    lng: float | None = None


@strawberry.type
class VisitPayload:
    visit: Visit | None
    event: JobEventType | None = strawberry.field(description="The timeline entry written.")
    errors: list[UserError]


def stream_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def parse_stream_cursor(cursor: str | None) -> int | None:
    """Position of a stream cursor; a VALIDATION error for anything not made by stream_cursor."""
    if cursor is None:
        return None
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "position":
            raise ValueError(kind)
        return int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise query_error(
            ErrorCode.VALIDATION, f"Not a valid cursor: {cursor!r}.", "after"
        ) from exc


@strawberry.type(description="One change on the dispatch board or a job, as it happens.")
class DispatchEvent:
    snapshot: strawberry.Private[Any]

    @strawberry.field(description="Pass as `after` when resubscribing to miss nothing.")
    def cursor(self) -> str:
        return stream_cursor(self.snapshot.message["position"])

    @strawberry.field(description="E.g. visit.en_route, visit.arrived, visit.paused, job.updated.")
    def type(self) -> str:
        return self.snapshot.message["type"]  # type: ignore[no-any-return]

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return datetime.fromisoformat(self.snapshot.message["at"])

    @strawberry.field(description='Who did it, as shown to people ("system" for automation).')
    def actor(self) -> str | None:
        event = self.snapshot.event
        return event.actor_name if event is not None else None

    @strawberry.field(description="The timeline entry.")
    def event(self) -> JobEventType | None:
        return self.snapshot.event  # type: ignore[no-any-return]

    @strawberry.field(description="The visit concerned, as it is now; null for job-level events.")
    def visit(self) -> Visit | None:
        return self.snapshot.visit  # type: ignore[no-any-return]

    @strawberry.field(description="The job concerned, as it is now.")
    def job(self) -> JobType | None:
        return self.snapshot.job  # type: ignore[no-any-return]
