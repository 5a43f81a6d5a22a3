"""Materials: line items, inventory and stock, reservations, purchase orders, readiness, money."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import UNSET

from resolvers import materials as resolvers
from resolvers import materials_stock as stock
from resolvers.context import Context
from resolvers.materials_rules import line_tax, line_total, money
from schema.common import (
    Connection,
    Node,
    RowType,
    UserError,
    global_id,
    is_set,
    make_connection,
    page_args,
    payload_of,
    run_mutation,
)
from schema.crew import Technician

if TYPE_CHECKING:
    from schema.jobs import Job

Info = strawberry.Info[Context, None]
JobType = Annotated["Job", strawberry.lazy("schema.jobs")]


def _loaders(info: Info) -> Any:
    return info.context.loaders


@strawberry.enum(description="What a line of a job sells.")
class LineItemKind(Enum):
    SERVICE = "SERVICE"
    MATERIAL = "MATERIAL"
    LABOR = "LABOR"
    FEE = "FEE"


@strawberry.enum(description="Where stock is kept.")
class StockLocationKind(Enum):
    WAREHOUSE = "WAREHOUSE"
    TRUCK = "TRUCK"


@strawberry.enum(description="How `stockAdjust` changes on-hand stock.")
class StockAdjustMode(Enum):
    SET = "SET"
    RECEIVE = "RECEIVE"


@strawberry.enum(description="Whether a reservation still holds stock for its line.")
class ReservationStatus(Enum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


@strawberry.enum(description="Where a purchase order stands.")
class PurchaseOrderStatus(Enum):
    DRAFT = "DRAFT"
    ORDERED = "ORDERED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


@strawberry.enum(
    description="Whether the parts of a job are there: READY (reserved), ON_ORDER (arrives by "
    "the next visit), AT_RISK (arrives after it), SHORT (neither in stock nor ordered). "
    "AT_RISK and SHORT mean blocked by parts."
)
class MaterialReadinessStatus(Enum):
    READY = "READY"
    ON_ORDER = "ON_ORDER"
    AT_RISK = "AT_RISK"
    SHORT = "SHORT"


# --- types -------------------------------------------------------------------------------------


@strawberry.type(description="Something the company stocks and sells, by SKU.")
class InventoryItem(RowType, Node):
    sku: str
    name: str
    unit: str = strawberry.field(description="Unit of measure, e.g. ea, ft, gal.")
    unit_cost: Decimal = strawberry.field(description="What one unit costs the company.")
    unit_price: Decimal = strawberry.field(description="Default price of one unit to customers.")
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("InventoryItem", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Stock of this item at each location that has had any.")
    async def stock_levels(self, info: Info) -> list[StockLevel]:
        return await _loaders(info).stock_levels_by_inventory_item_id.load(self.id)  # type: ignore[no-any-return]


@strawberry.type(description="A warehouse, or a truck that belongs to a technician.")
class StockLocation(RowType, Node):
    name: str
    kind: StockLocationKind

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("StockLocation", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Who drives the truck; null for a warehouse.")
    async def technician(self, info: Info) -> Technician | None:
        row: Any = self
        if row.technician_id is None:
            return None
        return await _loaders(info).technician_by_id.load(row.technician_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Stock of each item here, by SKU.")
    async def levels(self, info: Info) -> list[StockLevel]:
        return await _loaders(info).stock_levels_by_location_id.load(self.id)  # type: ignore[no-any-return]


@strawberry.type(description="How much of an item is at a location, and how much of it is held.")
class StockLevel(RowType):
    on_hand: Decimal = strawberry.field(description="Physically there.")
    reserved: Decimal = strawberry.field(description="Held for job lines.")

    @strawberry.field(description="On hand and not reserved: what a new reservation can take.")
    def available(self) -> Decimal:
        row: Any = self
        return row.on_hand - row.reserved  # type: ignore[no-any-return]

    @strawberry.field
    async def inventory_item(self, info: Info) -> InventoryItem | None:
        row: Any = self
        return await _loaders(info).inventory_item_by_id.load(row.inventory_item_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def stock_location(self, info: Info) -> StockLocation | None:
        row: Any = self
        return await _loaders(info).stock_location_by_id.load(row.stock_location_id)  # type: ignore[no-any-return]


@strawberry.type(description="A line of a job: what is sold, at what price and cost.")
class LineItem(RowType, Node):
    kind: LineItemKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit_cost: Decimal
    taxable: bool
    tax_rate: Decimal = strawberry.field(description="A fraction: 0.0825 is 8.25 %.")
    position: int = strawberry.field(description="Order on the job, from 1.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("LineItem", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Quantity times unit price, in cents.")
    def total(self) -> Decimal:
        row: Any = self
        return line_total(row.quantity, row.unit_price)

    @strawberry.field(description="Tax on the total when taxable, in cents.")
    def tax_amount(self) -> Decimal:
        row: Any = self
        return line_tax(line_total(row.quantity, row.unit_price), row.taxable, row.tax_rate)

    @strawberry.field(description="The stocked item a MATERIAL line draws on.")
    async def inventory_item(self, info: Info) -> InventoryItem | None:
        row: Any = self
        if row.inventory_item_id is None:
            return None
        return await _loaders(info).inventory_item_by_id.load(row.inventory_item_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Stock reserved for this line, oldest first.")
    async def reservations(self, info: Info) -> list[Reservation]:
        return await _loaders(info).reservations_by_line_item_id.load(self.id)  # type: ignore[no-any-return]

    @strawberry.field
    async def job(self, info: Info) -> JobType | None:
        row: Any = self
        return await _loaders(info).job_by_id.load(row.job_id)  # type: ignore[no-any-return]


@strawberry.type(description="Stock held at a location for a job's material line.")
class Reservation(RowType, Node):
    quantity: Decimal = strawberry.field(description="Held for the line, including issued.")
    issued: Decimal = strawberry.field(description="Taken out for the job, net of returns.")
    status: ReservationStatus
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Reservation", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Still in stock and held: what can be issued or released.")
    def held(self) -> Decimal:
        row: Any = self
        if row.status != "RESERVED":
            return Decimal("0.000")  # at the scale quantities are stored with
        return row.quantity - row.issued  # type: ignore[no-any-return]

    @strawberry.field
    async def line_item(self, info: Info) -> LineItem | None:
        row: Any = self
        return await _loaders(info).line_item_by_id.load(row.line_item_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def stock_location(self, info: Info) -> StockLocation | None:
        row: Any = self
        return await _loaders(info).stock_location_by_id.load(row.stock_location_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def inventory_item(self, info: Info) -> InventoryItem | None:
        row: Any = self
        return await _loaders(info).inventory_item_by_id.load(row.inventory_item_id)  # type: ignore[no-any-return]


@strawberry.type(description="A supplier the company buys from.")
class Vendor(RowType, Node):
    name: str
    email: str | None
    phone: str | None

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("Vendor", self.id)  # type: ignore[arg-type]


@strawberry.type(description="A line of a purchase order, possibly bought for a job's line.")
class PurchaseOrderLine(RowType, Node):
    quantity_ordered: Decimal
    quantity_received: Decimal
    unit_cost: Decimal

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("PurchaseOrderLine", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Ordered and not received yet.")
    def quantity_outstanding(self) -> Decimal:
        row: Any = self
        return row.quantity_ordered - row.quantity_received  # type: ignore[no-any-return]

    @strawberry.field(description="Quantity ordered times unit cost, in cents.")
    def total(self) -> Decimal:
        row: Any = self
        return money(row.quantity_ordered * row.unit_cost)

    @strawberry.field
    async def inventory_item(self, info: Info) -> InventoryItem | None:
        row: Any = self
        return await _loaders(info).inventory_item_by_id.load(row.inventory_item_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The job line received goods are reserved for.")
    async def line_item(self, info: Info) -> LineItem | None:
        row: Any = self
        if row.line_item_id is None:
            return None
        return await _loaders(info).line_item_by_id.load(row.line_item_id)  # type: ignore[no-any-return]


@strawberry.type(description="An order to a vendor, received into a stock location.")
class PurchaseOrder(RowType, Node):
    status: PurchaseOrderStatus
    expected_on: date | None = strawberry.field(description="When the vendor promised it.")
    ordered_at: datetime | None = strawberry.field(description="When it was submitted.")
    notes: str | None
    version: int = strawberry.field(description="Pass as `expectedVersion` to guard changes.")
    created_at: datetime

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return global_id("PurchaseOrder", self.id)  # type: ignore[arg-type]

    @strawberry.field(description="Purchase order number, e.g. P-5001 (per company).")
    def number(self) -> str:
        return f"P-{self.number}"  # type: ignore[attr-defined]

    @strawberry.field
    async def vendor(self, info: Info) -> Vendor | None:
        row: Any = self
        return await _loaders(info).vendor_by_id.load(row.vendor_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where received goods go.")
    async def stock_location(self, info: Info) -> StockLocation | None:
        row: Any = self
        return await _loaders(info).stock_location_by_id.load(row.stock_location_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The job it was bought for, if any.")
    async def job(self, info: Info) -> JobType | None:
        row: Any = self
        if row.job_id is None:
            return None
        return await _loaders(info).job_by_id.load(row.job_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        return await _loaders(info).purchase_order_lines_by_order_id.load(self.id)  # type: ignore[no-any-return]

    @strawberry.field(description="Sum of the lines' totals.")
    async def total(self, info: Info) -> Decimal:
        lines = await _loaders(info).purchase_order_lines_by_order_id.load(self.id)
        return sum((money(r.quantity_ordered * r.unit_cost) for r in lines), Decimal(0))


@strawberry.type(description="Readiness of one material line of a job.")
class MaterialReadinessLine:
    needed: Decimal = strawberry.field(description="The line's quantity.")
    reserved: Decimal = strawberry.field(description="Reserved for it, including issued.")
    on_order: Decimal = strawberry.field(
        description="Outstanding on submitted purchase orders tied to the line."
    )
    expected_on: date | None = strawberry.field(
        description="Latest expected date of those purchase orders."
    )
    status: MaterialReadinessStatus

    @strawberry.field
    def line_item(self) -> LineItem:
        return self.line  # type: ignore[attr-defined, no-any-return]


@strawberry.type(
    description="Whether a job's parts are there, per stocked material line; the job's status "
    "is its worst line's. MATERIAL lines without an inventory item are not stock-tracked."
)
class MaterialReadiness:
    status: MaterialReadinessStatus
    lines: list[MaterialReadinessLine]
    next_visit_at: datetime | None = strawberry.field(
        description="Start of the earliest visit not completed or cancelled: what parts must "
        "arrive before (by its day in the company's time zone)."
    )


@strawberry.type(
    description="What a job earns, computed from its rows. Price and tax from the lines. Cost = "
    "materials (MATERIAL lines at their unit cost: the issued quantity once stock was issued, "
    "the planned quantity until then) + labor (approved TRAVEL and WORK time times the "
    "technician's hourly cost; breaks and the unit costs of SERVICE, LABOR and FEE lines are "
    "not counted) + purchase orders (received lines bought for the job and not tied to a line; "
    "tied ones become reserved stock and count when issued)."
)
class FinancialSummary:
    price: Decimal = strawberry.field(description="Sum of line totals, before tax.")
    tax: Decimal
    total: Decimal = strawberry.field(description="Price plus tax.")
    cost: Decimal
    margin: Decimal = strawberry.field(description="Price minus cost.")
    margin_percent: Decimal | None = strawberry.field(
        description="Margin as a percentage of price; null when the price is zero."
    )
    materials_cost: Decimal
    labor_cost: Decimal
    purchase_orders_cost: Decimal


@strawberry.type
class JobMaterialsTab:
    """Fields of Job for its lines, materials and money (Job inherits them)."""

    readiness: MaterialReadinessStatus = strawberry.field(
        description="Stored material readiness (cheap in lists; `materialReadiness` explains it)."
    )

    @strawberry.field(description="What the job sells, in order.")
    async def line_items(self, info: Info) -> list[LineItem]:
        return await _loaders(info).line_items_by_job_id.load(self.id)  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="Whether the job's parts are reserved, on order, or short.")
    async def material_readiness(self, info: Info) -> MaterialReadiness:
        return await resolvers.job_readiness(info.context, self.id)  # type: ignore[attr-defined, return-value]

    @strawberry.field(description="Purchase orders bought for the job, by number.")
    async def purchase_orders(self, info: Info) -> list[PurchaseOrder]:
        return await _loaders(info).purchase_orders_by_job_id.load(self.id)  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="Price, tax, cost and margin, computed from the job's rows.")
    async def financial_summary(self, info: Info) -> FinancialSummary:
        return await resolvers.financial_summary(info.context, self.id)  # type: ignore[attr-defined, return-value]


@strawberry.type
class MaterialsQuery:
    @strawberry.field(description="Inventory items by SKU, paged by cursor.")
    async def inventory_items(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: Annotated[
            str | None, strawberry.argument(description="Words found in the SKU or name.")
        ] = None,
    ) -> Connection[InventoryItem]:
        page, total = await stock.list_inventory_items(
            info.context, search, page_args(first, after, last, before)
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)

    @strawberry.field(description="Warehouses first, then trucks, by name, with their stock.")
    async def stock_locations(self, info: Info) -> list[StockLocation]:
        return await stock.list_stock_locations(info.context)  # type: ignore[return-value]

    @strawberry.field(description="Vendors by name, paged by cursor.")
    async def vendors(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
    ) -> Connection[Vendor]:
        page, total = await stock.list_vendors(
            info.context, search, page_args(first, after, last, before)
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)

    @strawberry.field(description="Purchase orders, newest number first, paged by cursor.")
    async def purchase_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: list[PurchaseOrderStatus] | None = None,
    ) -> Connection[PurchaseOrder]:
        page, total = await stock.list_purchase_orders(
            info.context,
            [s.value for s in status] if status else None,
            page_args(first, after, last, before),
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)


# --- inputs ------------------------------------------------------------------------------------


@strawberry.input(
    description="A new line at the end of a job. A MATERIAL line with an inventory item takes "
    "the item's name, unit price and unit cost unless given."
)
class LineItemAddInput:
    job_id: strawberry.ID
    kind: LineItemKind
    quantity: Decimal
    description: str | None = None
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    taxable: bool | None = strawberry.field(default=None, description="Default: true.")
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="A fraction, e.g. 0.0825; default 0."
    )
    inventory_item_id: strawberry.ID | None = None


@strawberry.input(description="Changes to a line; omitted fields stay as they are.")
class LineItemUpdateInput:
    id: strawberry.ID
    description: str | None = UNSET
    quantity: Decimal | None = UNSET
    unit_price: Decimal | None = UNSET
    unit_cost: Decimal | None = UNSET
    taxable: bool | None = UNSET
    tax_rate: Decimal | None = UNSET


@strawberry.input(description="Remove a line; stock held for it is released.")
class LineItemRemoveInput:
    id: strawberry.ID


@strawberry.input(description="Put a job's lines in a new order.")
class LineItemsReorderInput:
    job_id: strawberry.ID
    line_item_ids: list[strawberry.ID] = strawberry.field(
        description="Every line of the job, exactly once, in the new order."
    )


@strawberry.input(description="A new inventory item.")
class InventoryItemCreateInput:
    sku: str
    name: str
    unit: str | None = strawberry.field(default=None, description="Default: ea.")
    unit_cost: Decimal | None = None
    unit_price: Decimal | None = None


@strawberry.input(description="A warehouse, or a technician's truck.")
class StockLocationCreateInput:
    name: str
    kind: StockLocationKind
    technician_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for a TRUCK."
    )


@strawberry.input(description="Count or receive stock of an item at a location.")
class StockAdjustInput:
    stock_location_id: strawberry.ID
    inventory_item_id: strawberry.ID
    quantity: Decimal
    mode: StockAdjustMode = strawberry.field(
        default=StockAdjustMode.SET,
        description="SET on-hand to the quantity (a count), or RECEIVE it on top.",
    )


@strawberry.input(description="Hold stock at a location for a job's material line.")
class MaterialReserveInput:
    line_item_id: strawberry.ID
    stock_location_id: strawberry.ID
    quantity: Decimal


@strawberry.input(description="Give back what a reservation still holds.")
class MaterialReleaseInput:
    reservation_id: strawberry.ID


@strawberry.input(description="Take reserved stock out for the job, or put it back.")
class MaterialMoveInput:
    reservation_id: strawberry.ID
    quantity: Decimal


@strawberry.input(description="A new vendor.")
class VendorCreateInput:
    name: str
    email: str | None = None
    phone: str | None = None


@strawberry.input(description="A line of a new purchase order.")
class PurchaseOrderLineInput:
    inventory_item_id: strawberry.ID
    quantity: Decimal
    unit_cost: Decimal | None = strawberry.field(
        default=None, description="Default: the item's unit cost."
    )
    line_item_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A MATERIAL line of the order's job, for the same item: received goods are "
        "reserved for it.",
    )


@strawberry.input(description="A new purchase order, created as DRAFT.")
class PurchaseOrderCreateInput:
    vendor_id: strawberry.ID
    stock_location_id: strawberry.ID = strawberry.field(description="Where the goods will go.")
    expected_on: date
    lines: list[PurchaseOrderLineInput]
    job_id: strawberry.ID | None = None
    notes: str | None = None


@strawberry.input(description="Send a draft purchase order to the vendor.")
class PurchaseOrderSubmitInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(description="Call off a purchase order (what was received stays).")
class PurchaseOrderCancelInput:
    id: strawberry.ID
    reason: str | None = None
    expected_version: int | None = None


@strawberry.input(description="Goods received on one line of a purchase order.")
class PurchaseOrderReceiveLineInput:
    line_id: strawberry.ID
    quantity: Decimal


@strawberry.input(description="Book goods received on a purchase order (partial receipts too).")
class PurchaseOrderReceiveInput:
    purchase_order_id: strawberry.ID
    lines: list[PurchaseOrderReceiveLineInput]
    expected_version: int | None = None


# --- payloads ----------------------------------------------------------------------------------


@strawberry.type
class LineItemPayload:
    line_item: LineItem | None
    job: JobType | None = strawberry.field(description="The job, with its readiness updated.")
    errors: list[UserError]


@strawberry.type
class LineItemRemovePayload:
    removed_line_item_id: strawberry.ID | None
    job: JobType | None
    errors: list[UserError]


@strawberry.type
class LineItemsReorderPayload:
    job: JobType | None
    errors: list[UserError]


@strawberry.type
class InventoryItemPayload:
    inventory_item: InventoryItem | None
    errors: list[UserError]


@strawberry.type
class StockLocationPayload:
    stock_location: StockLocation | None
    errors: list[UserError]


@strawberry.type
class StockLevelPayload:
    stock_level: StockLevel | None
    errors: list[UserError]


@strawberry.type
class ReservationPayload:
    reservation: Reservation | None
    errors: list[UserError]


@strawberry.type
class VendorPayload:
    vendor: Vendor | None
    errors: list[UserError]


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None
    errors: list[UserError]


def _reservation(info: Info, work: Any) -> Any:
    return run_mutation(
        info,
        work,
        *payload_of(ReservationPayload, "reservation"),
    )


def _purchase_order(info: Info, work: Any) -> Any:
    return run_mutation(
        info,
        work,
        *payload_of(PurchaseOrderPayload, "purchase_order"),
    )


def _line_item(info: Info, work: Any) -> Any:
    return run_mutation(
        info,
        work,
        lambda result: LineItemPayload(line_item=result[0], job=result[1], errors=[]),
        lambda errors: LineItemPayload(line_item=None, job=None, errors=errors),
    )


@strawberry.type
class MaterialsMutation:
    @strawberry.mutation(description="Add a line to a job.")
    async def line_item_add(self, info: Info, input: LineItemAddInput) -> LineItemPayload:
        return await _line_item(info, lambda: resolvers.add_line_item(info.context, input))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Edit a line of a job.")
    async def line_item_update(self, info: Info, input: LineItemUpdateInput) -> LineItemPayload:
        return await _line_item(  # type: ignore[no-any-return]
            info, lambda: resolvers.update_line_item(info.context, input, is_set)
        )

    @strawberry.mutation(
        description="Remove a line; stock held for it is released. CONFLICT once stock was "
        "issued to it (return it first)."
    )
    async def line_item_remove(
        self, info: Info, input: LineItemRemoveInput
    ) -> LineItemRemovePayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: resolvers.remove_line_item(info.context, input),
            lambda result: LineItemRemovePayload(
                removed_line_item_id=strawberry.ID(result[0]), job=result[1], errors=[]
            ),
            lambda errors: LineItemRemovePayload(
                removed_line_item_id=None, job=None, errors=errors
            ),
        )

    @strawberry.mutation(description="Put a job's lines in a new order.")
    async def line_items_reorder(
        self, info: Info, input: LineItemsReorderInput
    ) -> LineItemsReorderPayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: resolvers.reorder_line_items(info.context, input),
            *payload_of(LineItemsReorderPayload, "job"),
        )

    @strawberry.mutation(description="Add an inventory item; CONFLICT when the SKU is taken.")
    async def inventory_item_create(
        self, info: Info, input: InventoryItemCreateInput
    ) -> InventoryItemPayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: stock.create_inventory_item(info.context, input),
            *payload_of(InventoryItemPayload, "inventory_item"),
        )

    @strawberry.mutation(description="Add a warehouse or a technician's truck.")
    async def stock_location_create(
        self, info: Info, input: StockLocationCreateInput
    ) -> StockLocationPayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: stock.create_stock_location(info.context, input),
            *payload_of(StockLocationPayload, "stock_location"),
        )

    @strawberry.mutation(
        description="Set counted stock or receive stock at a location (setup, cycle counts). "
        "A count below what is reserved there is refused with CONFLICT."
    )
    async def stock_adjust(self, info: Info, input: StockAdjustInput) -> StockLevelPayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: stock.adjust_stock(info.context, input),
            *payload_of(StockLevelPayload, "stock_level"),
        )

    @strawberry.mutation(
        description="Reserve stock at a location for a material line; INSUFFICIENT_STOCK when "
        "less is available."
    )
    async def material_reserve(self, info: Info, input: MaterialReserveInput) -> ReservationPayload:
        return await _reservation(info, lambda: stock.reserve_material(info.context, input))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Release what a reservation still holds.")
    async def material_release(self, info: Info, input: MaterialReleaseInput) -> ReservationPayload:
        return await _reservation(info, lambda: stock.release_material(info.context, input))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Record reserved stock used on the job: on hand and reserved go down."
    )
    async def material_issue(self, info: Info, input: MaterialMoveInput) -> ReservationPayload:
        return await _reservation(info, lambda: stock.issue_material(info.context, input))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Put issued stock back; it is held for the line again until released."
    )
    async def material_return(self, info: Info, input: MaterialMoveInput) -> ReservationPayload:
        return await _reservation(info, lambda: stock.return_material(info.context, input))  # type: ignore[no-any-return]

    @strawberry.mutation(description="Add a vendor.")
    async def vendor_create(self, info: Info, input: VendorCreateInput) -> VendorPayload:
        return await run_mutation(  # type: ignore[no-any-return]
            info,
            lambda: stock.create_vendor(info.context, input),
            *payload_of(VendorPayload, "vendor"),
        )

    @strawberry.mutation(description="Draft a purchase order; it gets the next P- number.")
    async def purchase_order_create(
        self, info: Info, input: PurchaseOrderCreateInput
    ) -> PurchaseOrderPayload:
        return await _purchase_order(  # type: ignore[no-any-return]
            info, lambda: stock.create_purchase_order(info.context, input)
        )

    @strawberry.mutation(description="Send a draft purchase order: it becomes ORDERED.")
    async def purchase_order_submit(
        self, info: Info, input: PurchaseOrderSubmitInput
    ) -> PurchaseOrderPayload:
        return await _purchase_order(  # type: ignore[no-any-return]
            info, lambda: stock.submit_purchase_order(info.context, input)
        )

    @strawberry.mutation(
        description="Book received goods into the order's location (reserved for the job lines "
        "they were bought for): PARTIALLY_RECEIVED, or RECEIVED once every line is complete."
    )
    async def purchase_order_receive(
        self, info: Info, input: PurchaseOrderReceiveInput
    ) -> PurchaseOrderPayload:
        return await _purchase_order(  # type: ignore[no-any-return]
            info, lambda: stock.receive_purchase_order(info.context, input)
        )

    @strawberry.mutation(description="Cancel a purchase order that is not fully received.")
    async def purchase_order_cancel(
        self, info: Info, input: PurchaseOrderCancelInput
    ) -> PurchaseOrderPayload:
        return await _purchase_order(  # type: ignore[no-any-return]
            info, lambda: stock.cancel_purchase_order(info.context, input)
        )
