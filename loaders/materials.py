"""Loaders of the materials area: line items, stock, reservations, purchase orders, and the
rows behind a job's material readiness and financial summary, all batched by their key.

The batch functions at module level also serve the mutations that recompute a job's stored
readiness, so the tab and the stored value come from the same statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import Date, Select, Table, cast, func, select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.auth import Viewer
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
    technicians,
    time_entries,
    vendors,
    visits,
)
from db.session import RequestDB
from loaders.access import visible_jobs
from loaders.common import first_rows_by_key, rows_by_id, rows_by_key

RowOrNone = Row[Any] | None
# Purchase orders whose outstanding quantities are still coming.
OPEN_PO_STATUSES = ("ORDERED", "PARTIALLY_RECEIVED")
# Visits that are over and no longer something parts must arrive before.
FINAL_VISIT_STATUSES = ("COMPLETED", "CANCELLED")


def _line_stock_columns(company_id: int) -> list[Any]:
    """Per line (correlated): reserved incl. issued, issued, on order, latest expected date."""
    held = reservations.c.line_item_id == line_items.c.id
    open_order = (
        select(purchase_order_lines.c.line_item_id)
        .join(purchase_orders, purchase_orders.c.id == purchase_order_lines.c.purchase_order_id)
        .where(
            purchase_order_lines.c.line_item_id == line_items.c.id,
            purchase_order_lines.c.company_id == company_id,
            purchase_orders.c.status.in_(OPEN_PO_STATUSES),
            purchase_order_lines.c.quantity_ordered > purchase_order_lines.c.quantity_received,
        )
    )
    outstanding = purchase_order_lines.c.quantity_ordered - purchase_order_lines.c.quantity_received
    return [
        select(func.coalesce(func.sum(reservations.c.quantity), 0))
        .where(held, reservations.c.company_id == company_id, reservations.c.status == "RESERVED")
        .scalar_subquery()
        .label("reserved_total"),
        select(func.coalesce(func.sum(reservations.c.issued), 0))
        .where(held, reservations.c.company_id == company_id)
        .scalar_subquery()
        .label("issued_total"),
        open_order.with_only_columns(func.coalesce(func.sum(outstanding), 0))
        .scalar_subquery()
        .label("on_order"),
        open_order.with_only_columns(func.max(purchase_orders.c.expected_on))
        .scalar_subquery()
        .label("expected_on"),
    ]


async def lines_with_stock(
    db: RequestDB, company_id: int, job_ids: Sequence[int]
) -> list[list[Row[Any]]]:
    """Every line of each job, in order, with its reservation and purchase-order totals."""
    query = select(line_items, *_line_stock_columns(company_id)).order_by(
        line_items.c.position, line_items.c.id
    )
    return await rows_by_key(
        db, company_id, query, line_items.c.job_id, job_ids, line_items.c.company_id
    )


async def next_visits(db: RequestDB, company_id: int, job_ids: Sequence[int]) -> list[RowOrNone]:
    """Each job's earliest visit that is not over (id, start_at, local_date), or None."""
    query = (
        select(
            visits.c.id,
            visits.c.start_at,
            # The day in the company's time zone: parts expected "on the 7th" are there for a
            # visit on the 7th local time, whatever UTC says.
            cast(func.timezone(companies.c.timezone, visits.c.start_at), Date).label("local_date"),
        )
        .join(companies, companies.c.id == visits.c.company_id)
        .where(
            visits.c.company_id == company_id,
            visits.c.status.not_in(FINAL_VISIT_STATUSES),
        )
    )
    firsts = await first_rows_by_key(
        db, query, visits.c.job_id, job_ids, [visits.c.start_at, visits.c.id], 1
    )
    return [rows[0] if rows else None for rows in firsts]


