"""Batch functions shared by the loaders: rows by id, rows by a foreign key, pages by a parent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.engine import Row

from db.session import RequestDB

Restrict = Callable[[Select[Any]], Select[Any]]


def _no_restriction(query: Select[Any]) -> Select[Any]:
    return query


async def rows_by_id(
    db: RequestDB,
    company_id: int,
    table: Table,
    ids: Sequence[int],
    restrict: Restrict = _no_restriction,
) -> list[Row[Any] | None]:
    query = select(table).where(table.c.company_id == company_id, table.c.id.in_(ids))
    found = {row.id: row for row in await db.all(restrict(query))}
    return [found.get(i) for i in ids]


async def rows_by_key(
    db: RequestDB,
    company_id: int,
    query: Select[Any],
    key: ColumnElement[Any],
    keys: Sequence[int],
    company_column: ColumnElement[Any],
) -> list[list[Row[Any]]]:
    """Group the rows of `query` by `key` for each of `keys` (one statement for all keys)."""
    labelled = query.add_columns(key.label("_batch_key")).where(
        company_column == company_id, key.in_(keys)
    )
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in await db.all(labelled):
        grouped[row._batch_key].append(row)
    return [grouped.get(k, []) for k in keys]


async def first_rows_by_key(
    db: RequestDB,
    query: Select[Any],
    key: ColumnElement[Any],
    keys: Sequence[int],
    order_by: Sequence[ColumnElement[Any]],
    limit: int,
) -> list[list[Row[Any]]]:
    """The first `limit` rows per key in `order_by` order: one statement with a window function.

    `query` must already filter by company and by any cursor; `limit` may be one more than the page
    size so the caller can tell whether a next page exists.
    """
    ranked = (
        query.add_columns(
            key.label("_batch_key"),
            func.row_number().over(partition_by=key, order_by=order_by).label("_rank"),
        )
        .where(key.in_(keys))
        .subquery()
    )
    rows = await db.all(select(ranked).where(ranked.c._rank <= limit).order_by(ranked.c._rank))
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        grouped[row._batch_key].append(row)
    return [grouped.get(k, []) for k in keys]
