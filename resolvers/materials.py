"""Materials on a job: line items, material readiness and the financial summary.

Stock, reservations and purchase orders are in resolvers/materials_stock.py; both record every
change of a job as a JobEvent in the mutation's transaction and recompute the job's stored
readiness (`refresh_readiness`) after anything that can move it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from db.auth import Viewer
from db.events import record_event
from db.models import inventory_items, jobs, line_items, reservations, stock_levels
from db.models.materials import LINE_KINDS
from loaders.access import visible_jobs
from loaders.materials import lines_with_stock, next_visits
from resolvers import materials_rules as rules
from resolvers.common import OFFICE_ROLES, clean_text, parse_id, require_role, require_viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import to_global_id

# Jobs whose materials are settled: no new lines, reservations or issues (releases and returns
# stay possible, so stock held for a cancelled job can be freed).
CLOSED_JOB_STATUSES = ("INVOICED", "CANCELLED")
MAX_QUANTITY = Decimal("999999999")
MAX_MONEY = Decimal("9999999999")
QUANTITY_SCALE = Decimal("0.001")


# --- input checks ------------------------------------------------------------------------------


def choice(value: Any, allowed: Sequence[str], *field: str) -> str:
    """The stored string of an enum input (GraphQL hands over Enum members)."""
    plain = value.value if isinstance(value, Enum) else value
    if plain not in allowed:
        raise fail(ErrorCode.VALIDATION, f"Must be one of {', '.join(allowed)}.", *field)
    return str(plain)


def number(
    value: Decimal | None,
    places: int,
    *field: str,
    minimum: Decimal = Decimal(0),
    maximum: Decimal,
    positive: bool = False,
) -> Decimal:
    """A Decimal input within bounds and with at most `places` decimals."""
    if value is None:
        raise fail(ErrorCode.VALIDATION, "This field is required.", *field)
    if not value.is_finite():
        raise fail(ErrorCode.VALIDATION, "Must be a finite number.", *field)
    if positive and value <= 0:
        raise fail(ErrorCode.VALIDATION, "Must be more than zero.", *field)
    if value < minimum or value > maximum:
        raise fail(ErrorCode.VALIDATION, f"Must be between {minimum} and {maximum}.", *field)
    try:
        exact = value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        exact = False
    if not exact:
        raise fail(ErrorCode.VALIDATION, f"At most {places} decimal places.", *field)
    return value


def quantity(value: Decimal | None, *field: str) -> Decimal:
    return number(value, 3, *field, maximum=MAX_QUANTITY, positive=True)


def amount(value: Decimal | None, *field: str) -> Decimal:
    return number(value, 2, *field, maximum=MAX_MONEY)


def tax_rate(value: Decimal | None, *field: str) -> Decimal:
    rate = number(value, 4, *field, maximum=Decimal("0.9999"))
    return rate


def plain(value: Decimal) -> str:
    """A quantity or amount for an event payload (JSON has no decimals)."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


# --- locking -----------------------------------------------------------------------------------


async def lock_job_by_id(ctx: Context, job_id: int, what: str, *field: str) -> Row[Any]:
    """The job row locked for this transaction, as the viewer may see it; NOT_FOUND otherwise."""
    viewer = require_viewer(ctx)
    row = await ctx.db.one_or_none(
        visible_jobs(select(jobs), viewer).where(jobs.c.id == job_id).with_for_update()
    )
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, f"No such {what}.", *field)
    return row


def check_open(job: Row[Any], *field: str) -> None:
    if job.status in CLOSED_JOB_STATUSES:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"J-{job.number} is {job.status.lower()}; its materials can no longer change.",
            *field,
        )


async def lock_open_job(ctx: Context, gid: str, *field: str) -> Row[Any]:
    job = await lock_job_by_id(ctx, parse_id(gid, "Job", *field), "job", *field)
    check_open(job, *field)
    return job


async def lock_line(ctx: Context, gid: str, *field: str) -> tuple[Row[Any], Row[Any]]:
    """(job, line): the job locked first, as every materials change of a job does."""
    viewer = require_viewer(ctx)
    line_id = parse_id(gid, "LineItem", *field)
    job_id = await ctx.db.scalar(
        select(line_items.c.job_id).where(
            line_items.c.id == line_id, line_items.c.company_id == viewer.company_id
        )
    )
    if job_id is None:
        raise fail(ErrorCode.NOT_FOUND, "No such line item.", *field)
    job = await lock_job_by_id(ctx, job_id, "line item", *field)
    line = await ctx.db.one_or_none(
        select(line_items).where(line_items.c.id == line_id, line_items.c.job_id == job.id)
    )
    if line is None:
        raise fail(ErrorCode.NOT_FOUND, "No such line item.", *field)
    return job, line


