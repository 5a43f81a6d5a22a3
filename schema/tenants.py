"""The company, its users, the viewer, and signing in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.context import Context
from schema.common import Node, RowType, UserError, global_id
from schema.enums import Role

if TYPE_CHECKING:
    from schema.crew import Technician

Info = strawberry.Info[Context, None]
TechnicianType = Annotated["Technician", strawberry.lazy("schema.crew")]


@strawberry.type(description="A business using the service (a tenant). Nothing crosses companies.")
class Company(RowType, Node):
    name: str
    timezone: str = strawberry.field(description="IANA time zone the company's days are in.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Company", self.id)  # type: ignore[arg-type]


@strawberry.type(description="Someone who signs in to the company's workspace.")
class User(RowType, Node):
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("User", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="The technician profile of this user, for technicians.")
    async def technician(self, info: Info) -> TechnicianType | None:
        return await info.context.loaders.technician_by_user_id.load(self.id)  # type: ignore[union-attr, arg-type]


@strawberry.type(description="Who is asking: the signed-in user and their company.")
class Viewer:
    user_id: strawberry.Private[int]
    company_id: strawberry.Private[int]

    @strawberry.field(description="The signed-in user.")
    async def user(self, info: Info) -> User:
        row: Any = await info.context.loaders.user_by_id.load(self.user_id)  # type: ignore[union-attr]
        return row  # type: ignore[no-any-return]

    @strawberry.field(description="The viewer's company.")
    async def company(self, info: Info) -> Company:
        row: Any = await info.context.loaders.company_by_id.load(self.company_id)  # type: ignore[union-attr]
        return row  # type: ignore[no-any-return]

    @strawberry.field(description="What the viewer may do.")
    def role(self, info: Info) -> Role:
        return info.context.viewer.role  # type: ignore[union-attr, return-value]

    @strawberry.field(description="The viewer's technician profile, for technicians.")
    async def technician(self, info: Info) -> TechnicianType | None:
        return await info.context.loaders.technician_by_user_id.load(self.user_id)  # type: ignore[union-attr]


@strawberry.input(description="A new user of the viewer's company (admins only).")
class UserCreateInput:
    email: str
    name: str
    role: Role
    password: str = strawberry.field(description="At least 10 characters.")


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str
    password: str


@strawberry.type(
    description="A session token on success; send it as `Authorization: Bearer <token>`."
)
class LoginPayload:
    token: str | None
    viewer: Viewer | None
    errors: list[UserError]


@strawberry.type(
    description="Result of signing out: the token used for this request no longer works."
)
class LogoutPayload:
    ok: bool
    errors: list[UserError]
