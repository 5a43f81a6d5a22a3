"""Readiness and job money as plain functions: no database, no GraphQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from resolvers.materials_rules import (
    AT_RISK,
    ON_ORDER,
    READY,
    SHORT,
    FinancialSummary,
    LaborTime,
    LineSupply,
    PricedLine,
    financial_summary,
    line_readiness,
    line_tax,
    line_total,
    money,
    worst,
)

VISIT_DAY = date(2030, 1, 7)


def supply(needed: str, reserved: str = "0", on_order: str = "0", expected: date | None = None):
    return LineSupply(
        needed=D(needed), reserved=D(reserved), on_order=D(on_order), expected_on=expected
    )


@pytest.mark.parametrize(
    ("line", "visit_day", "status"),
    [
        # reserved (issued included) covers the line
        (supply("4", reserved="4"), VISIT_DAY, READY),
        (supply("4", reserved="5"), None, READY),
        # nothing in stock and nothing ordered
        (supply("4"), VISIT_DAY, SHORT),
        # ordered, but not enough even with the order
        (supply("4", reserved="1", on_order="2", expected=date(2030, 1, 1)), VISIT_DAY, SHORT),
        # the order arrives before the visit, or on its day
        (supply("4", reserved="1", on_order="3", expected=date(2030, 1, 5)), VISIT_DAY, ON_ORDER),
        (supply("4", on_order="4", expected=VISIT_DAY), VISIT_DAY, ON_ORDER),
        # no visit yet: nothing is missed
        (supply("4", on_order="4", expected=date(2030, 3, 1)), None, ON_ORDER),
        # the order arrives after the visit, or nobody knows when
        (supply("4", on_order="4", expected=date(2030, 1, 8)), VISIT_DAY, AT_RISK),
        (supply("4", on_order="4", expected=None), VISIT_DAY, AT_RISK),
    ],
)
def test_line_readiness(line: LineSupply, visit_day: date | None, status: str) -> None:
    assert line_readiness(line, visit_day) == status


def test_the_job_is_its_worst_line() -> None:
    assert worst([READY, ON_ORDER, READY]) == ON_ORDER
    assert worst([ON_ORDER, AT_RISK, READY]) == AT_RISK
    assert worst([AT_RISK, SHORT, ON_ORDER]) == SHORT
    # a job without stocked material lines waits for nothing
    assert worst([]) == READY


def test_money_rounds_half_up_to_cents() -> None:
    assert money(D("6.435")) == D("6.44")
    assert money(D("1.2375")) == D("1.24")
    assert money(D("2.004")) == D("2.00")
    assert line_total(D("1.333"), D("3.00")) == D("4.00")
    assert line_tax(D("78.00"), True, D("0.0825")) == D("6.44")
    assert line_tax(D("78.00"), False, D("0.0825")) == D("0.00")


def test_financial_summary_by_hand() -> None:
    # given a service, a stocked material partly issued, a non-stock material and a fee
    lines = [
        PricedLine("SERVICE", D("1"), D("189.00"), D("50.00"), False, D("0")),
        PricedLine("MATERIAL", D("2"), D("39.00"), D("12.50"), True, D("0.0825"), issued=D("3")),
        PricedLine("MATERIAL", D("1.5"), D("10.00"), D("4.00"), True, D("0.0825")),
        PricedLine("FEE", D("1"), D("25.00"), D("0"), False, D("0")),
    ]
    # and 2.5 h at 40.00 and 45 min at 36.00 of approved time, and 20.00 of bought goods
    labor = [LaborTime(D(9000), D("40.00")), LaborTime(D(2700), D("36.00"))]

    summary = financial_summary(lines, labor, D("20.00"))

    # then, by hand:
    # price 189 + 78 + 15 + 25 = 307.00; tax 6.435 -> 6.44 and 1.2375 -> 1.24 = 7.68
    # materials: 3 issued x 12.50 = 37.50, plus 1.5 planned x 4.00 = 6.00 -> 43.50
    #   (the service line's unit cost is not a cost: labor comes from time)
    # labor 100.00 + 27.00 = 127.00; cost 43.50 + 127.00 + 20.00 = 190.50
    # margin 307.00 - 190.50 = 116.50 = 37.947...% of the price
    assert summary == FinancialSummary(
        price=D("307.00"),
        tax=D("7.68"),
        total=D("314.68"),
        cost=D("190.50"),
        margin=D("116.50"),
        margin_percent=D("37.95"),
        materials_cost=D("43.50"),
        labor_cost=D("127.00"),
        purchase_orders_cost=D("20.00"),
    )


def test_a_job_that_sells_nothing_has_no_margin_percent() -> None:
    summary = financial_summary([], [LaborTime(D(3600), D("30.00"))], D("0"))
    assert summary.price == D("0.00")
    assert summary.margin == D("-30.00")
    assert summary.margin_percent is None
