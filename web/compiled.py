"""Hot documents compiled to one SQL statement, with the JSON response built by PostgreSQL.

The day board and the jobs list resolve thousands of fields per request; through the resolvers
each field costs Python work in graphql-core and strawberry (measured in bench/, README
"Performance"). PostGraphile's answer is to turn the whole query into one SQL statement, and so
does this module, for the documents it can:

- the operation is a query whose one root field is `dispatchBoard(date:)` or
  `jobs(first:)` (no filter, cursor or ordering other than the default), and every field below it
  is a plain field or a relation listed in TYPES (no arguments, no directives); fragments,
  inline fragments on the same type, aliases and `__typename` are fine;
- the viewer is office staff (a technician's visibility rules stay in the resolvers);
- the document already ran once through the resolvers without any error in this process, so
  validation, depth, alias and token limits have passed (they depend on the document alone);
- the request is a JSON POST whose variables coerce cleanly; anything else (a bad date, a page
  size out of range) goes through the resolvers, which report the error as they always do.

Everything else is answered by the resolvers. The statement runs in the request's transaction on
its connection, so row-level security and the company filter apply as to every other statement;
each object carries its company filter as the loaders do. tests/test_bench_equivalence.py holds
the compiled answers to the resolvers' byte for byte (after JSON decoding) on the same data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    parse,
)
from sqlalchemy import text

from resolvers.common import DEFAULT_PAGE_SIZE
from resolvers.context import Context
from resolvers.dispatch_board import company_zone, day_bounds

log = logging.getLogger("opus.compiled")


class NotCompilable(Exception):
    """The document (or this request) is for the resolvers."""


# --- SQL for scalar fields, exactly as the resolvers and strawberry's scalars serialize them ------


def _gid(type_name: str) -> Callable[[str], str]:
    # resolvers/ids.py: base64 of "Type:id" (short enough never to wrap).
    return lambda a: f"encode(convert_to('{type_name}:' || {a}.id, 'UTF8'), 'base64')"


def iso(expr: str) -> str:
    """datetime.isoformat() of a timestamptz (asyncpg gives UTC): microseconds only when set."""
    return (
        f"(CASE WHEN {expr} IS NULL THEN NULL ELSE "
        f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN extract(microseconds FROM {expr})::bigint % 1000000 <> 0 "
        f"THEN to_char({expr} AT TIME ZONE 'UTC', '.US') ELSE '' END || '+00:00' END)"
    )


def _col(column: str) -> Callable[[str], str]:
    return lambda a: f"{a}.{column}"


def _ts(column: str) -> Callable[[str], str]:
    return lambda a: iso(f"{a}.{column}")


def _address(a: str) -> str:
    # schema/customers.py Location.address: street, city and "region postal" joined, blanks out.
    return (
        f"concat_ws(', ', nullif({a}.street, ''), nullif({a}.city, ''), "
        f"nullif(concat_ws(' ', nullif({a}.region, ''), nullif({a}.postal_code, '')), ''))"
    )


@dataclass(frozen=True)
class ToOne:
    type_name: str
    foreign_key: str


@dataclass(frozen=True)
class ToMany:
    """Rows of `type_name` linked by `join` and `where` (SQL with {a} the parent's alias and {t}
    the child's), in `order`."""

    type_name: str
    join: str
    where: str
    order: str


@dataclass(frozen=True)
class TypeSpec:
    table: str
    scalars: dict[str, Callable[[str], str]]
    relations: dict[str, ToOne | ToMany]


TYPES: dict[str, TypeSpec] = {
    "Job": TypeSpec(
        "jobs",
        {
            "id": _gid("Job"),
            "number": lambda a: f"'J-' || {a}.number",
            "title": _col("title"),
            "scope": _col("scope"),
            "priority": _col("priority"),
            "status": _col("status"),
            "holdReason": _col("hold_reason"),
            "cancelReason": _col("cancel_reason"),
            "source": _col("source"),
            "sourceReference": _col("source_reference"),
            "billingType": _col("billing_type"),
            "estimatedDurationMinutes": _col("estimated_duration_minutes"),
            "requiredSkills": _col("required_skills"),
            "tags": _col("tags"),
            "version": _col("version"),
            "createdAt": _ts("created_at"),
            "updatedAt": _ts("updated_at"),
            "readiness": _col("readiness"),
        },
        {
            # loaders/materials.py line_items_by_job_id: by position, then id.
            "lineItems": ToMany("LineItem", "", "{t}.job_id = {a}.id", "{t}.position, {t}.id"),
            "customer": ToOne("Customer", "customer_id"),
            "location": ToOne("Location", "location_id"),
            "contact": ToOne("Contact", "contact_id"),
        },
    ),
    "LineItem": TypeSpec(
        "line_items",
        {
            "id": _gid("LineItem"),
            "kind": _col("kind"),
            "description": _col("description"),
            # strawberry's Decimal is str(Decimal): numeric columns print the same digits.
            "quantity": lambda a: f"{a}.quantity::text",
            "unitPrice": lambda a: f"{a}.unit_price::text",
            "unitCost": lambda a: f"{a}.unit_cost::text",
            "taxable": _col("taxable"),
            "taxRate": lambda a: f"{a}.tax_rate::text",
            "position": _col("position"),
        },
        {},
    ),
    "Customer": TypeSpec(
        "customers",
        {
            "id": _gid("Customer"),
            "name": _col("name"),
            "email": _col("email"),
            "phone": _col("phone"),
            "notes": _col("notes"),
            "createdAt": _ts("created_at"),
            "updatedAt": _ts("updated_at"),
        },
        {},
    ),
    "Location": TypeSpec(
        "locations",
        {
            "id": _gid("Location"),
            "label": _col("label"),
            "street": _col("street"),
            "city": _col("city"),
            "region": _col("region"),
            "postalCode": _col("postal_code"),
            "country": _col("country"),
            "lat": _col("lat"),
            "lng": _col("lng"),
            "accessNotes": _col("access_notes"),
            "address": _address,
        },
        {"customer": ToOne("Customer", "customer_id")},
    ),
    "Contact": TypeSpec(
        "contacts",
        {
            "id": _gid("Contact"),
            "name": _col("name"),
            "email": _col("email"),
            "phone": _col("phone"),
            "role": _col("role"),
        },
        {},
    ),
    "Technician": TypeSpec(
        "technicians",
        {
            "id": _gid("Technician"),
            "name": _col("name"),
            "email": _col("email"),
            "phone": _col("phone"),
            "color": _col("color"),
            "active": _col("active"),
            # strawberry's Decimal is str(Decimal): numeric(10,2) prints the same digits.
            "hourlyCost": lambda a: f"{a}.hourly_cost::text",
        },
        {},
    ),
    "Visit": TypeSpec(
        "visits",
        {
            "id": _gid("Visit"),
            "status": _col("status"),
            "start": _ts("start_at"),
            "end": _ts("end_at"),
            "arrivalWindowStart": _ts("arrival_window_start"),
            "arrivalWindowEnd": _ts("arrival_window_end"),
            "statusChangedAt": _ts("status_changed_at"),
            "statusReason": _col("status_reason"),
            "version": _col("version"),
        },
        {
            "job": ToOne("Job", "job_id"),
            # loaders: technicians_by_visit_id, by name then id.
            "technicians": ToMany(
                "Technician",
                "JOIN visit_technicians {t}_vt ON {t}_vt.technician_id = {t}.id",
                "{t}_vt.visit_id = {a}.id",
                "{t}.name, {t}.id",
            ),
        },
    ),
}


# --- compiling selections -------------------------------------------------------------------------


class Compiler:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    def collect(
        self, selection_set: SelectionSetNode | None, type_name: str
    ) -> dict[str, list[FieldNode]]:
        """Response key -> the field nodes merged under it, in document order."""
        if selection_set is None:
            raise NotCompilable("object field without a selection")
        fields: dict[str, list[FieldNode]] = {}
        self._collect(selection_set, type_name, fields, set())
        return fields

    def _collect(
        self,
        selection_set: SelectionSetNode,
        type_name: str,
        fields: dict[str, list[FieldNode]],
        seen: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotCompilable("directives")
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != type_name:
                    raise NotCompilable("fragment on another type")
                self._collect(selection.selection_set, type_name, fields, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen:
                    continue
                seen.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or fragment.type_condition.name.value != type_name:
                    raise NotCompilable("fragment on another type")
                self._collect(fragment.selection_set, type_name, fields, seen)

    def fields(
        self, selection_set: SelectionSetNode | None, type_name: str
    ) -> Iterator[tuple[str, str, SelectionSetNode | None]]:
        """(response key, field name, merged sub-selection) of each selected field; fields
        with arguments are beyond the compiler."""
        for key, nodes in self.collect(selection_set, type_name).items():
            name = nodes[0].name.value
            if any(n.name.value != name or n.arguments for n in nodes):
                raise NotCompilable("arguments")
            yield key, name, self.merged(nodes)

    @staticmethod
    def merged(nodes: list[FieldNode]) -> SelectionSetNode | None:
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if not sets:
            return None
        return SelectionSetNode(selections=tuple(s for ss in sets for s in ss.selections))

    def obj(self, type_name: str, a: str, selection_set: SelectionSetNode | None) -> str:
        """json_build_object of the selected fields of the row aliased `a`."""
        spec = TYPES.get(type_name)
        if spec is None:
            raise NotCompilable(type_name)
        parts: list[str] = []
        for key, name, selection in self.fields(selection_set, type_name):
            parts.append(_literal(key))
            if name == "__typename":
                parts.append(_literal(type_name))
            elif name in spec.scalars:
                if selection is not None:
                    raise NotCompilable("selection on a scalar")
                parts.append(spec.scalars[name](a))
            elif name in spec.relations:
                parts.append(self.relation(spec.relations[name], a, selection))
            else:
                raise NotCompilable(f"{type_name}.{name}")
        if len(parts) > 100:
            raise NotCompilable("too many fields for json_build_object")
        return f"json_build_object({', '.join(parts)})"

    def relation(self, rel: ToOne | ToMany, a: str, selection_set: SelectionSetNode | None) -> str:
        t = self.alias()
        target = TYPES[rel.type_name]
        inner = self.obj(rel.type_name, t, selection_set)
        if isinstance(rel, ToOne):
            return (
                f"(SELECT {inner} FROM {target.table} {t} "
                f"WHERE {t}.id = {a}.{rel.foreign_key} AND {t}.company_id = :company)"
            )
        join = rel.join.format(a=a, t=t)
        where = rel.where.format(a=a, t=t)
        order = rel.order.format(t=t)
        return (
            f"coalesce((SELECT json_agg({inner} ORDER BY {order}) FROM {target.table} {t} "
            f"{join} WHERE {where} AND {t}.company_id = :company), '[]'::json)"
        )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- the root fields ------------------------------------------------------------------------------


@dataclass
class Plan:
    """A compiled document: its statement and how a request's variables become parameters."""

    sql: Any
    params: Callable[[Context, dict[str, Any]], Any]  # awaitable of the parameters
    root: str


def _argument(field: FieldNode, name: str) -> Any:
    """('literal', value) or ('variable', name) or None."""
    for arg in field.arguments or ():
        if arg.name.value == name:
            value = arg.value
            if isinstance(value, VariableNode):
                return ("variable", value.name.value)
            if isinstance(value, (StringValueNode, IntValueNode)):
                return ("literal", value.value)
            raise NotCompilable("argument value")
    return None


def _variable_types(operation: OperationDefinitionNode) -> dict[str, tuple[str, bool]]:
    types = {}
    for definition in operation.variable_definitions or ():
        type_node = definition.type
        required = isinstance(type_node, NonNullTypeNode)
        inner = type_node.type if isinstance(type_node, NonNullTypeNode) else type_node
        if not isinstance(inner, NamedTypeNode) or definition.default_value is not None:
            raise NotCompilable("variable type")
        types[definition.variable.name.value] = (inner.name.value, required)
    return types


def _resolve(spec: Any, variables: dict[str, Any], types: dict[str, tuple[str, bool]]) -> Any:
    if spec is None:
        return None
    kind, value = spec
    if kind == "literal":
        return value
    if value not in types:
        raise NotCompilable("undefined variable")
    found = variables.get(value)
    if found is None and types[value][1]:
        raise NotCompilable("required variable missing")  # the resolvers report it
    return found


def _require_variable_type(
    argument: Any, types: dict[str, tuple[str, bool]], expected: str
) -> None:
    """An argument given as a variable must be declared of the type the compiled SQL casts to."""
    variable = argument is not None and argument[0] == "variable"
    if variable and types.get(argument[1], ("", False))[0] != expected:
        raise NotCompilable(f"{expected} variable type")


def _compile_board(
    compiler: Compiler, field: FieldNode, types: dict[str, tuple[str, bool]]
) -> Plan:
    if {a.name.value for a in field.arguments or ()} != {"date"}:
        raise NotCompilable("dispatchBoard arguments")
    date_arg = _argument(field, "date")
    _require_variable_type(date_arg, types, "Date")
    parts: list[str] = []
    for key, name, selection in compiler.fields(field.selection_set, "DispatchBoard"):
        parts.append(_literal(key))
        if name == "__typename":
            parts.append("'DispatchBoard'")
        elif name == "date":
            parts.append("CAST(:day_text AS text)")
        elif name == "unassigned":
            # Office viewers only (see `compile_request`), who see the unassigned visits.
            card = compiler.obj("Visit", "u", selection)
            parts.append(
                f"coalesce((SELECT json_agg({card} ORDER BY u.start_at, u.id) FROM day u "
                "WHERE NOT EXISTS (SELECT 1 FROM crew WHERE crew.visit_id = u.id)), '[]'::json)"
            )
        elif name == "lanes":
            parts.append(_lanes(compiler, selection))
        else:
            raise NotCompilable(f"DispatchBoard.{name}")
    key = (field.alias or field.name).value
    sql = f"""
WITH day AS (
  SELECT v.* FROM visits v
  WHERE v.company_id = :company AND v.start_at >= :lo AND v.start_at < :hi
    AND v.status <> 'CANCELLED'
), crew AS (
  SELECT vt.visit_id, vt.technician_id FROM visit_technicians vt
  WHERE vt.company_id = :company AND vt.visit_id IN (SELECT id FROM day)
)
SELECT json_build_object('data', json_build_object({_literal(key)},
  json_build_object({", ".join(parts)})))::text
"""

    async def params(ctx: Context, variables: dict[str, Any]) -> dict[str, Any]:
        raw = _resolve(date_arg, variables, types)
        if not isinstance(raw, str):
            raise NotCompilable("date value")
        try:
            day = date.fromisoformat(raw)
        except ValueError as exc:
            raise NotCompilable("date value") from exc
        if day.isoformat() != raw:
            raise NotCompilable("date spelling")  # let the scalar decide what it accepts
        zone = await company_zone(ctx)
        if not 1900 <= day.year <= 9000:
            raise NotCompilable("date range")  # the resolver explains the refusal
        lo, hi = day_bounds(day, zone)
        return {"company": ctx.viewer.company_id, "lo": lo, "hi": hi, "day_text": day.isoformat()}  # type: ignore[union-attr]

    return Plan(text(sql), params, "dispatchBoard")


def _lanes(compiler: Compiler, selection_set: SelectionSetNode | None) -> str:
    parts: list[str] = []
    for key, name, selection in compiler.fields(selection_set, "BoardLane"):
        parts.append(_literal(key))
        if name == "__typename":
            parts.append("'BoardLane'")
        elif name == "technician":
            parts.append(compiler.obj("Technician", "lt", selection))
        elif name == "visits":
            card = compiler.obj("Visit", "lv", selection)
            parts.append(
                f"coalesce((SELECT json_agg({card} ORDER BY lv.start_at, lv.id) FROM day lv "
                "WHERE lv.id IN (SELECT visit_id FROM crew WHERE crew.technician_id = lt.id)), "
                "'[]'::json)"
            )
        else:
            raise NotCompilable(f"BoardLane.{name}")
    # resolvers/dispatch_board.py: active technicians, and inactive ones with visits that day.
    return (
        f"coalesce((SELECT json_agg(json_build_object({', '.join(parts)}) ORDER BY lt.name, lt.id) "
        "FROM technicians lt WHERE lt.company_id = :company "
        "AND (lt.active OR lt.id IN (SELECT technician_id FROM crew))), '[]'::json)"
    )


def _cursor(a: str) -> str:
    # resolvers/common.py encode_cursor([created_at, id]): urlsafe base64 of compact JSON.
    raw = f"""'["' || {iso(f"{a}.created_at")} || '",' || {a}.id || ']'"""
    return (
        f"translate(replace(encode(convert_to({raw}, 'UTF8'), 'base64'), E'\\n', ''), '+/', '-_')"
    )


def _compile_jobs(
    compiler: Compiler, field: FieldNode, types: dict[str, tuple[str, bool]], max_page_size: int
) -> Plan:
    if {a.name.value for a in field.arguments or ()} - {"first"}:
        raise NotCompilable("jobs arguments")
    first_arg = _argument(field, "first")
    _require_variable_type(first_arg, types, "Int")
    parts: list[str] = []
    for key, name, selection in compiler.fields(field.selection_set, "JobConnection"):
        parts.append(_literal(key))
        if name == "__typename":
            parts.append("'JobConnection'")
        elif name == "nodes":
            node = compiler.obj("Job", "n", selection)
            parts.append(
                f"coalesce((SELECT json_agg({node} ORDER BY n.created_at DESC, n.id DESC) "
                "FROM shown n), '[]'::json)"
            )
        elif name == "edges":
            parts.append(_edges(compiler, selection))
        elif name == "pageInfo":
            parts.append(_page_info(compiler, selection))
        elif name == "totalCount":
            parts.append("(SELECT count(*) FROM jobs c WHERE c.company_id = :company)")
        else:
            raise NotCompilable(f"JobConnection.{name}")
    key = (field.alias or field.name).value
    sql = f"""
WITH page AS (
  SELECT j.* FROM jobs j WHERE j.company_id = :company
  ORDER BY j.created_at DESC, j.id DESC LIMIT :first + 1
), shown AS (
  SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT :first
)
SELECT json_build_object('data', json_build_object({_literal(key)},
  json_build_object({", ".join(parts)})))::text
"""

    async def params(ctx: Context, variables: dict[str, Any]) -> dict[str, Any]:
        raw = _resolve(first_arg, variables, types)
        if raw is None:
            first = DEFAULT_PAGE_SIZE
        elif isinstance(raw, str) and first_arg[0] == "literal":
            first = int(raw)
        elif type(raw) is int:
            first = raw
        else:
            raise NotCompilable("first value")
        if not 0 <= first <= max_page_size or first > 2**31 - 1:
            raise NotCompilable("first out of range")
        return {"company": ctx.viewer.company_id, "first": first}  # type: ignore[union-attr]

    return Plan(text(sql), params, "jobs")


def _edges(compiler: Compiler, selection_set: SelectionSetNode | None) -> str:
    parts: list[str] = []
    for key, name, selection in compiler.fields(selection_set, "JobEdge"):
        parts.append(_literal(key))
        if name == "__typename":
            parts.append("'JobEdge'")
        elif name == "cursor":
            parts.append(_cursor("e"))
        elif name == "node":
            parts.append(compiler.obj("Job", "e", selection))
        else:
            raise NotCompilable(f"JobEdge.{name}")
    return (
        f"coalesce((SELECT json_agg(json_build_object({', '.join(parts)}) "
        "ORDER BY e.created_at DESC, e.id DESC) FROM shown e), '[]'::json)"
    )


def _page_info(compiler: Compiler, selection_set: SelectionSetNode | None) -> str:
    parts: list[str] = []
    for key, nodes in compiler.collect(selection_set, "PageInfo").items():
        name = nodes[0].name.value
        if any(n.name.value != name or n.arguments or n.selection_set for n in nodes):
            raise NotCompilable("arguments")
        parts.append(_literal(key))
        if name == "__typename":
            parts.append("'PageInfo'")
        elif name == "hasNextPage":
            parts.append("(SELECT count(*) FROM page) > :first")
        elif name == "hasPreviousPage":
            parts.append("false")  # no `after`: this is the first page
        elif name == "startCursor":
            parts.append(
                f"(SELECT {_cursor('s')} FROM shown s"
                " ORDER BY s.created_at DESC, s.id DESC LIMIT 1)"
            )
        elif name == "endCursor":
            parts.append(
                f"(SELECT {_cursor('s')} FROM shown s ORDER BY s.created_at ASC, s.id ASC LIMIT 1)"
            )
        else:
            raise NotCompilable(f"PageInfo.{name}")
    return f"json_build_object({', '.join(parts)})"


def compile_document(document: DocumentNode, max_page_size: int) -> Plan:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise NotCompilable("one query operation")
    operation = operations[0]
    if operation.directives:
        raise NotCompilable("directives")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    compiler = Compiler(fragments)
    types = _variable_types(operation)
    roots = compiler.collect(operation.selection_set, "Query")
    if len(roots) != 1:
        raise NotCompilable("one root field")
    [nodes] = roots.values()
    if len(nodes) != 1:
        raise NotCompilable("root field repeated")
    field = nodes[0]
    if field.name.value == "dispatchBoard":
        return _compile_board(compiler, field, types)
    if field.name.value == "jobs":
        return _compile_jobs(compiler, field, types, max_page_size)
    raise NotCompilable(field.name.value)


# --- per process: which documents are compiled ----------------------------------------------------


class CompiledDocuments:
    """Plans by document text, for documents that ran once through the resolvers without error."""

    def __init__(self, max_page_size: int, *, size: int = 256) -> None:
        self.max_page_size = max_page_size
        self.size = size
        self._plans: dict[str, Plan | None] = {}
        self._proven: set[str] = set()

    def proven(self, query: str) -> None:
        """The resolvers answered this document without any error (so it is valid)."""
        if len(self._proven) < self.size:
            self._proven.add(query)

    def plan(self, query: str) -> Plan | None:
        if query not in self._proven:
            return None
        if query not in self._plans:
            if len(self._plans) >= self.size:
                return None
            try:
                self._plans[query] = compile_document(parse(query), self.max_page_size)
            except (NotCompilable, GraphQLError):
                self._plans[query] = None
            except Exception:  # a compiler bug must never fail a request: resolvers answer
                log.exception("could not compile a document; the resolvers answer it")
                self._plans[query] = None
        return self._plans[query]


async def execute(documents: CompiledDocuments, ctx: Context, payload: Any) -> bytes | None:
    """The response body for a request through its compiled plan, or None for the resolvers."""
    viewer = ctx.viewer
    if viewer is None or not viewer.is_office or not isinstance(payload, dict):
        return None
    query = payload.get("query")
    variables = payload.get("variables")
    if not isinstance(query, str) or set(payload) - {"query", "variables", "operationName"}:
        return None
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return None
    plan = documents.plan(query)
    if plan is None:
        return None
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return None
    try:
        params = await plan.params(ctx, variables)
    except NotCompilable:
        return None
    if operation_name is not None and not _names_operation(query, operation_name):
        return None
    body = await ctx.db.scalar(plan.sql, params)
    return body.encode() if isinstance(body, str) else None


def _names_operation(query: str, name: str) -> bool:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return operation.name is not None and operation.name.value == name


def decode_payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
