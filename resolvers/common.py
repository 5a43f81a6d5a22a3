"""Helpers every area's resolvers share: ids, roles, input checks, keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import GraphQLError
from sqlalchemy import ColumnElement, DateTime, Select, Table, func, select, tuple_
from sqlalchemy.engine import Row

from db.auth import Viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.ids import from_global_id

OFFICE_ROLES = ("admin", "dispatcher", "office")
DEFAULT_PAGE_SIZE = 20


def query_error(code: ErrorCode, message: str, field: str | None = None) -> GraphQLError:
    """An error for a query field (queries have no payload), with code and field in extensions."""
    extensions: dict[str, Any] = {"code": code.value}
    if field:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def require_viewer(ctx: Context) -> Viewer:
    if ctx.viewer is None:
        raise query_error(
            ErrorCode.UNAUTHENTICATED, "Sign in first: send an `Authorization: Bearer` token."
        )
    return ctx.viewer


def require_role(ctx: Context, *roles: str) -> Viewer:
    """The viewer, when their role is one of `roles`; a payload FORBIDDEN error otherwise."""
    viewer = require_viewer(ctx)
    if viewer.role not in roles:
        raise fail(
            ErrorCode.FORBIDDEN,
            f"Your role ({viewer.role}) may not do this; it needs one of: {', '.join(roles)}.",
        )
    return viewer


def parse_id(value: str | None, expected: str | tuple[str, ...], *field: str) -> int:
    """Database id of a global id of the expected type; a payload VALIDATION error otherwise."""
    expected_types = (expected,) if isinstance(expected, str) else expected
    parsed = from_global_id(value) if value is not None else None
    if parsed is None or parsed[0] not in expected_types:
        raise fail(
            ErrorCode.VALIDATION,
            f"Not a valid {' or '.join(expected_types)} id: {value!r}.",
            *field,
        )
    return parsed[1]


async def id_in_company(
    ctx: Context, table: Table, gid: str, type_name: str, missing: str, *field: str
) -> int:
    """The row id behind a global id, if the row is in the viewer's company; NOT_FOUND
    (`missing`, on `field`) otherwise, the same for another company's row as for none."""
    viewer = require_viewer(ctx)
    row_id = parse_id(gid, type_name, *field)
    found = await ctx.db.scalar(
        select(table.c.id).where(table.c.id == row_id, table.c.company_id == viewer.company_id)
    )
    if found is None:
        raise fail(ErrorCode.NOT_FOUND, missing, *field)
    return row_id


def parse_query_id(value: str, expected: str, field: str) -> int | None:
    """Like parse_id for query arguments: a foreign or malformed id finds nothing."""
    parsed = from_global_id(value)
    if parsed is None or parsed[0] != expected:
        return None
    return parsed[1]


def clean_text(
    value: str | None, *field: str, required: bool = False, max_length: int = 10_000
) -> str | None:
    if value is None:
        if required:
            raise fail(ErrorCode.VALIDATION, "This field is required.", *field)
        return None
    value = value.strip()
    if required and not value:
        raise fail(ErrorCode.VALIDATION, "This field must not be empty.", *field)
    if len(value) > max_length:
        raise fail(ErrorCode.VALIDATION, f"At most {max_length} characters.", *field)
    return value


def check_lat_lng(lat: float | None, lng: float | None, *field: str) -> None:
    if (lat is None) != (lng is None):
        raise fail(ErrorCode.VALIDATION, "Give both latitude and longitude, or neither.", *field)
    if lat is not None and not -90 <= lat <= 90:
        raise fail(ErrorCode.VALIDATION, "Latitude must be between -90 and 90.", *field, "lat")
    if lng is not None and not -180 <= lng <= 180:
        raise fail(ErrorCode.VALIDATION, "Longitude must be between -180 and 180.", *field, "lng")


# --- keyset pagination -------------------------------------------------------------------


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def check_page_args(args: PageArgs, max_page_size: int) -> None:
    if args.first is not None and args.last is not None:
        raise query_error(ErrorCode.VALIDATION, "Pass `first` or `last`, not both.", "first")
    for name in ("first", "last"):
        size = getattr(args, name)
        if size is not None and (size < 0 or size > max_page_size):
            raise query_error(
                ErrorCode.VALIDATION,
                f"`{name}` must be between 0 and {max_page_size}, got {size}.",
                name,
            )


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, columns: Sequence[ColumnElement[Any]], field: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        return [
            datetime.fromisoformat(v) if isinstance(c.type, DateTime) else _check_scalar(v)
            for v, c in zip(values, columns, strict=True)
        ]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise query_error(ErrorCode.VALIDATION, f"Not a valid cursor: {cursor!r}.", field) from exc


def decode_int_cursor(cursor: str, field: str) -> int:
    """The single integer a cursor over an id or sequence holds."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not (isinstance(values, list) and len(values) == 1 and type(values[0]) is int):
            raise ValueError
        return int(values[0])
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise query_error(ErrorCode.VALIDATION, f"Not a valid cursor: {cursor!r}.", field) from exc


def _check_scalar(value: Any) -> Any:
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise ValueError
    return value


@dataclass
class Page:
    rows: list[Row[Any]]
    cursors: list[str]
    has_next: bool
    has_previous: bool


async def keyset_page(
    ctx: Context,
    query: Select[Any],
    sort: Sequence[ColumnElement[Any]],
    descending: bool,
    args: PageArgs,
) -> Page:
    """One page of `query` ordered by `sort` (ending in a unique column), by cursor, not offset."""
    check_page_args(args, ctx.max_page_size)
    key = tuple_(*sort)
    if args.after is not None:
        after = tuple_(*decode_cursor(args.after, sort, "after"))
        query = query.where(key < after if descending else key > after)
    if args.before is not None:
        before = tuple_(*decode_cursor(args.before, sort, "before"))
        query = query.where(key > before if descending else key < before)
    backwards = args.last is not None
    size = args.last if backwards else (args.first if args.first is not None else DEFAULT_PAGE_SIZE)
    assert size is not None
    reverse = descending != backwards
    order = [c.desc() if reverse else c.asc() for c in sort]
    rows = list(await ctx.db.all(query.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    names = [str(c.key) for c in sort]
    cursors = [encode_cursor([getattr(r, n) for n in names]) for r in rows]
    return Page(
        rows=rows,
        cursors=cursors,
        has_next=more if not backwards else args.before is not None,
        has_previous=more if backwards else args.after is not None,
    )


async def count_rows(ctx: Context, query: Select[Any]) -> int:
    return int(
        await ctx.db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    )
