"""Customers, locations, contacts and assets."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import UNSET

from resolvers.context import Context
from schema.common import Node, RowType, UserError, global_id

Info = strawberry.Info[Context, None]


@strawberry.type(description="A piece of equipment at a service location.")
class Asset(RowType, Node):
    name: str
    make: str | None
    model: str | None
    serial: str | None
    installed_on: date | None

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Asset", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Where the equipment is installed.")
    async def location(self, info: Info) -> Location | None:
        return await info.context.loaders.location_by_id.load(self.location_id)  # type: ignore[union-attr, attr-defined]


@strawberry.type(description="A service address of a customer.")
class Location(RowType, Node):
    label: str | None = strawberry.field(description='A short name, e.g. "Warehouse".')
    street: str
    city: str
    region: str | None
    postal_code: str | None
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    lat: float | None
    lng: float | None
    access_notes: str | None = strawberry.field(description="Gate codes, parking, pets, keys.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Location", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Street, city, region and postal code on one line.")
    def address(self) -> str:
        parts = [self.street, self.city, " ".join(p for p in (self.region, self.postal_code) if p)]
        return ", ".join(p for p in parts if p)

    @strawberry.field(description="Equipment installed here.")
    async def assets(self, info: Info) -> list[Asset]:
        return await info.context.loaders.assets_by_location_id.load(self.id)  # type: ignore[union-attr, arg-type]

    @strawberry.field(description="The customer this address belongs to.")
    async def customer(self, info: Info) -> Customer | None:
        return await info.context.loaders.customer_by_id.load(self.customer_id)  # type: ignore[union-attr, attr-defined]


@strawberry.type(description="A person to talk to at a customer.")
class Contact(RowType, Node):
    name: str
    email: str | None
    phone: str | None
    role: str | None = strawberry.field(description='E.g. "Facilities manager".')

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Contact", self.id)  # type: ignore[arg-type]


@strawberry.type(description="Someone the company works for.")
class Customer(RowType, Node):
    name: str
    email: str | None
    phone: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Customer", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Service addresses.")
    async def locations(self, info: Info) -> list[Location]:
        return await info.context.loaders.locations_by_customer_id.load(self.id)  # type: ignore[union-attr, arg-type]

    @strawberry.field(description="People to talk to.")
    async def contacts(self, info: Info) -> list[Contact]:
        return await info.context.loaders.contacts_by_customer_id.load(self.id)  # type: ignore[union-attr, arg-type]


@strawberry.input(description="A new customer.")
class CustomerCreateInput:
    name: str
    email: str | None = None
    phone: str | None = None
    notes: str | None = None


@strawberry.input(description="Changes to a customer; omitted fields stay as they are.")
class CustomerUpdateInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    notes: str | None = UNSET


@strawberry.input(description="A new service address for a customer.")
class LocationCreateInput:
    customer_id: strawberry.ID
    street: str
    city: str
    label: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lng: float | None = None
    access_notes: str | None = None


@strawberry.input(description="A new contact person for a customer.")
class ContactCreateInput:
    customer_id: strawberry.ID
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None


@strawberry.input(description="A new piece of equipment at a location.")
class AssetCreateInput:
    location_id: strawberry.ID
    name: str
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    installed_on: date | None = None


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError]


@strawberry.type
class LocationPayload:
    location: Location | None
    errors: list[UserError]


@strawberry.type
class ContactPayload:
    contact: Contact | None
    errors: list[UserError]


@strawberry.type
class AssetPayload:
    asset: Asset | None
    errors: list[UserError]
