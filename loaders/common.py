"""Batch functions shared by the loaders: rows by id, rows by a foreign key, pages by a parent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select
from sqlalchemy.engine import Row

from db.session import RequestDB

Restrict = Callable[[Select[Any]], Select[Any]]

# Statements that do not depend on the request, built once: building a select (above all the
# columns of a subquery) costs more CPU than PostgreSQL takes to run it, and a statement object
# used again also keeps its SQLAlchemy cache key. Their values are bind parameters.
_ROWS_BY_ID: dict[str, Select[Any]] = {}


def _no_restriction(query: Select[Any]) -> Select[Any]:
    return query


async def rows_by_id(
    db: RequestDB,
    company_id: int,
    table: Table,
    ids: Sequence[int],
    restrict: Restrict = _no_restriction,
) -> list[Row[Any] | None]:
    if restrict is _no_restriction:
        statement = _ROWS_BY_ID.get(table.name)
        if statement is None:
            statement = _ROWS_BY_ID[table.name] = select(table).where(
                table.c.company_id == bindparam("company_id"),
                table.c.id.in_(bindparam("ids", expanding=True)),
            )
        rows = await db.all(statement, {"company_id": company_id, "ids": list(ids)})
    else:
        query = select(table).where(table.c.company_id == company_id, table.c.id.in_(ids))
        rows = await db.all(restrict(query))
    found = {row.id: row for row in rows}
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


def first_rows_statement(
    query: Select[Any], key: ColumnElement[Any], order_by: Sequence[ColumnElement[Any]]
) -> Select[Any]:
    """The rows of `query` ranked per `key` in `order_by` order, keeping the first ones: one
    statement with a window function, for the keys in bind parameter `_batch_keys` and as many
    rows per key as `_batch_limit`.

    `query` must already filter by company and by any cursor.
    """
    ranked = (
        query.add_columns(
            key.label("_batch_key"),
            func.row_number().over(partition_by=key, order_by=order_by).label("_rank"),
        )
        .where(key.in_(bindparam("_batch_keys", expanding=True)))
        .subquery()
    )
    return (
        select(ranked).where(ranked.c._rank <= bindparam("_batch_limit")).order_by(ranked.c._rank)
    )


async def first_rows(
    db: RequestDB, statement: Select[Any], keys: Sequence[int], limit: int, **params: Any
) -> list[list[Row[Any]]]:
    """Run a `first_rows_statement` for `keys`, `limit` rows each; `params` are its others."""
    rows = await db.all(statement, {"_batch_keys": list(keys), "_batch_limit": limit, **params})
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
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
    """The first `limit` rows per key in `order_by` order (see `first_rows_statement`); `limit`
    may be one more than the page size so the caller can tell whether a next page exists."""
    return await first_rows(db, first_rows_statement(query, key, order_by), keys, limit)
