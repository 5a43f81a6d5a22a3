"""Demo materials for Northwind Mechanical: the parts catalogue, a warehouse and a truck per
technician, priced lines on the jobs, reservations, and purchase orders in every state, so the
lines, materials, purchase orders and money of a demo job are filled in.

Planned from its own seeded generator, so the rest of the demo stays as it was; written with bulk
inserts. Stock levels are tracked while planning so every reservation is backed by stock, and
readiness is then computed from the written rows by the same code the API uses.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, update

from db.events import record_event
from db.models import (
    companies,
    inventory_items,
    jobs,
    line_items,
    purchase_order_lines,
    purchase_orders,
    reservations,
    stock_levels,
    stock_locations,
    vendors,
)
from db.session import RequestDB
from loaders.materials import lines_with_stock, next_visits
from resolvers.materials import readiness_event, readiness_from

if TYPE_CHECKING:
    from db.demo import PlannedJob

SEED = 5001
FIRST_PO_NUMBER = 5001
LABOR_RATE = Decimal("125.00")
TAX_RATE = Decimal("0.0881")  # Denver combined sales tax, on parts
DONE = ("COMPLETED", "INVOICED")


class Writer(Protocol):
    async def insert(self, table: Any, rows: list[dict[str, Any]]) -> list[int]: ...


@dataclass(frozen=True)
class Part:
    sku: str
    name: str
    unit: str
    cost: str
    price: str
    vendor: int
    truck_stock: bool = False


# fmt: off
VENDORS = (
    ("Front Range HVAC Parts", "orders@frontrangehvac.example", "303-555-0140"),
    ("Rocky Mountain Plumbing Wholesale", "counter@rmpw.example", "303-555-0177"),
    ("Mile High Electric Supply", "sales@milehighelectric.example", "720-555-0112"),
)
PARTS = (
    Part("CAP-4505", "Dual run capacitor 45/5 uF", "ea", "12.40", "48.00", 0, True),
    Part("CON-40A", "Contactor 2-pole 40A 24V coil", "ea", "18.75", "69.00", 0, True),
    Part("IGN-HSI", "Hot surface igniter, silicon nitride", "ea", "21.30", "85.00", 0, True),
    Part("FLM-SNS", "Flame sensor rod", "ea", "8.90", "45.00", 0, True),
    Part("FLT-1625", "Pleated filter 16x25x1 MERV 11", "ea", "4.10", "18.00", 0, True),
    Part("REF-R410", "R-410A refrigerant", "lb", "14.00", "65.00", 0, True),
    Part("MTR-CFAN", "Condenser fan motor 1/4 HP 1075 rpm", "ea", "96.00", "245.00", 0),
    Part("ACT-ECON", "Economizer damper actuator 24V", "ea", "212.00", "465.00", 0),
    Part("THERM-WIFI", "Smart Wi-Fi thermostat", "ea", "118.00", "249.00", 0),
    Part("WH-50G", "Water heater 50 gal gas, 40k BTU", "ea", "689.00", "1450.00", 1),
    Part("EXP-2G", "Thermal expansion tank 2 gal", "ea", "32.00", "85.00", 1),
    Part("TC-24", "Thermocouple 24 in", "ea", "7.80", "35.00", 1, True),
    Part("SUMP-12", "Submersible sump pump 1/2 HP", "ea", "142.00", "329.00", 1),
    Part("CHK-15", "Check valve 1-1/2 in PVC", "ea", "11.50", "38.00", 1),
    Part("FLUSH-KIT", "Flushometer rebuild kit", "ea", "22.00", "65.00", 1),
    Part("BRK-2P50", "Breaker 2-pole 50A", "ea", "24.00", "79.00", 2, True),
    Part("GFCI-20", "GFCI receptacle 20A tamper resistant", "ea", "16.20", "55.00", 2, True),
    Part("PANEL-200", "Load center 200A 40 space", "ea", "265.00", "640.00", 2),
)
# Parts a job of each template uses: (sku, quantity).
BILL_OF_MATERIALS = {
    "No heat: furnace not igniting": (("IGN-HSI", 1), ("FLM-SNS", 1)),
    "AC not cooling: warm air from vents": (("CAP-4505", 1), ("CON-40A", 1), ("REF-R410", 2)),
    "Annual furnace tune-up": (("FLT-1625", 1),),
    "Spring AC tune-up": (("FLT-1625", 1),),
    "Water heater replacement, 50 gal gas": (("WH-50G", 1), ("EXP-2G", 1)),
    "No hot water: pilot will not stay lit": (("TC-24", 1),),
    "Sump pump replacement": (("SUMP-12", 1), ("CHK-15", 1)),
    "Panel upgrade 100A to 200A": (("PANEL-200", 1), ("BRK-2P50", 2)),
    "EV charger install, 48A circuit": (("BRK-2P50", 1),),
    "GFCI outlets tripping in kitchen": (("GFCI-20", 3),),
    "Smart thermostat install": (("THERM-WIFI", 1),),
    "Warranty: condenser fan motor replacement": (("MTR-CFAN", 1), ("CAP-4505", 1)),
    "RTU not cooling: dining room hot": (("CON-40A", 1), ("REF-R410", 4)),
    "Rooftop unit quarterly PM": (("FLT-1625", 8),),
    "Economizer actuator replacement": (("ACT-ECON", 1),),
    "Restroom flush valve repairs": (("FLUSH-KIT", 4),),
}
# What happens to the parts of a job that is still to be done (weights).
OPEN_SCENARIOS = (("reserved", 55), ("on_order", 15), ("at_risk", 12), ("partial", 10),
                  ("short", 8))
# fmt: on


def _next_visit_day(job: PlannedJob) -> date | None:
    starts = [v.start for v in job.visits if v.status not in ("COMPLETED", "CANCELLED")]
    return min(starts).date() if starts else None


class _Plan:
    """Rows to write, with stock tracked as (location, item) -> [on hand, reserved]."""

    def __init__(self) -> None:
        self.levels: dict[tuple[int, int], list[Decimal]] = defaultdict(
            lambda: [Decimal(0), Decimal(0)]
        )
        self.reservations: list[dict[str, Any]] = []
        self.orders: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def reserve(self, line: dict[str, Any], location: int, issued: bool) -> None:
        quantity = line["quantity"]
        if not issued:
            self.levels[(location, line["inventory_item_id"])][1] += quantity
        self.reservations.append(
            {
                "line_item_id": line["id"],
                "stock_location_id": location,
                "inventory_item_id": line["inventory_item_id"],
                "quantity": quantity,
                "issued": quantity if issued else Decimal(0),
            }
        )

    def available(self, location: int, item: int) -> Decimal:
        on_hand, reserved = self.levels[(location, item)]
        return on_hand - reserved

    def order(
        self,
        vendor: int,
        location: int,
        job_id: int | None,
        status: str,
        expected_on: date,
        lines: list[tuple[int, int | None, Decimal, Decimal, Decimal]],
    ) -> None:
        """lines: (item, job line, ordered, received, unit cost)."""
        self.orders.append(
            (
                {
                    "vendor_id": vendor,
                    "job_id": job_id,
                    "stock_location_id": location,
                    "status": status,
                    "expected_on": expected_on,
                    "ordered_at": (
                        None
                        if status == "DRAFT"
                        else datetime.combine(expected_on - timedelta(days=5), time(9), UTC)
                    ),
                    "version": {"DRAFT": 1, "ORDERED": 2}.get(status, 3),
                },
                [
                    {
                        "inventory_item_id": item,
                        "line_item_id": line_id,
                        "quantity_ordered": ordered,
                        "quantity_received": received,
                        "unit_cost": cost,
                    }
                    for item, line_id, ordered, received, cost in lines
                ],
            )
        )


def _job_lines(job: PlannedJob, items: dict[str, tuple[int, Part]]) -> list[dict[str, Any]]:
    """Priced lines of a job: the work, its parts, and a trip charge for time and materials."""
    template = job.template
    billed = template.billing in ("FIXED_PRICE", "TIME_AND_MATERIALS")
    hours = Decimal(template.minutes) / 60
    work_price = (hours * LABOR_RATE).quantize(Decimal("1")) if billed else Decimal(0)
    lines: list[dict[str, Any]] = [
        {
            "kind": "LABOR" if template.billing == "TIME_AND_MATERIALS" else "SERVICE",
            "description": template.title,
            "quantity": Decimal(1),
            "unit_price": work_price,
            "taxable": False,
        }
    ]
    # A cancelled job's parts were never ordered: it keeps the work it was quoted for.
    parts = () if job.status == "CANCELLED" else BILL_OF_MATERIALS.get(template.title, ())
    for sku, quantity in parts:
        item_id, part = items[sku]
        lines.append(
            {
                "kind": "MATERIAL",
                "description": part.name,
                "quantity": Decimal(quantity),
                "unit_price": Decimal(part.price) if billed else Decimal(0),
                "unit_cost": Decimal(part.cost),
                "taxable": True,
                "tax_rate": TAX_RATE,
                "inventory_item_id": item_id,
            }
        )
    if template.billing == "TIME_AND_MATERIALS":
        lines.append(
            {
                "kind": "FEE",
                "description": "Trip charge",
                "quantity": Decimal(1),
                "unit_price": Decimal("49.00"),
                "taxable": False,
            }
        )
    blank = {"unit_cost": Decimal(0), "tax_rate": Decimal(0), "inventory_item_id": None}
    return [{**blank, **line, "position": n} for n, line in enumerate(lines, 1)]


async def write_demo_materials(
    db: RequestDB,
    out: Writer,
    company_id: int,
    today: date,
    job_ids: list[int],
    planned: list[PlannedJob],
    tech_ids: list[int],
    tech_names: list[str],
) -> None:
    rng = random.Random(SEED)
    plan = _Plan()
    vendor_ids = await out.insert(
        vendors, [{"name": n, "email": e, "phone": p} for n, e, p in VENDORS]
    )
    item_ids = await out.insert(
        inventory_items,
        [
            {
                "sku": p.sku,
                "name": p.name,
                "unit": p.unit,
                "unit_cost": Decimal(p.cost),
                "unit_price": Decimal(p.price),
            }
            for p in PARTS
        ],
    )
    items = {p.sku: (item_id, p) for item_id, p in zip(item_ids, PARTS, strict=True)}
    warehouse, *trucks = await out.insert(
        stock_locations,
        [
            {"name": "Main warehouse, 4860 Brighton Blvd", "kind": "WAREHOUSE"},
            *(
                {"name": f"Truck {n} ({name})", "kind": "TRUCK", "technician_id": tech_id}
                for n, (tech_id, name) in enumerate(zip(tech_ids, tech_names, strict=True), 11)
            ),
        ],
    )
    for item_id, part in zip(item_ids, PARTS, strict=True):
        bulky = Decimal(part.cost) > 100
        plan.levels[(warehouse, item_id)][0] = Decimal(
            rng.randint(1, 4) if bulky else rng.randint(6, 24)
        )
        if part.truck_stock:
            for truck in trucks:
                plan.levels[(truck, item_id)][0] = Decimal(rng.randint(1, 5))

    with_lines = list(zip(job_ids, planned, strict=True))
    line_rows = [
        {"job_id": job_id, **line} for job_id, job in with_lines for line in _job_lines(job, items)
    ]
    line_ids = await out.insert(line_items, line_rows)
    lines_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line_id, row in zip(line_ids, line_rows, strict=True):
        if row["kind"] == "MATERIAL":
            lines_of[row["job_id"]].append({**row, "id": line_id})

    vendor_of = {item_id: vendor_ids[part.vendor] for item_id, part in items.values()}
    for job_id, job in with_lines:
        materials = lines_of.get(job_id)
        if not materials:
            continue
        if job.status in DONE or job.status == "IN_PROGRESS":
            # Used on site: reserved from the technician's truck (or the warehouse) and issued.
            crew = job.visits[-1].techs if job.visits else ()
            source = trucks[crew[0]] if crew else warehouse
            for line in materials:
                plan.reserve(line, source, issued=True)
            continue
        scenario = rng.choices(
            [s for s, _ in OPEN_SCENARIOS], weights=[w for _, w in OPEN_SCENARIOS]
        )[0]
        visit_day = _next_visit_day(job)
        if scenario == "reserved" and all(
            plan.available(warehouse, m["inventory_item_id"]) >= m["quantity"] for m in materials
        ):
            for line in materials:
                plan.reserve(line, warehouse, issued=False)
            continue
        if scenario == "short":
            continue
        if scenario == "at_risk" and visit_day is not None:
            expected = visit_day + timedelta(days=2)
        else:
            expected = (visit_day or today + timedelta(days=6)) - timedelta(days=2)
            expected = max(expected, today)
        received_first = scenario == "partial" and len(materials) > 1
        by_vendor: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in materials:
            by_vendor[vendor_of[line["inventory_item_id"]]].append(line)
        for vendor, ordered in by_vendor.items():
            order_lines = []
            for n, line in enumerate(ordered):
                received = line["quantity"] if received_first and n == 0 else Decimal(0)
                if received:
                    plan.levels[(warehouse, line["inventory_item_id"])][0] += received
                    plan.reserve(line, warehouse, issued=False)
                order_lines.append(
                    (
                        line["inventory_item_id"],
                        line["id"],
                        line["quantity"],
                        received,
                        line["unit_cost"],
                    )
                )
            status = "PARTIALLY_RECEIVED" if any(r for *_, r, _ in order_lines) else "ORDERED"
            plan.order(vendor, warehouse, job_id, status, expected, order_lines)
            received_first = False

    # Restocking the warehouse: last week's delivery, one on its way, and a draft.
    restock = [items[sku] for sku in ("CAP-4505", "CON-40A", "FLT-1625", "REF-R410")]
    plan.order(
        vendor_ids[0],
        warehouse,
        None,
        "RECEIVED",
        today - timedelta(days=6),
        [
            (item_id, None, Decimal(12), Decimal(12), Decimal(part.cost))
            for item_id, part in restock
        ],
    )
    plan.order(
        vendor_ids[2],
        warehouse,
        None,
        "ORDERED",
        today + timedelta(days=3),
        [
            (items["GFCI-20"][0], None, Decimal(20), Decimal(0), Decimal("16.20")),
            (items["BRK-2P50"][0], None, Decimal(10), Decimal(0), Decimal("24.00")),
        ],
    )
    plan.order(
        vendor_ids[1],
        warehouse,
        None,
        "DRAFT",
        today + timedelta(days=10),
        [(items["TC-24"][0], None, Decimal(10), Decimal(0), Decimal("7.80"))],
    )
    await _write_stock(db, out, company_id, plan)
    await _write_readiness(db, company_id, job_ids)


async def _write_stock(db: RequestDB, out: Writer, company_id: int, plan: _Plan) -> None:
    await out.insert(
        stock_levels,
        [
            {
                "stock_location_id": location,
                "inventory_item_id": item,
                "on_hand": on_hand,
                "reserved": reserved,
            }
            for (location, item), (on_hand, reserved) in sorted(plan.levels.items())
        ],
    )
    if plan.reservations:
        await out.insert(reservations, plan.reservations)
    order_ids = await out.insert(
        purchase_orders,
        [{"number": FIRST_PO_NUMBER + n, **order} for n, (order, _) in enumerate(plan.orders)],
    )
    await out.insert(
        purchase_order_lines,
        [
            {"purchase_order_id": order_id, **line}
            for order_id, (_, lines) in zip(order_ids, plan.orders, strict=True)
            for line in lines
        ],
    )
    await db.execute(
        update(companies)
        .where(companies.c.id == company_id)
        .values(po_seq=FIRST_PO_NUMBER + len(plan.orders) - 1)
    )


async def _write_readiness(db: RequestDB, company_id: int, job_ids: list[int]) -> None:
    """Store each job's readiness; jobs waiting for parts say so on their timeline."""
    lines = await lines_with_stock(db, company_id, job_ids)
    visits = await next_visits(db, company_id, job_ids)
    changed = []
    for job_id, job_lines, visit in zip(job_ids, lines, visits, strict=True):
        readiness = readiness_from(job_lines, visit)
        if readiness.status == "READY":
            continue
        changed.append({"job_id": job_id, "new_readiness": readiness.status})
        await record_event(
            db,
            company_id=company_id,
            job_id=job_id,
            visit_id=readiness.next_visit_id,
            type="job.readiness_changed",
            payload=readiness_event("READY", readiness),
        )
    if changed:
        await db.execute(
            update(jobs)
            .where(jobs.c.id == bindparam("job_id"))
            .values(readiness=bindparam("new_readiness")),
            changed,
        )