async def lock_level(
    ctx: Context, location_id: int, item_id: int, *, create: bool = False
) -> Row[Any] | None:
    """The stock level of an item at a location, locked; with `create`, made at zero first."""
    company_id = require_viewer(ctx).company_id
    if create:
        await ctx.db.execute(
            pg_insert(stock_levels)
            .values(company_id=company_id, stock_location_id=location_id, inventory_item_id=item_id)
            .on_conflict_do_nothing()
        )
    return await ctx.db.one_or_none(
        select(stock_levels)
        .where(
            stock_levels.c.company_id == company_id,
            stock_levels.c.stock_location_id == location_id,
            stock_levels.c.inventory_item_id == item_id,
        )
        .with_for_update()
    )


async def change_level(
    ctx: Context,
    location_id: int,
    item_id: int,
    *,
    on_hand: Decimal = Decimal(0),
    reserved: Decimal = Decimal(0),
) -> Row[Any]:
    """Move on-hand and reserved quantities; the table's checks keep both within bounds."""
    return (
        await ctx.db.execute(
            update(stock_levels)
            .where(
                stock_levels.c.stock_location_id == location_id,
                stock_levels.c.inventory_item_id == item_id,
            )
            .values(
                on_hand=stock_levels.c.on_hand + on_hand,
                reserved=stock_levels.c.reserved + reserved,
            )
            .returning(stock_levels)
        )
    ).one()


async def reload_job(ctx: Context, job_id: int) -> Row[Any]:
    row = await ctx.db.one_or_none(select(jobs).where(jobs.c.id == job_id))
    assert row is not None
    return row


async def inventory_item(ctx: Context, gid: str, *field: str) -> Row[Any]:
    viewer = require_viewer(ctx)
    item_id = parse_id(gid, "InventoryItem", *field)
    row = await ctx.db.one_or_none(
        select(inventory_items).where(
            inventory_items.c.id == item_id, inventory_items.c.company_id == viewer.company_id
        )
    )
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such inventory item.", *field)
    return row


# --- readiness ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessLine:
    line: Row[Any]
    needed: Decimal
    reserved: Decimal
    on_order: Decimal
    expected_on: date | None
    status: str


@dataclass(frozen=True)
class JobReadiness:
    status: str
    lines: list[ReadinessLine]
    next_visit_id: int | None
    next_visit_at: datetime | None


def _quantity_scale(total: Any) -> Decimal:
    """A summed quantity at the scale quantities are stored with (an empty sum is a bare 0)."""
    return Decimal(total).quantize(QUANTITY_SCALE)


def readiness_from(lines: Sequence[Row[Any]], next_visit: Row[Any] | None) -> JobReadiness:
    """Readiness of a job from its lines with stock totals (loaders/materials.py)."""
    visit_day = next_visit.local_date if next_visit is not None else None
    assessed = []
    for line in lines:
        if line.kind != "MATERIAL" or line.inventory_item_id is None:
            continue  # not stock-tracked: nothing to reserve or order
        supply = rules.LineSupply(
            needed=line.quantity,
            reserved=_quantity_scale(line.reserved_total),
            on_order=_quantity_scale(line.on_order),
            expected_on=line.expected_on,
        )
        assessed.append(
            ReadinessLine(
                line=line,
                needed=supply.needed,
                reserved=supply.reserved,
                on_order=supply.on_order,
                expected_on=supply.expected_on,
                status=rules.line_readiness(supply, visit_day),
            )
        )
    return JobReadiness(
        status=rules.worst(a.status for a in assessed),
        lines=assessed,
        next_visit_id=next_visit.id if next_visit is not None else None,
        next_visit_at=next_visit.start_at if next_visit is not None else None,
    )


async def job_readiness(ctx: Context, job_id: int) -> JobReadiness:
    loaders: Any = ctx.loaders
    lines = await loaders.lines_with_stock_by_job_id.load(job_id)
    next_visit = await loaders.next_visit_by_job_id.load(job_id)
    return readiness_from(lines, next_visit)


