"""Loaders of the workspace tabs: pages of notes, messages, documents..., dependencies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.auth import Viewer
from db.models import (
    documents,
    incidents,
    job_dependencies,
    jobs,
    messages,
    notes,
    quality_checks,
    signatures,
    time_entries,
)
from db.session import RequestDB
from loaders.access import visible_jobs
from loaders.common import rows_by_id, rows_by_key
from loaders.pages import PageKey, child_count_loader, child_page_loader

TAB_TABLES: dict[str, Table] = {
    "notes": notes,
    "messages": messages,
    "incidents": incidents,
    "time_entries": time_entries,
    "documents": documents,
    "signatures": signatures,
    "quality_checks": quality_checks,
}


class WorkspaceLoaders:
    db: RequestDB
    viewer: Viewer
    company_id: int

    def __init__(self) -> None:
        self._pages: dict[str, DataLoader[PageKey, list[Row[Any]]]] = {}
        self._counts: dict[str, DataLoader[int, int]] = {}
        self._rows: dict[str, DataLoader[int, Row[Any] | None]] = {}
        self._dependencies: dict[str, DataLoader[int, list[Row[Any]]]] = {}

    def tab_page(self, tab: str) -> DataLoader[PageKey, list[Row[Any]]]:
        if tab not in self._pages:
            table = TAB_TABLES[tab]
            self._pages[tab] = child_page_loader(self.db, self.company_id, table, table.c.job_id)
        return self._pages[tab]

    def tab_count(self, tab: str) -> DataLoader[int, int]:
        if tab not in self._counts:
            table = TAB_TABLES[tab]
            self._counts[tab] = child_count_loader(self.db, self.company_id, table, table.c.job_id)
        return self._counts[tab]

    def tab_row(self, tab: str) -> DataLoader[int, Row[Any] | None]:
        """Rows of a tab by id (for node(id:) and references such as a signature's image)."""
        if tab not in self._rows:
            table = TAB_TABLES[tab]

            async def load(ids: list[int]) -> Sequence[Row[Any] | None]:
                return await rows_by_id(self.db, self.company_id, table, ids)

            self._rows[tab] = DataLoader(load_fn=load)
        return self._rows[tab]

    def _dependency_loader(self, key: Any, other: Any) -> DataLoader[int, list[Row[Any]]]:
        async def load(keys: list[int]) -> Sequence[list[Row[Any]]]:
            query = visible_jobs(
                select(jobs).join(job_dependencies, other == jobs.c.id), self.viewer
            ).order_by(jobs.c.number)
            return await rows_by_key(
                self.db, self.company_id, query, key, keys, job_dependencies.c.company_id
            )

        return DataLoader(load_fn=load)

    @property
    def depends_on_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        """Jobs each job waits on."""
        if "depends_on" not in self._dependencies:
            self._dependencies["depends_on"] = self._dependency_loader(
                job_dependencies.c.job_id, job_dependencies.c.depends_on_job_id
            )
        return self._dependencies["depends_on"]

    @property
    def dependents_by_job_id(self) -> DataLoader[int, list[Row[Any]]]:
        """Jobs waiting on each job."""
        if "dependents" not in self._dependencies:
            self._dependencies["dependents"] = self._dependency_loader(
                job_dependencies.c.depends_on_job_id, job_dependencies.c.job_id
            )
        return self._dependencies["dependents"]
