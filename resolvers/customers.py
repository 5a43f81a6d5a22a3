"""Customers, their service locations, contacts and assets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row

from db.models import assets, contacts, customers, locations
from resolvers.common import (
    OFFICE_ROLES,
    Page,
    PageArgs,
    check_lat_lng,
    clean_text,
    count_rows,
    id_in_company,
    keyset_page,
    parse_id,
    require_role,
    require_viewer,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.jobs import _like_pattern


async def list_customers(ctx: Context, search: str | None, page: PageArgs) -> tuple[Page, Any]:
    viewer = require_viewer(ctx)
    query = select(customers).where(customers.c.company_id == viewer.company_id)
    if search:
        for word in search.lower().split()[:8]:
            query = query.where(func.lower(customers.c.name).like(_like_pattern(word)))
    result = await keyset_page(ctx, query, (customers.c.name, customers.c.id), False, page)

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


def _check_email(value: str | None, *field: str) -> str | None:
    email = clean_text(value, *field, max_length=320)
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise fail(ErrorCode.VALIDATION, "Not a valid email address.", *field)
    return email or None


async def create_customer(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    row = (
        await ctx.db.execute(
            insert(customers)
            .values(
                company_id=viewer.company_id,
                name=clean_text(data.name, "input", "name", required=True, max_length=200),
                email=_check_email(data.email, "input", "email"),
                phone=clean_text(data.phone, "input", "phone", max_length=40),
                notes=clean_text(data.notes, "input", "notes"),
            )
            .returning(customers)
        )
    ).one()
    return row


async def update_customer(ctx: Context, data: Any, is_set: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    customer_id = parse_id(data.id, "Customer", "input", "id")
    values: dict[str, Any] = {}
    if is_set(data.name):
        values["name"] = clean_text(data.name, "input", "name", required=True, max_length=200)
    if is_set(data.email):
        values["email"] = _check_email(data.email, "input", "email")
    if is_set(data.phone):
        values["phone"] = clean_text(data.phone, "input", "phone", max_length=40)
    if is_set(data.notes):
        values["notes"] = clean_text(data.notes, "input", "notes")
    row = (
        await ctx.db.execute(
            update(customers)
            .where(customers.c.id == customer_id, customers.c.company_id == viewer.company_id)
            .values(**values, updated_at=func.now())
            .returning(customers)
        )
    ).one_or_none()
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such customer.", "input", "id")
    return row


async def customer_id_in_company(ctx: Context, gid: str, *field: str) -> int:
    return await id_in_company(ctx, customers, gid, "Customer", "No such customer.", *field)


async def create_location(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    customer_id = await customer_id_in_company(ctx, data.customer_id, "input", "customerId")
    check_lat_lng(data.lat, data.lng, "input")
    country = (clean_text(data.country, "input", "country") or "US").upper()
    if len(country) != 2:
        raise fail(ErrorCode.VALIDATION, "Use a two-letter country code.", "input", "country")
    return (
        await ctx.db.execute(
            insert(locations)
            .values(
                company_id=viewer.company_id,
                customer_id=customer_id,
                label=clean_text(data.label, "input", "label", max_length=200),
                street=clean_text(data.street, "input", "street", required=True, max_length=300),
                city=clean_text(data.city, "input", "city", required=True, max_length=120),
                region=clean_text(data.region, "input", "region", max_length=120),
                postal_code=clean_text(data.postal_code, "input", "postalCode", max_length=20),
                country=country,
                lat=data.lat,
                lng=data.lng,
                access_notes=clean_text(data.access_notes, "input", "accessNotes"),
            )
            .returning(locations)
        )
    ).one()


async def create_contact(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    customer_id = await customer_id_in_company(ctx, data.customer_id, "input", "customerId")
    return (
        await ctx.db.execute(
            insert(contacts)
            .values(
                company_id=viewer.company_id,
                customer_id=customer_id,
                name=clean_text(data.name, "input", "name", required=True, max_length=200),
                email=_check_email(data.email, "input", "email"),
                phone=clean_text(data.phone, "input", "phone", max_length=40),
                role=clean_text(data.role, "input", "role", max_length=100),
            )
            .returning(contacts)
        )
    ).one()


async def create_asset(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    location_id = await id_in_company(
        ctx, locations, data.location_id, "Location", "No such location.", "input", "locationId"
    )
    return (
        await ctx.db.execute(
            insert(assets)
            .values(
                company_id=viewer.company_id,
                location_id=location_id,
                name=clean_text(data.name, "input", "name", required=True, max_length=200),
                make=clean_text(data.make, "input", "make", max_length=100),
                model=clean_text(data.model, "input", "model", max_length=100),
                serial=clean_text(data.serial, "input", "serial", max_length=100),
                installed_on=data.installed_on,
            )
            .returning(assets)
        )
    ).one()
