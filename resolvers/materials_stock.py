"""Stock and purchasing: inventory items, stock locations and levels, reservations against job
lines, vendors and purchase orders.

Locks are always taken in one order: purchase order, then job, then reservation, then stock
levels (several levels by location and item id). A stock level is read under its row lock before
anything is taken from it, so concurrent reservations of the last units serialise on that row:
each sees what the previous one left, and stock is never promised twice. The table's checks
(on_hand >= 0, reserved <= on_hand) back this up.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from db.events import record_event
from db.models import (
    companies,
    inventory_items,
    line_items,
    purchase_order_lines,
    purchase_orders,
    reservations,
    stock_locations,
    technicians,
    vendors,
)
from resolvers.common import (
    OFFICE_ROLES,
    Page,
    PageArgs,
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
from resolvers.ids import to_global_id
from resolvers.materials import (
    CLOSED_JOB_STATUSES,
    MAX_QUANTITY,
    amount,
    change_level,
    check_open,
    choice,
    inventory_item,
    lock_job_by_id,
    lock_level,
    lock_line,
    number,
    plain,
    quantity,
    refresh_readiness,
)

LOCATION_KINDS = ("WAREHOUSE", "TRUCK")
ADJUST_MODES = ("SET", "RECEIVE")
FIELD_ROLES = (*OFFICE_ROLES, "technician")


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _email(value: str | None, *field: str) -> str | None:
    email = clean_text(value, *field, max_length=320)
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise fail(ErrorCode.VALIDATION, "Not a valid email address.", *field)
    return email or None


async def _stock_location(ctx: Context, gid: str, *field: str) -> Row[Any]:
    viewer = require_viewer(ctx)
    location_id = parse_id(gid, "StockLocation", *field)
    row = await ctx.db.one_or_none(
        select(stock_locations).where(
            stock_locations.c.id == location_id,
            stock_locations.c.company_id == viewer.company_id,
        )
    )
    if row is None:
        raise fail(ErrorCode.NOT_FOUND, "No such stock location.", *field)
    return row


# --- inventory, locations, levels --------------------------------------------------------------


async def create_inventory_item(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    sku = clean_text(data.sku, "input", "sku", required=True, max_length=64)
    values = {
        "company_id": viewer.company_id,
        "sku": sku,
        "name": clean_text(data.name, "input", "name", required=True, max_length=200),
        "unit": clean_text(data.unit, "input", "unit", max_length=16) or "ea",
        "unit_cost": amount(data.unit_cost or Decimal(0), "input", "unitCost"),
        "unit_price": amount(data.unit_price or Decimal(0), "input", "unitPrice"),
    }
    row = await ctx.db.one_or_none(
        pg_insert(inventory_items)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_inventory_items_company_sku")
        .returning(inventory_items)
    )
    if row is None:
        raise fail(ErrorCode.CONFLICT, f"An item with SKU {sku} exists already.", "input", "sku")
    return row


async def create_stock_location(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    kind = choice(data.kind, LOCATION_KINDS, "input", "kind")
    name = clean_text(data.name, "input", "name", required=True, max_length=200)
    technician_id = None
    if kind == "TRUCK":
        if data.technician_id is None:
            raise fail(
                ErrorCode.VALIDATION, "A truck belongs to a technician.", "input", "technicianId"
            )
        technician_id = parse_id(data.technician_id, "Technician", "input", "technicianId")
        found = await ctx.db.scalar(
            select(technicians.c.id).where(
                technicians.c.id == technician_id,
                technicians.c.company_id == viewer.company_id,
            )
        )
        if found is None:
            raise fail(ErrorCode.NOT_FOUND, "No such technician.", "input", "technicianId")
    elif data.technician_id is not None:
        raise fail(
            ErrorCode.VALIDATION,
            "Only a truck belongs to a technician.",
            "input",
            "technicianId",
        )
    return (
        await ctx.db.execute(
            insert(stock_locations)
            .values(company_id=viewer.company_id, name=name, kind=kind, technician_id=technician_id)
            .returning(stock_locations)
        )
    ).one()


async def adjust_stock(ctx: Context, data: Any) -> Row[Any]:
    """SET on-hand to a counted quantity (cycle count, setup) or RECEIVE more into it."""
    require_role(ctx, *OFFICE_ROLES)
    mode = choice(data.mode, ADJUST_MODES, "input", "mode")
    location = await _stock_location(ctx, data.stock_location_id, "input", "stockLocationId")
    item = await inventory_item(ctx, data.inventory_item_id, "input", "inventoryItemId")
    if mode == "RECEIVE":
        count = quantity(data.quantity, "input", "quantity")
    else:
        count = number(data.quantity, 3, "input", "quantity", maximum=MAX_QUANTITY)
    level = await lock_level(ctx, location.id, item.id, create=True)
    assert level is not None
    if mode == "SET":
        if count < level.reserved:
            raise fail(
                ErrorCode.CONFLICT,
                f"{plain(level.reserved)} {item.unit} of {item.sku} are reserved for jobs at "
                f"{location.name}; release some before counting fewer.",
                "input",
                "quantity",
            )
        return await change_level(ctx, location.id, item.id, on_hand=count - level.on_hand)
    return await change_level(ctx, location.id, item.id, on_hand=count)


async def list_inventory_items(
    ctx: Context, search: str | None, page: PageArgs
) -> tuple[Page, Any]:
    viewer = require_viewer(ctx)
    query = select(inventory_items).where(inventory_items.c.company_id == viewer.company_id)
    for word in (search or "").lower().split()[:8]:
        query = query.where(
            or_(
                func.lower(inventory_items.c.sku).like(_like(word)),
                func.lower(inventory_items.c.name).like(_like(word)),
            )
        )
    result = await keyset_page(
        ctx, query, (inventory_items.c.sku, inventory_items.c.id), False, page
    )

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


async def list_stock_locations(ctx: Context) -> list[Row[Any]]:
    viewer = require_viewer(ctx)
    return list(
        await ctx.db.all(
            select(stock_locations)
            .where(stock_locations.c.company_id == viewer.company_id)
            .order_by(stock_locations.c.kind.desc(), stock_locations.c.name, stock_locations.c.id)
        )
    )


# --- reservations ------------------------------------------------------------------------------


def _reservation_event(reservation: Row[Any], count: Decimal) -> dict[str, Any]:
    return {
        "reservationId": to_global_id("Reservation", reservation.id),
        "lineItemId": to_global_id("LineItem", reservation.line_item_id),
        "stockLocationId": to_global_id("StockLocation", reservation.stock_location_id),
        "quantity": plain(count),
    }


async def reserve_material(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *FIELD_ROLES)
    job, line = await lock_line(ctx, data.line_item_id, "input", "lineItemId")
    check_open(job, "input", "lineItemId")
    if line.kind != "MATERIAL" or line.inventory_item_id is None:
        raise fail(
            ErrorCode.VALIDATION,
            "Only a MATERIAL line with an inventory item takes stock.",
            "input",
            "lineItemId",
        )
    location = await _stock_location(ctx, data.stock_location_id, "input", "stockLocationId")
    count = quantity(data.quantity, "input", "quantity")
    level = await lock_level(ctx, location.id, line.inventory_item_id)
    available = level.on_hand - level.reserved if level is not None else Decimal(0)
    if available < count:
        raise fail(
            ErrorCode.INSUFFICIENT_STOCK,
            f"Only {plain(available)} available at {location.name}; {plain(count)} asked.",
            "input",
            "quantity",
        )
    await change_level(ctx, location.id, line.inventory_item_id, reserved=count)
    reservation = (
        await ctx.db.execute(
            insert(reservations)
            .values(
                company_id=job.company_id,
                line_item_id=line.id,
                stock_location_id=location.id,
                inventory_item_id=line.inventory_item_id,
                quantity=count,
            )
            .returning(reservations)
        )
    ).one()
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type="material.reserved",
        actor=viewer,
        payload=_reservation_event(reservation, count),
    )
    await refresh_readiness(ctx, job.id, viewer)
    return reservation


async def _lock_reservation(ctx: Context, gid: str) -> tuple[Row[Any], Row[Any]]:
    """(job, reservation), locked in that order."""
    viewer = require_viewer(ctx)
    field = ("input", "reservationId")
    reservation_id = parse_id(gid, "Reservation", *field)
    job_id = await ctx.db.scalar(
        select(line_items.c.job_id)
        .join(reservations, reservations.c.line_item_id == line_items.c.id)
        .where(reservations.c.id == reservation_id, reservations.c.company_id == viewer.company_id)
    )
    if job_id is None:
        raise fail(ErrorCode.NOT_FOUND, "No such reservation.", *field)
    job = await lock_job_by_id(ctx, job_id, "reservation", *field)
    reservation = await ctx.db.one_or_none(
        select(reservations).where(reservations.c.id == reservation_id).with_for_update()
    )
    if reservation is None:
        raise fail(ErrorCode.NOT_FOUND, "No such reservation.", *field)
    return job, reservation


async def _set_reservation(ctx: Context, reservation_id: int, **values: Any) -> Row[Any]:
    return (
        await ctx.db.execute(
            update(reservations)
            .where(reservations.c.id == reservation_id)
            .values(**values, updated_at=func.now())
            .returning(reservations)
        )
    ).one()


async def _after_stock_move(
    ctx: Context, job: Row[Any], reservation: Row[Any], kind: str, count: Decimal
) -> None:
    viewer = require_viewer(ctx)
    await record_event(
        ctx.db,
        company_id=job.company_id,
        job_id=job.id,
        type=kind,
        actor=viewer,
        payload=_reservation_event(reservation, count),
    )
    await refresh_readiness(ctx, job.id, viewer)


async def release_material(ctx: Context, data: Any) -> Row[Any]:
    """Give back what is still held; what was issued stays on the reservation as used."""
    require_role(ctx, *FIELD_ROLES)
    job, reservation = await _lock_reservation(ctx, data.reservation_id)
    if reservation.status != "RESERVED":
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            "The reservation was released already.",
            "input",
            "reservationId",
        )
    held = reservation.quantity - reservation.issued
    if held <= 0:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            "Everything reserved was issued to the job; return stock before releasing it.",
            "input",
            "reservationId",
        )
    await lock_level(ctx, reservation.stock_location_id, reservation.inventory_item_id)
    await change_level(
        ctx, reservation.stock_location_id, reservation.inventory_item_id, reserved=-held
    )
    if reservation.issued > 0:
        updated = await _set_reservation(ctx, reservation.id, quantity=reservation.issued)
    else:
        updated = await _set_reservation(ctx, reservation.id, status="RELEASED")
    await _after_stock_move(ctx, job, updated, "material.released", held)
    return updated


async def issue_material(ctx: Context, data: Any) -> Row[Any]:
    """Take reserved stock out for the job: on hand and reserved both go down."""
    require_role(ctx, *FIELD_ROLES)
    job, reservation = await _lock_reservation(ctx, data.reservation_id)
    check_open(job, "input", "reservationId")
    if reservation.status != "RESERVED":
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            "The reservation was released; reserve stock again.",
            "input",
            "reservationId",
        )
    count = quantity(data.quantity, "input", "quantity")
    held = reservation.quantity - reservation.issued
    if count > held:
        raise fail(
            ErrorCode.VALIDATION,
            f"Only {plain(held)} of this reservation are left to issue.",
            "input",
            "quantity",
        )
    await lock_level(ctx, reservation.stock_location_id, reservation.inventory_item_id)
    await change_level(
        ctx,
        reservation.stock_location_id,
        reservation.inventory_item_id,
        on_hand=-count,
        reserved=-count,
    )
    updated = await _set_reservation(ctx, reservation.id, issued=reservation.issued + count)
    await _after_stock_move(ctx, job, updated, "material.issued", count)
    return updated


async def return_material(ctx: Context, data: Any) -> Row[Any]:
    """Put issued stock back at its location, held for the line again (release it to free it)."""
    require_role(ctx, *FIELD_ROLES)
    job, reservation = await _lock_reservation(ctx, data.reservation_id)
    count = quantity(data.quantity, "input", "quantity")
    if count > reservation.issued:
        raise fail(
            ErrorCode.VALIDATION,
            f"Only {plain(reservation.issued)} of this reservation were issued.",
            "input",
            "quantity",
        )
    await lock_level(ctx, reservation.stock_location_id, reservation.inventory_item_id)
    await change_level(
        ctx,
        reservation.stock_location_id,
        reservation.inventory_item_id,
        on_hand=count,
        reserved=count,
    )
    updated = await _set_reservation(ctx, reservation.id, issued=reservation.issued - count)
    await _after_stock_move(ctx, job, updated, "material.returned", count)
    return updated


# --- vendors and purchase orders ---------------------------------------------------------------


async def create_vendor(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    return (
        await ctx.db.execute(
            insert(vendors)
            .values(
                company_id=viewer.company_id,
                name=clean_text(data.name, "input", "name", required=True, max_length=200),
                email=_email(data.email, "input", "email"),
                phone=clean_text(data.phone, "input", "phone", max_length=40),
            )
            .returning(vendors)
        )
    ).one()


async def list_vendors(ctx: Context, search: str | None, page: PageArgs) -> tuple[Page, Any]:
    viewer = require_viewer(ctx)
    query = select(vendors).where(vendors.c.company_id == viewer.company_id)
    for word in (search or "").lower().split()[:8]:
        query = query.where(func.lower(vendors.c.name).like(_like(word)))
    result = await keyset_page(ctx, query, (vendors.c.name, vendors.c.id), False, page)

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


async def list_purchase_orders(
    ctx: Context, statuses: list[str] | None, page: PageArgs
) -> tuple[Page, Any]:
    viewer = require_viewer(ctx)
    query = select(purchase_orders).where(purchase_orders.c.company_id == viewer.company_id)
    if statuses:
        query = query.where(purchase_orders.c.status.in_(statuses))
    result = await keyset_page(
        ctx, query, (purchase_orders.c.number, purchase_orders.c.id), True, page
    )

    async def total() -> int:
        return await count_rows(ctx, query)

    return result, total


def _po_event(order: Row[Any], **extra: Any) -> dict[str, Any]:
    return {
        "purchaseOrderId": to_global_id("PurchaseOrder", order.id),
        "number": f"P-{order.number}",
        "status": order.status,
        **extra,
    }


async def _po_lines(ctx: Context, job: Row[Any] | None, lines: list[Any]) -> list[dict[str, Any]]:
    """Checked rows for the lines of a new purchase order."""
    viewer = require_viewer(ctx)
    if not lines:
        raise fail(ErrorCode.VALIDATION, "Order at least one line.", "input", "lines")
    parsed = []
    for n, line in enumerate(lines):
        field = ("input", "lines", str(n))
        item_id = parse_id(line.inventory_item_id, "InventoryItem", *field, "inventoryItemId")
        line_id = None
        if line.line_item_id is not None:
            line_id = parse_id(line.line_item_id, "LineItem", *field, "lineItemId")
            if job is None:
                raise fail(
                    ErrorCode.VALIDATION,
                    "Only a purchase order for a job ties lines to the job's lines.",
                    *field,
                    "lineItemId",
                )
        parsed.append((field, item_id, line_id, line))
    items = {
        row.id: row
        for row in await ctx.db.all(
            select(inventory_items).where(
                inventory_items.c.company_id == viewer.company_id,
                inventory_items.c.id.in_([p[1] for p in parsed]),
            )
        )
    }
    job_lines = {}
    if job is not None:
        job_lines = {
            row.id: row
            for row in await ctx.db.all(select(line_items).where(line_items.c.job_id == job.id))
        }
    rows = []
    for field, item_id, line_id, line in parsed:
        item = items.get(item_id)
        if item is None:
            raise fail(ErrorCode.NOT_FOUND, "No such inventory item.", *field, "inventoryItemId")
        if line_id is not None:
            job_line = job_lines.get(line_id)
            if job_line is None:
                raise fail(
                    ErrorCode.NOT_FOUND, "No such line item on this job.", *field, "lineItemId"
                )
            if job_line.inventory_item_id != item.id:
                raise fail(
                    ErrorCode.VALIDATION,
                    f"That job line is not for {item.sku}.",
                    *field,
                    "lineItemId",
                )
        rows.append(
            {
                "company_id": viewer.company_id,
                "inventory_item_id": item.id,
                "line_item_id": line_id,
                "quantity_ordered": quantity(line.quantity, *field, "quantity"),
                "unit_cost": (
                    amount(line.unit_cost, *field, "unitCost")
                    if line.unit_cost is not None
                    else item.unit_cost
                ),
            }
        )
    return rows


async def create_purchase_order(ctx: Context, data: Any) -> Row[Any]:
    viewer = require_role(ctx, *OFFICE_ROLES)
    vendor = await id_in_company(
        ctx, vendors, data.vendor_id, "Vendor", "No such vendor.", "input", "vendorId"
    )
    location = await _stock_location(ctx, data.stock_location_id, "input", "stockLocationId")
    job = None
    if data.job_id is not None:
        job_id = parse_id(data.job_id, "Job", "input", "jobId")
        job = await lock_job_by_id(ctx, job_id, "job", "input", "jobId")
        check_open(job, "input", "jobId")
    lines = await _po_lines(ctx, job, list(data.lines or []))
    number = await ctx.db.scalar(
        update(companies)
        .where(companies.c.id == viewer.company_id)
        .values(po_seq=companies.c.po_seq + 1)
        .returning(companies.c.po_seq)
    )
    order = (
        await ctx.db.execute(
            insert(purchase_orders)
            .values(
                company_id=viewer.company_id,
                number=number,
                vendor_id=vendor,
                job_id=job.id if job is not None else None,
                stock_location_id=location.id,
                expected_on=data.expected_on,
                notes=clean_text(data.notes, "input", "notes"),
            )
            .returning(purchase_orders)
        )
    ).one()
    await ctx.db.execute(
        insert(purchase_order_lines), [{**line, "purchase_order_id": order.id} for line in lines]
    )
    if job is not None:
        await record_event(
            ctx.db,
            company_id=job.company_id,
            job_id=job.id,
            type="purchase_order.created",
            actor=viewer,
            payload=_po_event(order, lines=len(lines)),
        )
    return order


async def _lock_order(ctx: Context, gid: str, expected_version: int | None) -> Row[Any]:
    viewer = require_viewer(ctx)
    order_id = parse_id(gid, "PurchaseOrder", "input", "id")
    order = await ctx.db.one_or_none(
        select(purchase_orders)
        .where(purchase_orders.c.id == order_id, purchase_orders.c.company_id == viewer.company_id)
        .with_for_update()
    )
    if order is None:
        raise fail(ErrorCode.NOT_FOUND, "No such purchase order.", "input", "id")
    if expected_version is not None and order.version != expected_version:
        raise fail(
            ErrorCode.VERSION_CONFLICT,
            f"The purchase order was changed by someone else (now version {order.version}, you "
            f"had {expected_version}). Reload it and try again.",
            "input",
            "expectedVersion",
        )
    return order


def _check_status(order: Row[Any], allowed: tuple[str, ...], action: str) -> None:
    if order.status not in allowed:
        raise fail(
            ErrorCode.INVALID_TRANSITION,
            f"P-{order.number} is {order.status}; only a purchase order that is "
            f"{' or '.join(allowed)} can be {action}.",
            "input",
            "id",
        )


async def _set_order(ctx: Context, order_id: int, **values: Any) -> Row[Any]:
    return (
        await ctx.db.execute(
            update(purchase_orders)
            .where(purchase_orders.c.id == order_id)
            .values(**values, version=purchase_orders.c.version + 1, updated_at=func.now())
            .returning(purchase_orders)
        )
    ).one()


async def _order_changed(ctx: Context, order: Row[Any], event_type: str, **extra: Any) -> None:
    """The event on the order's job timeline and the job's readiness (orders without a job
    have neither)."""
    if order.job_id is None:
        return
    viewer = require_viewer(ctx)
    await record_event(
        ctx.db,
        company_id=order.company_id,
        job_id=order.job_id,
        type=event_type,
        actor=viewer,
        payload=_po_event(order, **extra),
    )
    await refresh_readiness(ctx, order.job_id, viewer)


async def _lock_order_job(ctx: Context, order: Row[Any]) -> Row[Any] | None:
    if order.job_id is None:
        return None
    return await lock_job_by_id(ctx, order.job_id, "job", "input", "id")


async def submit_purchase_order(ctx: Context, data: Any) -> Row[Any]:
    require_role(ctx, *OFFICE_ROLES)
    order = await _lock_order(ctx, data.id, data.expected_version)
    _check_status(order, ("DRAFT",), "submitted")
    await _lock_order_job(ctx, order)
    updated = await _set_order(ctx, order.id, status="ORDERED", ordered_at=func.now())
    await _order_changed(
        ctx,
        updated,
        "purchase_order.submitted",
        expectedOn=updated.expected_on.isoformat() if updated.expected_on else None,
    )
    return updated


async def cancel_purchase_order(ctx: Context, data: Any) -> Row[Any]:
    require_role(ctx, *OFFICE_ROLES)
    order = await _lock_order(ctx, data.id, data.expected_version)
    _check_status(order, ("DRAFT", "ORDERED", "PARTIALLY_RECEIVED"), "cancelled")
    reason = clean_text(data.reason, "input", "reason", max_length=500)
    await _lock_order_job(ctx, order)
    updated = await _set_order(ctx, order.id, status="CANCELLED")
    await _order_changed(ctx, updated, "purchase_order.cancelled", reason=reason)
    return updated


async def receive_purchase_order(ctx: Context, data: Any) -> Row[Any]:
    """Book received goods into the order's location; goods for a job line are reserved for it."""
    require_role(ctx, *OFFICE_ROLES)
    order = await _lock_order(ctx, data.purchase_order_id, data.expected_version)
    _check_status(order, ("ORDERED", "PARTIALLY_RECEIVED"), "received")
    job = await _lock_order_job(ctx, order)
    order_lines = {
        row.id: row
        for row in await ctx.db.all(
            select(purchase_order_lines)
            .where(purchase_order_lines.c.purchase_order_id == order.id)
            .with_for_update()
        )
    }
    if not data.lines:
        raise fail(ErrorCode.VALIDATION, "Receive at least one line.", "input", "lines")
    received: dict[int, Decimal] = {}
    for n, line in enumerate(data.lines):
        field = ("input", "lines", str(n))
        line_id = parse_id(line.line_id, "PurchaseOrderLine", *field, "lineId")
        order_line = order_lines.get(line_id)
        if order_line is None:
            raise fail(
                ErrorCode.NOT_FOUND, "No such line on this purchase order.", *field, "lineId"
            )
        if line_id in received:
            raise fail(ErrorCode.VALIDATION, "Each line once, please.", *field, "lineId")
        count = quantity(line.quantity, *field, "quantity")
        outstanding = order_line.quantity_ordered - order_line.quantity_received
        if count > outstanding:
            raise fail(
                ErrorCode.VALIDATION,
                f"Only {plain(outstanding)} of this line are still to come.",
                *field,
                "quantity",
            )
        received[line_id] = count
    # Goods tied to a job line are reserved for it unless that job is closed.
    reserve_for_job = job is not None and job.status not in CLOSED_JOB_STATUSES
    into_stock: dict[int, Decimal] = defaultdict(Decimal)
    into_reserved: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, count in received.items():
        order_line = order_lines[line_id]
        into_stock[order_line.inventory_item_id] += count
        if reserve_for_job and order_line.line_item_id is not None:
            into_reserved[order_line.inventory_item_id] += count
    for item_id in sorted(into_stock):
        await lock_level(ctx, order.stock_location_id, item_id, create=True)
        await change_level(
            ctx,
            order.stock_location_id,
            item_id,
            on_hand=into_stock[item_id],
            reserved=into_reserved[item_id],
        )
    await ctx.db.execute(
        update(purchase_order_lines)
        .where(purchase_order_lines.c.id == bindparam("order_line_id"))
        .values(quantity_received=purchase_order_lines.c.quantity_received + bindparam("count")),
        [{"order_line_id": i, "count": c} for i, c in received.items()],
    )
    reserved_rows = [
        {
            "company_id": order.company_id,
            "line_item_id": order_lines[i].line_item_id,
            "stock_location_id": order.stock_location_id,
            "inventory_item_id": order_lines[i].inventory_item_id,
            "quantity": c,
        }
        for i, c in received.items()
        if reserve_for_job and order_lines[i].line_item_id is not None
    ]
    if reserved_rows:
        await ctx.db.execute(insert(reservations), reserved_rows)
    complete = all(
        row.quantity_received + received.get(row.id, Decimal(0)) == row.quantity_ordered
        for row in order_lines.values()
    )
    updated = await _set_order(
        ctx, order.id, status="RECEIVED" if complete else "PARTIALLY_RECEIVED"
    )
    await _order_changed(
        ctx,
        updated,
        "purchase_order.received",
        lines=[
            {"lineId": to_global_id("PurchaseOrderLine", i), "quantity": plain(c)}
            for i, c in received.items()
        ],
        reserved=bool(reserved_rows),
    )
    return updated