async def refresh_readiness(ctx: Context, job_id: int, actor: Viewer | None) -> str:
    """Recompute a job's readiness, store it, and record `job.readiness_changed` if it moved.

    The event carries the next visit, so the day board of that visit hears of it live.
    """
    current = await ctx.db.one_or_none(
        select(jobs.c.company_id, jobs.c.readiness).where(jobs.c.id == job_id).with_for_update()
    )
    if current is None:
        return rules.READY
    company_id = current.company_id
    lines = (await lines_with_stock(ctx.db, company_id, [job_id]))[0]
    next_visit = (await next_visits(ctx.db, company_id, [job_id]))[0]
    readiness = readiness_from(lines, next_visit)
    if readiness.status == current.readiness:
        return readiness.status
    await ctx.db.execute(update(jobs).where(jobs.c.id == job_id).values(readiness=readiness.status))
    await record_event(
        ctx.db,
        company_id=company_id,
        job_id=job_id,
        visit_id=readiness.next_visit_id,
        type="job.readiness_changed",
        actor=actor,
        payload=readiness_event(current.readiness, readiness),
    )
    return readiness.status


def readiness_event(previous: str, readiness: JobReadiness) -> dict[str, Any]:
    """Payload of `job.readiness_changed`: the move, and the lines that are not ready."""
    return {
        "from": previous,
        "to": readiness.status,
        "blockedByParts": readiness.status in rules.BLOCKED,
        "lines": [
            {
                "lineItemId": to_global_id("LineItem", a.line.id),
                "description": a.line.description,
                "status": a.status,
            }
            for a in readiness.lines
            if a.status != rules.READY
        ],
    }


# --- financial summary -------------------------------------------------------------------------


async def financial_summary(ctx: Context, job_id: int) -> rules.FinancialSummary:
    loaders: Any = ctx.loaders
    lines = await loaders.lines_with_stock_by_job_id.load(job_id)
    labor = await loaders.labor_by_job_id.load(job_id)
    purchase_orders_cost = await loaders.purchase_orders_cost_by_job_id.load(job_id)
    return rules.financial_summary(
        [
            rules.PricedLine(
                kind=line.kind,
                quantity=line.quantity,
                unit_price=line.unit_price,
                unit_cost=line.unit_cost,
                taxable=line.taxable,
                tax_rate=line.tax_rate,
                issued=Decimal(line.issued_total),
            )
            for line in lines
        ],
        [
            rules.LaborTime(seconds=Decimal(str(t.seconds)), hourly_cost=t.hourly_cost)
            for t in labor
        ],
        Decimal(purchase_orders_cost),
    )


# --- line items --------------------------------------------------------------------------------


def _line_event(line: Row[Any]) -> dict[str, Any]:
    return {
        "lineItemId": to_global_id("LineItem", line.id),
        "kind": line.kind,
        "description": line.description,
        "quantity": plain(line.quantity),
    }


