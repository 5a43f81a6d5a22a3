"""Pages of a job's child rows (notes, messages, documents, ...) for many jobs in one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.session import RequestDB
from loaders.common import first_rows_by_key

# (parent id, rows to fetch, cursor id or None, newest first)
PageKey = tuple[int, int, int | None, bool]


def child_page_loader(
    db: RequestDB,
    company_id: int,
    table: Table,
    parent: ColumnElement[Any],
    order: ColumnElement[Any] | None = None,
) -> DataLoader[PageKey, list[Row[Any]]]:
    """Keyset pages by `order` (a unique integer column, the id by default); requests with the
    same page arguments share one windowed query."""
    key = table.c.id if order is None else order

    async def load(keys: list[PageKey]) -> Sequence[list[Row[Any]]]:
        groups: dict[tuple[int, int | None, bool], list[int]] = defaultdict(list)
        for parent_id, limit, cursor, newest_first in keys:
            groups[(limit, cursor, newest_first)].append(parent_id)
        pages: dict[PageKey, list[Row[Any]]] = {}
        for (limit, cursor, newest_first), parent_ids in groups.items():
            query = select(table).where(table.c.company_id == company_id)
            if cursor is not None:
                query = query.where(key < cursor if newest_first else key > cursor)
            direction = key.desc() if newest_first else key.asc()
            rows = await first_rows_by_key(db, query, parent, parent_ids, [direction], limit)
            for parent_id, page in zip(parent_ids, rows, strict=True):
                pages[(parent_id, limit, cursor, newest_first)] = page
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def child_count_loader(
    db: RequestDB, company_id: int, table: Table, parent: ColumnElement[Any]
) -> DataLoader[int, int]:
    async def load(keys: list[int]) -> Sequence[int]:
        rows = await db.all(
            select(parent.label("parent_id"), func.count().label("n"))
            .where(table.c.company_id == company_id, parent.in_(keys))
            .group_by(parent)
        )
        counts = {row.parent_id: row.n for row in rows}
        return [counts.get(k, 0) for k in keys]

    return DataLoader(load_fn=load)
