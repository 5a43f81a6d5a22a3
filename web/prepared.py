"""Documents this process has answered before, executed again without Strawberry's pipeline.

For a small request, Strawberry's view and schema cost several times what graphql-core's
execution does: a request adapter, a sub-response, an execution context, an instance of every
schema extension with its hooks, and the keys of the parse and validation caches. Whether a
document is valid depends only on the document and the schema, so once the full pipeline has
parsed, validated (with the depth, alias and token limits) and begun executing a document, that
document is valid in this process for good. Sent again as a POSTed application/json body, it is
executed here with graphql-core directly: the same execution context class, the same operation
choice, errors logged and then masked as the MaskErrors extension does. web/graphql.py turns the
result into the response exactly as it does for the full pipeline.

Anything else takes the full pipeline: other methods and media types, batches, documents not
seen yet (or pushed out of the bounded table), subscriptions, and every request of a schema that
has an extension this module does not know how to stand in for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql import execute as graphql_execute
from strawberry import Schema
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.types import ExecutionResult

# Extensions whose work is done once a document has been parsed and validated (MaskErrors is
# applied here). Any other extension may act on every request, so its schema is not served here.
_STAND_INS = (
    ParserCache,
    ValidationCache,
    AddValidationRules,
    MaxTokensLimiter,
    DisableIntrospection,
    MaskErrors,
)
_EXECUTABLE = (OperationType.QUERY, OperationType.MUTATION)
_PAYLOAD_KEYS = frozenset({"query", "variables", "operationName", "extensions"})
# What Strawberry passes graphql-core (typed there as a plain bool function).
_IS_AWAITABLE: Any = optimized_is_awaitable


@dataclass(frozen=True)
class Operation:
    """A request for a known document, ready to execute."""

    document: DocumentNode
    variables: dict[str, Any] | None
    # As Strawberry passes it on: the one asked for, else the name of the first operation.
    operation_name: str | None
    extensions: dict[str, Any] | None


@dataclass(frozen=True)
class _Known:
    document: DocumentNode
    # Operation name -> type; None stands for "no name given": the first operation.
    operations: dict[str | None, tuple[OperationType, str | None]]


class PreparedDocuments:
    def __init__(self, schema: Schema, *, size: int = 512) -> None:
        self.schema = schema
        self.size = size
        self._known: dict[str, _Known] = {}
        extensions = schema.get_extensions()
        self.enabled = all(isinstance(extension, _STAND_INS) for extension in extensions)
        masks = [extension for extension in extensions if isinstance(extension, MaskErrors)]
        self._mask: MaskErrors | None = masks[0] if masks else None
        self.enabled = self.enabled and len(masks) <= 1
        self._executor: Any = schema.execution_context_class

    def remember(self, query: str) -> None:
        """The full pipeline validated `query` and began executing it."""
        if not self.enabled or query in self._known:
            return
        if len(self._known) >= self.size:
            # The oldest first: a deployment's documents are few, so this seldom happens.
            del self._known[next(iter(self._known))]
        document = parse(query)
        operations: dict[str | None, tuple[OperationType, str | None]] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                if not operations:
                    operations[None] = (definition.operation, name)
                if name is not None:
                    operations.setdefault(name, (definition.operation, name))
        self._known[query] = _Known(document, operations)

    def operation(self, payload: Any) -> Operation | None:
        """The request in a decoded JSON body if it is a known query or mutation, else None."""
        if not self.enabled or not isinstance(payload, dict) or not payload.keys() <= _PAYLOAD_KEYS:
            return None
        query = payload.get("query")
        known = self._known.get(query) if isinstance(query, str) else None
        if known is None:
            return None
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        extensions = payload.get("extensions")
        if (
            not isinstance(variables, dict | None)
            or not isinstance(operation_name, str | None)
            or not isinstance(extensions, dict | None)
        ):
            return None
        found = known.operations.get(operation_name)
        if found is None or found[0] not in _EXECUTABLE:
            return None
        return Operation(known.document, variables, found[1], extensions)

    async def execute(self, operation: Operation, context: Any) -> ExecutionResult:
        """What Strawberry's schema.execute returns for the operation, errors masked."""
        try:
            result = graphql_execute(
                self.schema._schema,
                operation.document,
                context_value=context,
                variable_values=operation.variables,
                operation_name=operation.operation_name,
                executor_class=self._executor,
                is_awaitable=_IS_AWAITABLE,
                operation_extensions=operation.extensions,
            )
            if isawaitable(result):
                result = await result
        except Exception as exc:  # Strawberry answers these as a request error, unmasked
            error = (
                exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            )
            self.schema._process_errors([error])
            return ExecutionResult(data=None, errors=[error])
        errors = result.errors
        if errors:
            # Logged as they are, then masked, in Strawberry's order.
            self.schema._process_errors(errors)
            if self._mask is not None:
                errors = [_masked(self._mask, error) for error in errors]
        return ExecutionResult(data=result.data, errors=errors)


def _masked(mask: MaskErrors, error: GraphQLError) -> GraphQLError:
    should_mask: Callable[[GraphQLError], bool] = mask.should_mask_error
    return mask.anonymise_error(error) if should_mask(error) else error
