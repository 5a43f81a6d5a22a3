"""The per-request set of DataLoaders, created lazily so a request pays only for what it uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.auth import Viewer
from db.models import (
    assets,
    companies,
    contacts,
    crew_members,
    crews,
    customers,
    job_assets,
    job_events,
    jobs,
    locations,
    technicians,
    users,
    visit_technicians,
    visits,
)
from db.session import RequestDB
from loaders.access import visible_jobs, visible_visits
from loaders.common import rows_by_id, rows_by_key
from loaders.materials import MaterialsLoaders
from loaders.pages import PageKey, child_count_loader, child_page_loader
from loaders.workspace import WorkspaceLoaders

RowOrNone = Row[Any] | None


class Loaders(WorkspaceLoaders, MaterialsLoaders):
    def __init__(self, db: RequestDB, viewer: Viewer) -> None:
        self.db = db
        self.viewer = viewer
        self.company_id = viewer.company_id
        WorkspaceLoaders.__init__(self)

    def _by_id(self, table: Table) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            return await rows_by_id(self.db, self.company_id, table, ids)

        return DataLoader(load_fn=load)

    @cached_property
    def company_by_id(self) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            rows = await self.db.all(
                select(companies).where(companies.c.id.in_(ids), companies.c.id == self.company_id)
            )
            found = {r.id: r for r in rows}
            return [found.get(i) for i in ids]

        return DataLoader(load_fn=load)

    @cached_property
    def user_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(users)

    @cached_property
    def technician_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(technicians)

    @cached_property
    def crew_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(crews)

    @cached_property
    def customer_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(customers)

    @cached_property
    def location_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(locations)

    @cached_property
    def contact_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(contacts)

    @cached_property
    def asset_by_id(self) -> DataLoader[int, RowOrNone]:
        return self._by_id(assets)

    @cached_property
    def job_by_id(self) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            return await rows_by_id(
                self.db, self.company_id, jobs, ids, lambda q: visible_jobs(q, self.viewer)
            )

        return DataLoader(load_fn=load)

    @cached_property
    def job_event_by_id(self) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            return await rows_by_id(
                self.db,
                self.company_id,
                job_events,
                ids,
                lambda q: q.where(
                    job_events.c.job_id.in_(visible_jobs(select(jobs.c.id), self.viewer))
                ),
            )

        return DataLoader(load_fn=load)

    @cached_property
    def visit_by_id(self) -> DataLoader[int, RowOrNone]:
        async def load(ids: list[int]) -> Sequence[RowOrNone]:
            return await rows_by_id(
                self.db, self.company_id, visits, ids, lambda q: visible_visits(q, self.viewer)
            )

        return DataLoader(load_fn=load)

    def _by_key(self, table: Table, key: Any, order_by: Any) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = select(table).order_by(*order_by)
            return await rows_by_key(self.db, self.company_id, query, key, keys, table.c.company_id)

        return DataLoader(load_fn=load)

    @cached_property
    def locations_by_customer_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._by_key(locations, locations.c.customer_id, [locations.c.id])

    @cached_property
    def contacts_by_customer_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._by_key(contacts, contacts.c.customer_id, [contacts.c.id])

    @cached_property
    def assets_by_location_id(self) -> DataLoader[int, list[Row[Any]]]:
        return self._by_key(assets, assets.c.location_id, [assets.c.id])

    @cached_property
    def assets_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = (
                select(assets)
                .join(job_assets, job_assets.c.asset_id == assets.c.id)
                .order_by(assets.c.id)
            )
            return await rows_by_key(
                self.db, self.company_id, query, job_assets.c.job_id, keys, assets.c.company_id
            )

        return DataLoader(load_fn=load)

    @cached_property
    def technicians_by_crew_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = (
                select(technicians)
                .join(crew_members, crew_members.c.technician_id == technicians.c.id)
                .order_by(technicians.c.name, technicians.c.id)
            )
            return await rows_by_key(
                self.db,
                self.company_id,
                query,
                crew_members.c.crew_id,
                keys,
                technicians.c.company_id,
            )

        return DataLoader(load_fn=load)

    @cached_property
    def crews_by_technician_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = (
                select(crews)
                .join(crew_members, crew_members.c.crew_id == crews.c.id)
                .order_by(crews.c.name, crews.c.id)
            )
            return await rows_by_key(
                self.db,
                self.company_id,
                query,
                crew_members.c.technician_id,
                keys,
                crews.c.company_id,
            )

        return DataLoader(load_fn=load)

    @cached_property
    def technician_by_user_id(self) -> DataLoader[int, RowOrNone]:
        async def load(keys: list[int]) -> Sequence[RowOrNone]:
            grouped = await rows_by_key(
                self.db,
                self.company_id,
                select(technicians),
                technicians.c.user_id,
                keys,
                technicians.c.company_id,
            )
            return [rows[0] if rows else None for rows in grouped]

        return DataLoader(load_fn=load)

    @cached_property
    def visits_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = visible_visits(select(visits), self.viewer).order_by(
                visits.c.start_at, visits.c.id
            )
            return await rows_by_key(
                self.db, self.company_id, query, visits.c.job_id, keys, visits.c.company_id
            )

        return DataLoader(load_fn=load)

    @cached_property
    def technicians_by_visit_id(self) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = (
                select(technicians)
                .join(visit_technicians, visit_technicians.c.technician_id == technicians.c.id)
                .order_by(technicians.c.name, technicians.c.id)
            )
            return await rows_by_key(
                self.db,
                self.company_id,
                query,
                visit_technicians.c.visit_id,
                keys,
                technicians.c.company_id,
            )

        return DataLoader(load_fn=load)

    @cached_property
    def timeline_page(self) -> DataLoader[PageKey, list[Row[Any]]]:
        """Pages of job events by their per-job sequence."""
        return child_page_loader(
            self.db, self.company_id, job_events, job_events.c.job_id, job_events.c.seq
        )

    @cached_property
    def timeline_count(self) -> DataLoader[int, int]:
        return child_count_loader(self.db, self.company_id, job_events, job_events.c.job_id)

    @cached_property
    def status_history_by_visit_id(self) -> DataLoader[int, list[Row[Any]]]:
        """(status, at) entries of each visit, from its events, oldest first."""

        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = (
                select(
                    job_events.c.payload["to"].astext.label("status"),
                    job_events.c.created_at.label("at"),
                )
                .where(func.jsonb_typeof(job_events.c.payload["to"]) == "string")
                .order_by(job_events.c.job_id, job_events.c.seq)
            )
            return await rows_by_key(
                self.db,
                self.company_id,
                query,
                job_events.c.visit_id,
                keys,
                job_events.c.company_id,
            )

        return DataLoader(load_fn=load)

    @cached_property
    def technician_ids_by_visit_id(self) -> DataLoader[int, list[int]]:
        async def load(keys: list[int]) -> Sequence[list[int]]:
            rows = await self.db.all(
                select(visit_technicians.c.visit_id, visit_technicians.c.technician_id).where(
                    visit_technicians.c.company_id == self.company_id,
                    visit_technicians.c.visit_id.in_(keys),
                )
            )
            grouped: dict[int, list[int]] = defaultdict(list)
            for row in rows:
                grouped[row.visit_id].append(row.technician_id)
            return [grouped.get(k, []) for k in keys]

        return DataLoader(load_fn=load)
