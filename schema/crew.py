"""Technicians and crews."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import UNSET

from resolvers.context import Context
from schema.common import Node, RowType, UserError, global_id
from schema.enums import Weekday

if TYPE_CHECKING:
    from schema.tenants import User

Info = strawberry.Info[Context, None]
UserType = Annotated["User", strawberry.lazy("schema.tenants")]


@strawberry.type(
    description="A skill a technician has, with a level from 1 (trainee) to 5 (master)."
)
class SkillLevel:
    skill: str
    level: int


@strawberry.type(description="A point on the map (WGS84).")
class GeoPoint:
    lat: float
    lng: float


@strawberry.type(description="A technician's shift on one day of the week, local times HH:MM.")
class WorkingDay:
    day: Weekday
    start: str
    end: str


@strawberry.type(description="A member of the field workforce.")
class Technician(RowType, Node):
    name: str
    email: str | None
    phone: str | None
    hourly_cost: Decimal = strawberry.field(description="What an hour of this technician costs.")
    color: str | None = strawberry.field(description="Colour on the dispatch board, e.g. #1e88e5.")
    active: bool

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Technician", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Skills with levels.")
    def skills(self) -> list[SkillLevel]:
        raw: list[dict[str, Any]] = self.skills  # type: ignore[assignment]
        return [SkillLevel(skill=s["skill"], level=s["level"]) for s in raw]

    @strawberry.field(description="Where the technician starts the day.")
    def home_base(self) -> GeoPoint | None:
        row: Any = self
        if row.home_lat is None or row.home_lng is None:
            return None
        return GeoPoint(lat=row.home_lat, lng=row.home_lng)

    @strawberry.field(description="Shifts per weekday; days not listed are days off.")
    def working_hours(self) -> list[WorkingDay]:
        raw: dict[str, list[str]] = self.working_hours  # type: ignore[assignment]
        order = [d.value for d in Weekday]
        return [
            WorkingDay(day=Weekday(day.upper()), start=span[0], end=span[1])
            for day, span in sorted(raw.items(), key=lambda kv: order.index(kv[0].upper()))
        ]

    @strawberry.field(description="Crews this technician belongs to.")
    async def crews(self, info: Info) -> list[Crew]:
        return await info.context.loaders.crews_by_technician_id.load(self.id)  # type: ignore[union-attr, arg-type]

    @strawberry.field(description="The user account the technician signs in with, if any.")
    async def user(self, info: Info) -> UserType | None:
        row: Any = self
        if row.user_id is None:
            return None
        return await info.context.loaders.user_by_id.load(row.user_id)  # type: ignore[union-attr]


@strawberry.type(description="A named team of technicians.")
class Crew(RowType, Node):
    name: str
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Crew", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Technicians in the crew.")
    async def members(self, info: Info) -> list[Technician]:
        return await info.context.loaders.technicians_by_crew_id.load(self.id)  # type: ignore[union-attr, arg-type]


@strawberry.input(description="A skill with its level (1 trainee to 5 master).")
class SkillLevelInput:
    skill: str
    level: int


@strawberry.input(description="A point on the map.")
class GeoPointInput:
    lat: float
    lng: float


@strawberry.input(description="A shift on one weekday, HH:MM local time.")
class WorkingDayInput:
    day: Weekday
    start: str
    end: str


@strawberry.input(description="A new technician profile.")
class TechnicianCreateInput:
    name: str
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Link to a user account so the technician can sign in."
    )
    email: str | None = None
    phone: str | None = None
    skills: list[SkillLevelInput] | None = None
    home_base: GeoPointInput | None = None
    working_hours: list[WorkingDayInput] | None = None
    hourly_cost: Decimal | None = None
    color: str | None = None


@strawberry.input(description="Changes to a technician; omitted fields stay as they are.")
class TechnicianUpdateInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    skills: list[SkillLevelInput] | None = UNSET
    home_base: GeoPointInput | None = UNSET
    working_hours: list[WorkingDayInput] | None = UNSET
    hourly_cost: Decimal | None = UNSET
    color: str | None = UNSET
    active: bool | None = UNSET


@strawberry.input(description="A new crew.")
class CrewCreateInput:
    name: str
    technician_ids: list[strawberry.ID] | None = None


@strawberry.type
class TechnicianPayload:
    technician: Technician | None
    errors: list[UserError]


@strawberry.type
class CrewPayload:
    crew: Crew | None
    errors: list[UserError]
