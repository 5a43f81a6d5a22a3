"""Pages of a job's child rows (notes, messages, documents, ...) for many jobs in one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, Table, bindparam, func, select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from db.session import RequestDB
from loaders.common import first_rows, first_rows_statement

# (parent id, rows to fetch, cursor id or None, newest first)
PageKey = tuple[int, int, int | None, bool]

# Built once per table, column and direction (see loaders/common.py); values are bind parameters.
_PAGE_STATEMENTS: dict[tuple[str, str | None, str | None, bool, bool], Select[Any]] = {}
_COUNT_STATEMENTS: dict[tuple[str, str | None], Select[Any]] = {}


def _page_statement(
    table: Table,
    parent: ColumnElement[Any],
    key: ColumnElement[Any],
    after_cursor: bool,
    newest_first: bool,
) -> Select[Any]:
    shape = (table.name, parent.key, key.key, after_cursor, newest_first)
    statement = _PAGE_STATEMENTS.get(shape)
    if statement is None:
        query = select(table).where(table.c.company_id == bindparam("company_id"))
        if after_cursor:
            cursor: BindParameter[int] = bindparam("cursor")
            query = query.where(key < cursor if newest_first else key > cursor)
        direction = key.desc() if newest_first else key.asc()
        statement = _PAGE_STATEMENTS[shape] = first_rows_statement(query, parent, [direction])
    return statement


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
            statement = _page_statement(table, parent, key, cursor is not None, newest_first)
            params: dict[str, Any] = {"company_id": company_id}
            if cursor is not None:
                params["cursor"] = cursor
            rows = await first_rows(db, statement, parent_ids, limit, **params)
            for parent_id, page in zip(parent_ids, rows, strict=True):
                pages[(parent_id, limit, cursor, newest_first)] = page
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def child_count_loader(
    db: RequestDB, company_id: int, table: Table, parent: ColumnElement[Any]
) -> DataLoader[int, int]:
    shape = (table.name, parent.key)
    statement = _COUNT_STATEMENTS.get(shape)
    if statement is None:
        statement = _COUNT_STATEMENTS[shape] = (
            select(parent.label("parent_id"), func.count().label("n"))
            .where(
                table.c.company_id == bindparam("company_id"),
                parent.in_(bindparam("parent_ids", expanding=True)),
            )
            .group_by(parent)
        )

    async def load(keys: list[int]) -> Sequence[int]:
        rows = await db.all(statement, {"company_id": company_id, "parent_ids": keys})
        counts = {row.parent_id: row.n for row in rows}
        return [counts.get(k, 0) for k in keys]

    return DataLoader(load_fn=load)
