"""The execution context of the schema: graphql-core's, with a cheaper awaitable check.

graphql-core asks every resolved value, and every item of every list, whether it is awaitable
(`hasattr(value, "__await__")`). Our object types resolve from SQLAlchemy rows, and a Row
answers that question through `__getattr__`, which raises and chains a NoSuchColumnError before
the AttributeError hasattr wants: about 30 µs a row, a sixth of the time of a day board (100
visits, each with a job, customer, location and crew). Rows, the NodeRow wrapper and the plain
values fields return are never awaitable, so they are answered by their type first.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Row
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.common import NodeRow

NEVER_AWAITABLE: frozenset[type] = frozenset(
    {Row, NodeRow, SimpleNamespace, datetime, date, time, Decimal}
)


def is_awaitable(value: Any) -> bool:
    if type(value) in NEVER_AWAITABLE:
        return False
    return optimized_is_awaitable(value)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = is_awaitable  # type: ignore[method-assign, assignment]
