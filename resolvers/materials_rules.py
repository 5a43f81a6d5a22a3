"""Material readiness and job money as plain functions over plain data (no database, no GraphQL).

Readiness of one inventory-backed MATERIAL line compares what it needs with what covers it:

- READY: reserved stock (including what was already issued to the job) covers the line;
- ON_ORDER: reserved plus open purchase-order quantity covers it, and that order is expected on
  or before the day of the job's next visit (or the job has no visit yet, so nothing is missed);
- AT_RISK: covered only with an order expected after the next visit's day (or with no date);
- SHORT: not covered even with what is on order.

The job's readiness is its worst line; a job without such lines is READY.

Money is Decimal throughout and rounded to cents per line, so a summary adds up to the amounts
shown on the lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

READY = "READY"
ON_ORDER = "ON_ORDER"
AT_RISK = "AT_RISK"
SHORT = "SHORT"
# Best first: the job's readiness is the line status furthest down this list.
READINESS_ORDER = (READY, ON_ORDER, AT_RISK, SHORT)
# Readiness the board treats as "blocked by parts".
BLOCKED = (AT_RISK, SHORT)

CENT = Decimal("0.01")
ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class LineSupply:
    """What one material line needs and what covers it."""

    needed: Decimal
    # Held for the line plus already issued to it.
    reserved: Decimal
    # Ordered on submitted purchase orders tied to the line and not received yet.
    on_order: Decimal
    # Latest expected date of those orders; None when none has a date.
    expected_on: date | None


def line_readiness(supply: LineSupply, next_visit_on: date | None) -> str:
    if supply.reserved >= supply.needed:
        return READY
    if supply.reserved + supply.on_order < supply.needed:
        return SHORT
    if next_visit_on is None:
        return ON_ORDER
    if supply.expected_on is not None and supply.expected_on <= next_visit_on:
        return ON_ORDER
    return AT_RISK


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=READINESS_ORDER.index, default=READY)


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return money(quantity * unit_price)


def line_tax(total: Decimal, taxable: bool, tax_rate: Decimal) -> Decimal:
    return money(total * tax_rate) if taxable else money(ZERO)


@dataclass(frozen=True)
class PricedLine:
    kind: str
    quantity: Decimal
    unit_price: Decimal
    unit_cost: Decimal
    taxable: bool
    tax_rate: Decimal
    # Net quantity taken out of stock for the line (issued minus returned).
    issued: Decimal = ZERO


@dataclass(frozen=True)
class LaborTime:
    """Approved paid time of one technician on a job."""

    seconds: Decimal
    hourly_cost: Decimal


@dataclass(frozen=True)
class FinancialSummary:
    price: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal
    margin: Decimal
    margin_percent: Decimal | None
    materials_cost: Decimal
    labor_cost: Decimal
    purchase_orders_cost: Decimal


def material_cost(line: PricedLine) -> Decimal:
    """Cost of a MATERIAL line: what was issued to it once anything was, else what it plans.

    Until stock is issued the planned quantity stands in, so a quoted job's margin is not
    overstated; once the field records use, the issued quantity is what the job consumed.
    """
    used = line.issued if line.issued > 0 else line.quantity
    return money(used * line.unit_cost)


def financial_summary(
    lines: Sequence[PricedLine],
    labor: Sequence[LaborTime],
    purchase_orders_cost: Decimal,
) -> FinancialSummary:
    """Price, tax and cost of a job from its rows.

    Costs are materials (MATERIAL lines, see `material_cost`), labor (approved paid time times
    hourly cost; the unit costs of SERVICE, LABOR and FEE lines are not counted, time is the
    labor cost) and received purchase-order lines bought for the job but not tied to a line
    (tied ones become stock reserved for the line and count when issued).
    """
    totals = [line_total(line.quantity, line.unit_price) for line in lines]
    price = sum(totals, ZERO)
    tax = sum(
        (line_tax(t, line.taxable, line.tax_rate) for t, line in zip(totals, lines, strict=True)),
        ZERO,
    )
    materials_cost = sum((material_cost(line) for line in lines if line.kind == "MATERIAL"), ZERO)
    labor_cost = money(sum((t.seconds * t.hourly_cost / SECONDS_PER_HOUR for t in labor), ZERO))
    purchase_orders_cost = money(purchase_orders_cost)
    cost = materials_cost + labor_cost + purchase_orders_cost
    margin = price - cost
    margin_percent = money(margin / price * 100) if price else None
    return FinancialSummary(
        price=money(price),
        tax=money(tax),
        total=money(price + tax),
        cost=money(cost),
        margin=money(margin),
        margin_percent=margin_percent,
        materials_cost=money(materials_cost),
        labor_cost=labor_cost,
        purchase_orders_cost=purchase_orders_cost,
    )
