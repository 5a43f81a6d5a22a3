"""Cross-cutting GraphQL pieces: Node, global ids, connections, user errors, scalars."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON

from resolvers.common import PageArgs
from resolvers.errors import ErrorCode as _ErrorCode
from resolvers.errors import MutationError, Problem
from resolvers.ids import to_global_id

T = TypeVar("T")

# Registers the resolvers' enum with GraphQL (strawberry.enum returns the same class).
ErrorCode = strawberry.enum(_ErrorCode, description="Why a mutation refused its input.")


@strawberry.type(description="An expected failure of a mutation: nothing was changed.")
class UserError:
    code: _ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="What went wrong, in plain words.")
    field: list[str] | None = strawberry.field(
        description='Path of the input field at fault, e.g. ["input", "title"].'
    )


def user_errors(error: MutationError) -> list[UserError]:
    return [_user_error(p) for p in error.problems]


def _user_error(problem: Problem) -> UserError:
    return UserError(
        code=problem.code,  # type: ignore[arg-type]
        message=problem.message,
        field=list(problem.field) if problem.field else None,
    )


class NodeRow:
    """A database row tagged with its GraphQL type, for fields whose type is the Node interface."""

    __slots__ = ("row", "type_name")

    def __init__(self, type_name: str, row: Any) -> None:
        self.type_name = type_name
        self.row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


@strawberry.interface(description="An object with a global id, refetchable with `node(id:)`.")
class Node:
    @strawberry.field(description="Global id of this object.")
    def id(self) -> strawberry.ID:  # pragma: no cover - every type resolves its own
        raise NotImplementedError

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, abstract_type: Any) -> str:
        return obj.type_name  # type: ignore[no-any-return]


class RowType:
    """Base of the object types whose root is a database row rather than an instance."""

    TYPE_NAME: str = ""

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return True


def global_id(type_name: str, db_id: int) -> strawberry.ID:
    return strawberry.ID(to_global_id(type_name, db_id))


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a page with its cursor.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, with cursors to fetch the next or previous page.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (all pages).")
    async def total_count(self) -> int:
        return await self.count()


def is_set(value: Any) -> bool:
    """Whether an optional input field was sent at all (null is a value; absence is not)."""
    return value is not strawberry.UNSET


def page_args(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageArgs:
    return PageArgs(first=first, after=after, last=last, before=before)


def make_connection(
    rows: Sequence[Any],
    cursors: Sequence[str],
    has_next: bool,
    has_previous: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[Any]:
    return Connection(
        edges=[Edge(cursor=c, node=r) for c, r in zip(cursors, rows, strict=True)],
        nodes=list(rows),
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        count=count,
    )


__all__ = ["JSON", "Connection", "Edge", "ErrorCode", "Node", "PageInfo", "UserError"]


def payload_of(
    payload: Callable[..., Any], field: str
) -> tuple[Callable[[Any], Any], Callable[[list[UserError]], Any]]:
    """run_mutation's `ok` and `failed` for a payload of one result field and `errors`."""
    return (
        lambda result: payload(**{field: result, "errors": []}),
        lambda errors: payload(**{field: None, "errors": errors}),
    )


async def run_mutation(
    info: Any,
    work: Callable[[], Awaitable[T]],
    ok: Callable[[T], Any],
    failed: Callable[[list[UserError]], Any],
) -> Any:
    """Run one mutation in its own savepoint: all of it happens, or none and `errors` say why."""
    ctx = info.context
    async with ctx.db.savepoint() as savepoint:
        try:
            result = await work()
        except MutationError as error:
            savepoint.rollback()
            return failed(user_errors(error))
    return ok(result)