async def add_line_item(ctx: Context, data: Any) -> tuple[Row[Any], Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await lock_open_job(ctx, data.job_id, "input", "jobId")
    kind = choice(data.kind, LINE_KINDS, "input", "kind")
    item = None
    if data.inventory_item_id is not None:
        if kind != "MATERIAL":
            raise fail(
                ErrorCode.VALIDATION,
                "Only MATERIAL lines take an inventory item.",
                "input",
                "inventoryItemId",
            )
        item = await inventory_item(ctx, data.inventory_item_id, "input", "inventoryItemId")
    description = clean_text(data.description, "input", "description", max_length=500)
    if not description:
        if item is None:
            raise fail(ErrorCode.VALIDATION, "Describe the line.", "input", "description")
        description = item.name
    count = quantity(data.quantity, "input", "quantity")
    # A stocked material is priced and costed as the item unless the line says otherwise.
    unit_price = (
        amount(data.unit_price, "input", "unitPrice")
        if data.unit_price is not None
        else (item.unit_price if item is not None else Decimal(0))
    )
    unit_cost = (
        amount(data.unit_cost, "input", "unitCost")
        if data.unit_cost is not None
        else (item.unit_cost if item is not None else Decimal(0))
    )
    rate = tax_rate(data.tax_rate, "input", "taxRate") if data.tax_rate is not None else Decimal(0)
    position = await ctx.db.scalar(
        select(func.coalesce(func.max(line_items.c.position), 0) + 1).where(
            line_items.c.job_id == job.id
        )
    )
    line = (
        await ctx.db.execute(
            insert(line_items)
            .values(
                company_id=job.company_id,
                job_id=job.id,
                position=position,
                kind=kind,
                description=description,
                quantity=count,
                unit_price=unit_price,
                unit_cost=unit_cost,
                taxable=True if data.taxable is None else data.taxable,
                tax_rate=rate,
                inventory_item_id=item.id if item is not None else None,
            )
            .returning(line_items)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="line_item.added",
        actor=viewer,
        payload=_line_event(line),
    )
    await refresh_readiness(ctx, job.id, viewer)
    return line, await reload_job(ctx, job.id)


async def update_line_item(ctx: Context, data: Any, is_set: Any) -> tuple[Row[Any], Row[Any]]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job, line = await lock_line(ctx, data.id, "input", "id")
    check_open(job, "input", "id")
    values: dict[str, Any] = {}
    if is_set(data.description):
        values["description"] = clean_text(
            data.description, "input", "description", required=True, max_length=500
        )
    if is_set(data.quantity):
        values["quantity"] = quantity(data.quantity, "input", "quantity")
    if is_set(data.unit_price):
        values["unit_price"] = amount(data.unit_price, "input", "unitPrice")
    if is_set(data.unit_cost):
        values["unit_cost"] = amount(data.unit_cost, "input", "unitCost")
    if is_set(data.taxable):
        if data.taxable is None:
            raise fail(ErrorCode.VALIDATION, "Say true or false.", "input", "taxable")
        values["taxable"] = data.taxable
    if is_set(data.tax_rate):
        values["tax_rate"] = tax_rate(data.tax_rate, "input", "taxRate")
    changed = {k: v for k, v in values.items() if getattr(line, k) != v}
    if not changed:
        return line, job
    updated = (
        await ctx.db.execute(
            update(line_items)
            .where(line_items.c.id == line.id)
            .values(**changed, updated_at=func.now())
            .returning(line_items)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="line_item.updated",
        actor=viewer,
        payload={**_line_event(updated), "fields": sorted(changed)},
    )
    await refresh_readiness(ctx, job.id, viewer)
    return updated, await reload_job(ctx, job.id)


async def remove_line_item(ctx: Context, data: Any) -> tuple[str, Row[Any]]:
    """Remove a line; stock held for it goes back to available. Refused once stock was issued."""
    viewer = require_role(ctx, *OFFICE_ROLES)
    job, line = await lock_line(ctx, data.id, "input", "id")
    check_open(job, "input", "id")
    held = await ctx.db.all(
        select(reservations)
        .where(reservations.c.line_item_id == line.id, reservations.c.status == "RESERVED")
        .order_by(reservations.c.stock_location_id, reservations.c.inventory_item_id)
        .with_for_update()
    )
    issued = sum((r.issued for r in held), Decimal(0))
    if issued > 0:
        raise fail(
            ErrorCode.CONFLICT,
            f"{plain(issued)} of this line were issued to the job; return them before removing "
            "the line.",
            "input",
            "id",
        )
    for reservation in held:
        await change_level(
            ctx,
            reservation.stock_location_id,
            reservation.inventory_item_id,
            reserved=-reservation.quantity,
        )
    await ctx.db.execute(line_items.delete().where(line_items.c.id == line.id))
    gid = to_global_id("LineItem", line.id)
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="line_item.removed",
        actor=viewer,
        payload={
            **_line_event(line),
            "releasedQuantity": plain(sum((r.quantity for r in held), Decimal(0))),
        },
    )
    await refresh_readiness(ctx, job.id, viewer)
    return gid, await reload_job(ctx, job.id)


async def reorder_line_items(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    job = await lock_open_job(ctx, data.job_id, "input", "jobId")
    ids = [parse_id(g, "LineItem", "input", "lineItemIds") for g in data.line_item_ids]
    current = list(
        (
            await ctx.db.execute(
                select(line_items.c.id)
                .where(line_items.c.job_id == job.id)
                .order_by(line_items.c.position, line_items.c.id)
            )
        ).scalars()
    )
    if len(set(ids)) != len(ids) or set(ids) != set(current):
        raise fail(
            ErrorCode.VALIDATION,
            f"List each of the job's {len(current)} line items exactly once.",
            "input",
            "lineItemIds",
        )
    if ids == current:
        return job
    await ctx.db.execute(
        update(line_items)
        .where(line_items.c.id == bindparam("line_id"))
        .values(position=bindparam("new_position"), updated_at=func.now()),
        [{"line_id": line_id, "new_position": n} for n, line_id in enumerate(ids, 1)],
    )
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="line_item.reordered",
        actor=viewer,
        payload={"lineItemIds": [to_global_id("LineItem", i) for i in ids]},
    )
    return await reload_job(ctx, job.id)