class MaterialsLoaders:
    """Materials loaders (Loaders inherits them); every batch filters by the viewer's company."""

    db: RequestDB
    viewer: Viewer
    company_id: int

    def _materials_by_id(self, table: Table, restrict: Any = None) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            if restrict is None:
                return await rows_by_id(self.db, self.company_id, table, ids)
            return await rows_by_id(self.db, self.company_id, table, ids, restrict)

        return DataLoader(load_fn=load)

    def _visible_job_ids(self) -> Select[Any]:
        return visible_jobs(select(jobs.c.id), self.viewer)

    @cached_property
    def line_item_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(
            line_items, lambda q: q.where(line_items.c.job_id.in_(self._visible_job_ids()))
        )

    @cached_property
    def reservation_by_id(self) -> DataLoader[int, RowOrNone]:
        visible_lines = select(line_items.c.id).where(
            line_items.c.job_id.in_(self._visible_job_ids())
        )
        return self._materials_by_id(
            reservations, lambda q: q.where(reservations.c.line_item_id.in_(visible_lines))
        )

    @cached_property
    def inventory_item_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(inventory_items)

    @cached_property
    def stock_location_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(stock_locations)

    @cached_property
    def vendor_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(vendors)

    @cached_property
    def purchase_order_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(purchase_orders)

    @cached_property
    def purchase_order_line_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._materials_by_id(purchase_order_lines)

    def _materials_by_key(
        self, query: Select[Any], key: Any, company_column: Any
    ) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            return await rows_by_key(self.db, self.company_id, query, key, keys, company_column)

        return DataLoader(load_fn=load)

    @cached_property
    def line_items_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(line_items).order_by(line_items.c.position, line_items.c.id),
            line_items.c.job_id,
            line_items.c.company_id,
        )

    @cached_property
    def reservations_by_line_item_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(reservations).order_by(reservations.c.id),
            reservations.c.line_item_id,
            reservations.c.company_id,
        )

    @cached_property
    def stock_levels_by_location_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(stock_levels)
            .join(inventory_items, inventory_items.c.id == stock_levels.c.inventory_item_id)
            .order_by(inventory_items.c.sku),
            stock_levels.c.stock_location_id,
            stock_levels.c.company_id,
        )

    @cached_property
    def stock_levels_by_inventory_item_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(stock_levels)
            .join(stock_locations, stock_locations.c.id == stock_levels.c.stock_location_id)
            .order_by(stock_locations.c.name, stock_locations.c.id),
            stock_levels.c.inventory_item_id,
            stock_levels.c.company_id,
        )

    @cached_property
    def purchase_orders_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(purchase_orders).order_by(purchase_orders.c.number),
            purchase_orders.c.job_id,
            purchase_orders.c.company_id,
        )

    @cached_property
    def purchase_order_lines_by_order_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._materials_by_key(
            select(purchase_order_lines).order_by(purchase_order_lines.c.id),
            purchase_order_lines.c.purchase_order_id,
            purchase_order_lines.c.company_id,
        )

    @cached_property
    def lines_with_stock_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            return await lines_with_stock(self.db, self.company_id, keys)

        return DataLoader(load_fn=load)

    @cached_property
    def next_visit_by_job_id(self) -> DataLoader[int, RowOrNone]:
        async def load(keys: list[int]) -> Sequence[RowOrNone]:
            return await next_visits(self.db, self.company_id, keys)

        return DataLoader(load_fn=load)

    @cached_property
    def labor_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        """Approved paid time (travel and work, not breaks) per technician, with hourly cost."""
        seconds = func.sum(
            func.extract("epoch", time_entries.c.ended_at - time_entries.c.started_at)
        )
        query = (
            select(seconds.label("seconds"), technicians.c.hourly_cost)
            .join(technicians, technicians.c.id == time_entries.c.technician_id)
            .where(time_entries.c.approved_at.is_not(None), time_entries.c.kind != "BREAK")
            .group_by(time_entries.c.job_id, technicians.c.id, technicians.c.hourly_cost)
        )
        return self._materials_by_key(query, time_entries.c.job_id, time_entries.c.company_id)

    @cached_property
    def purchase_orders_cost_by_job_id(self) -> DataLoader[int, Any]:
        """Received purchase-order lines bought for the job and not tied to one of its lines."""

        async def load(keys: list[int]) -> Sequence[Any]:
            line_cost = func.round(
                purchase_order_lines.c.quantity_received * purchase_order_lines.c.unit_cost, 2
            )
            rows = await self.db.all(
                select(purchase_orders.c.job_id, func.sum(line_cost).label("cost"))
                .join(
                    purchase_order_lines,
                    purchase_order_lines.c.purchase_order_id == purchase_orders.c.id,
                )
                .where(
                    purchase_orders.c.company_id == self.company_id,
                    purchase_orders.c.job_id.in_(keys),
                    purchase_order_lines.c.line_item_id.is_(None),
                )
                .group_by(purchase_orders.c.job_id)
            )
            costs = {row.job_id: row.cost for row in rows}
            return [costs.get(k, 0) for k in keys]

        return DataLoader(load_fn=load)
