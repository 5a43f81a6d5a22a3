"""The one Schema: Query, Mutation and the request limits around them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import date
from typing import Any

import strawberry
from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers import crew as crew_resolvers
from resolvers import customers as customer_resolvers
from resolvers import dispatch as dispatch_resolvers
from resolvers import dispatch_board as board_resolvers
from resolvers import jobs as job_resolvers
from resolvers import live as live_resolvers
from resolvers import tenants as tenant_resolvers
from resolvers.common import query_error, require_viewer
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.ids import from_global_id
from schema.closeout import CloseoutMutation, Document, QualityCheck, Signature
from schema.common import (
    Connection,
    Node,
    NodeRow,
    is_set,
    make_connection,
    page_args,
    payload_of,
    run_mutation,
)
from schema.crew import (
    Crew,
    CrewCreateInput,
    CrewPayload,
    Technician,
    TechnicianCreateInput,
    TechnicianPayload,
    TechnicianUpdateInput,
)
from schema.customers import (
    Asset,
    AssetCreateInput,
    AssetPayload,
    Contact,
    ContactCreateInput,
    ContactPayload,
    Customer,
    CustomerCreateInput,
    CustomerPayload,
    CustomerUpdateInput,
    Location,
    LocationCreateInput,
    LocationPayload,
)
from schema.dispatch import (
    DispatchBoard,
    DispatchEvent,
    TechnicianRoute,
    Visit,
    VisitAssignInput,
    VisitCancelInput,
    VisitCreateInput,
    VisitPayload,
    VisitRescheduleInput,
    VisitTransitionInput,
    board_from,
    parse_stream_cursor,
    route_from,
)
from schema.enums import DispatchStatus as DispatchStatusEnum
from schema.execution import ExecutionContext
from schema.jobs import (
    Job,
    JobCancelInput,
    JobCreateInput,
    JobEvent,
    JobFilter,
    JobHoldInput,
    JobOrderBy,
    JobPayload,
    JobReleaseInput,
    JobUpdateInput,
)
from schema.materials import (
    InventoryItem,
    LineItem,
    MaterialsMutation,
    MaterialsQuery,
    PurchaseOrder,
    PurchaseOrderLine,
    Reservation,
    StockLocation,
    Vendor,
)
from schema.tenants import (
    Company,
    LoginInput,
    LoginPayload,
    LogoutPayload,
    User,
    UserCreateInput,
    UserPayload,
    Viewer,
)
from schema.workspace import Incident, Message, Note, TimeEntry, WorkspaceMutation

Info = strawberry.Info[Context, None]

NODE_LOADERS = {
    "Job": "job_by_id",
    "Customer": "customer_by_id",
    "Location": "location_by_id",
    "Contact": "contact_by_id",
    "Asset": "asset_by_id",
    "Technician": "technician_by_id",
    "Crew": "crew_by_id",
    "User": "user_by_id",
    "Company": "company_by_id",
    "Visit": "visit_by_id",
    "JobEvent": "job_event_by_id",
    "LineItem": "line_item_by_id",
    "InventoryItem": "inventory_item_by_id",
    "StockLocation": "stock_location_by_id",
    "Reservation": "reservation_by_id",
    "Vendor": "vendor_by_id",
    "PurchaseOrder": "purchase_order_by_id",
    "PurchaseOrderLine": "purchase_order_line_by_id",
}
# Types whose rows load through the workspace tab loaders (loaders/workspace.py).
NODE_TABS = {
    "Note": "notes",
    "Message": "messages",
    "Incident": "incidents",
    "TimeEntry": "time_entries",
    "Document": "documents",
    "Signature": "signatures",
    "QualityCheck": "quality_checks",
}
NODE_TYPES = (
    Job,
    Customer,
    Location,
    Contact,
    Asset,
    Technician,
    Crew,
    User,
    Company,
    Visit,
    JobEvent,
    Note,
    Message,
    Incident,
    TimeEntry,
    Document,
    Signature,
    QualityCheck,
    LineItem,
    InventoryItem,
    StockLocation,
    Reservation,
    Vendor,
    PurchaseOrder,
    PurchaseOrderLine,
)


async def _load_node(ctx: Context, global_id: str) -> NodeRow | None:
    parsed = from_global_id(global_id)
    if parsed is None:
        return None
    type_name, db_id = parsed
    loaders: Any = ctx.loaders
    if type_name in NODE_LOADERS:
        row = await getattr(loaders, NODE_LOADERS[type_name]).load(db_id)
    elif type_name in NODE_TABS:
        row = await loaders.tab_row(NODE_TABS[type_name]).load(db_id)
    else:
        return None
    return NodeRow(type_name, row) if row is not None else None


@strawberry.type
class CoreQuery:
    @strawberry.field(description="Any object by its global id; null when missing or not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        require_viewer(info.context)
        return await _load_node(info.context, id)  # type: ignore[return-value]

    @strawberry.field(
        description="Objects by global ids, in order; null where missing or not yours."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        require_viewer(info.context)
        if len(ids) > info.context.max_page_size:
            raise query_error(
                ErrorCode.VALIDATION, f"At most {info.context.max_page_size} ids at once.", "ids"
            )
        return list(await asyncio.gather(*(_load_node(info.context, i) for i in ids)))  # type: ignore[arg-type]

    @strawberry.field(description="The signed-in user, their role and company.")
    def viewer(self, info: Info) -> Viewer:
        viewer = require_viewer(info.context)
        return Viewer(user_id=viewer.user_id, company_id=viewer.company_id)

    @strawberry.field(description="Jobs the viewer may see, filtered, ordered and paged by cursor.")
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: JobFilter | None = None,
        order_by: JobOrderBy = JobOrderBy.CREATED_AT_DESC,
    ) -> Connection[Job]:
        flt = None
        if filter is not None:
            flt = job_resolvers.JobFilterArgs(
                status=[s.value for s in filter.status] if filter.status else None,
                priority=[p.value for p in filter.priority] if filter.priority else None,
                customer_id=filter.customer_id,
                technician_id=filter.technician_id,
                scheduled_from=filter.scheduled_from,
                scheduled_to=filter.scheduled_to,
                tags=filter.tags,
                search=filter.search,
                readiness=[r.value for r in filter.readiness] if filter.readiness else None,
            )
        page, total = await job_resolvers.list_jobs(
            info.context, flt, order_by.value, page_args(first, after, last, before)
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)

    @strawberry.field(description='A job by its number, e.g. "J-1042".')
    async def job_by_number(self, info: Info, number: str) -> Job | None:
        return await job_resolvers.job_by_number(info.context, number)  # type: ignore[return-value]

    @strawberry.field(description="Customers by name, paged by cursor.")
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
    ) -> Connection[Customer]:
        page, total = await customer_resolvers.list_customers(
            info.context, search, page_args(first, after, last, before)
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)

    @strawberry.field(description="Technicians by name, paged by cursor.")
    async def technicians(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        skill: str | None = None,
        active: bool | None = None,
    ) -> Connection[Technician]:
        page, total = await crew_resolvers.list_technicians(
            info.context, search, skill, active, page_args(first, after, last, before)
        )
        return make_connection(page.rows, page.cursors, page.has_next, page.has_previous, total)

    @strawberry.field(description="The day's visits per technician, unassigned ones apart.")
    async def dispatch_board(self, info: Info, date: date) -> DispatchBoard:
        return board_from(await board_resolvers.dispatch_board(info.context, date))

    @strawberry.field(description="A technician's stops for a day, in order, with ETAs.")
    async def technician_route(
        self, info: Info, technician_id: strawberry.ID, date: date
    ) -> TechnicianRoute | None:
        return route_from(await board_resolvers.technician_route(info.context, technician_id, date))

    @strawberry.field(description="All crews of the company.")
    async def crews(self, info: Info) -> list[Crew]:
        return await crew_resolvers.list_crews(info.context)  # type: ignore[return-value]


def _visit_payload(result: Any) -> VisitPayload:
    return VisitPayload(visit=result[0], event=result[1], errors=[])


def _visit_errors(errors: Any) -> VisitPayload:
    return VisitPayload(visit=None, event=None, errors=errors)


def _job_payload(row: Any) -> JobPayload:
    return JobPayload(job=row, errors=[])


def _job_errors(errors: Any) -> JobPayload:
    return JobPayload(job=None, errors=errors)


@strawberry.type
class CoreMutation:
    @strawberry.mutation(description="Create a job for a customer; it gets the next job number.")
    async def job_create(self, info: Info, input: JobCreateInput) -> JobPayload:
        return await run_mutation(
            info, lambda: job_resolvers.create_job(info.context, input), _job_payload, _job_errors
        )

    @strawberry.mutation(
        description="Edit a job. Refused with VERSION_CONFLICT if it changed since you read it."
    )
    async def job_update(self, info: Info, input: JobUpdateInput) -> JobPayload:
        return await run_mutation(
            info,
            lambda: job_resolvers.update_job(info.context, input, is_set),
            _job_payload,
            _job_errors,
        )

    @strawberry.mutation(description="Cancel a job and its unfinished visits.")
    async def job_cancel(self, info: Info, input: JobCancelInput) -> JobPayload:
        return await run_mutation(
            info,
            lambda: job_resolvers.cancel_job(
                info.context, input.id, input.reason, input.expected_version
            ),
            _job_payload,
            _job_errors,
        )

    @strawberry.mutation(description="Put a job on hold with a reason.")
    async def job_hold(self, info: Info, input: JobHoldInput) -> JobPayload:
        return await run_mutation(
            info,
            lambda: job_resolvers.hold_job(
                info.context, input.id, input.reason, input.expected_version
            ),
            _job_payload,
            _job_errors,
        )

    @strawberry.mutation(description="Take a job off hold.")
    async def job_release(self, info: Info, input: JobReleaseInput) -> JobPayload:
        return await run_mutation(
            info,
            lambda: job_resolvers.release_job(info.context, input.id, input.expected_version),
            _job_payload,
            _job_errors,
        )

    @strawberry.mutation(description="Schedule a visit; OVERLAP if a technician is already booked.")
    async def visit_create(self, info: Info, input: VisitCreateInput) -> VisitPayload:
        return await run_mutation(
            info,
            lambda: dispatch_resolvers.create_visit(info.context, input),
            _visit_payload,
            _visit_errors,
        )

    @strawberry.mutation(description="Move a visit that has not started to another time.")
    async def visit_reschedule(self, info: Info, input: VisitRescheduleInput) -> VisitPayload:
        return await run_mutation(
            info,
            lambda: dispatch_resolvers.reschedule_visit(info.context, input),
            _visit_payload,
            _visit_errors,
        )

    @strawberry.mutation(description="Replace the technicians of a visit.")
    async def visit_assign(self, info: Info, input: VisitAssignInput) -> VisitPayload:
        return await run_mutation(
            info,
            lambda: dispatch_resolvers.assign_visit(info.context, input),
            _visit_payload,
            _visit_errors,
        )

    @strawberry.mutation(description="Call off a visit (office only).")
    async def visit_cancel(self, info: Info, input: VisitCancelInput) -> VisitPayload:
        transition = VisitTransitionInput(
            visit_id=input.visit_id,
            to=DispatchStatusEnum.CANCELLED,
            reason=input.reason,
            expected_version=input.expected_version,
        )
        return await run_mutation(
            info,
            lambda: dispatch_resolvers.transition_visit(info.context, transition),
            _visit_payload,
            _visit_errors,
        )

    @strawberry.mutation(
        description="Press a status button (en route, arrived, working, paused, departed, "
        "completed). Moves the table forbids give INVALID_TRANSITION listing the allowed ones."
    )
    async def visit_transition(self, info: Info, input: VisitTransitionInput) -> VisitPayload:
        return await run_mutation(
            info,
            lambda: dispatch_resolvers.transition_visit(info.context, input),
            _visit_payload,
            _visit_errors,
        )

    @strawberry.mutation(description="Add a customer.")
    async def customer_create(self, info: Info, input: CustomerCreateInput) -> CustomerPayload:
        return await run_mutation(
            info,
            lambda: customer_resolvers.create_customer(info.context, input),
            *payload_of(CustomerPayload, "customer"),
        )

    @strawberry.mutation(description="Edit a customer.")
    async def customer_update(self, info: Info, input: CustomerUpdateInput) -> CustomerPayload:
        return await run_mutation(
            info,
            lambda: customer_resolvers.update_customer(info.context, input, is_set),
            *payload_of(CustomerPayload, "customer"),
        )

    @strawberry.mutation(description="Add a service address to a customer.")
    async def location_create(self, info: Info, input: LocationCreateInput) -> LocationPayload:
        return await run_mutation(
            info,
            lambda: customer_resolvers.create_location(info.context, input),
            *payload_of(LocationPayload, "location"),
        )

    @strawberry.mutation(description="Add a contact person to a customer.")
    async def contact_create(self, info: Info, input: ContactCreateInput) -> ContactPayload:
        return await run_mutation(
            info,
            lambda: customer_resolvers.create_contact(info.context, input),
            *payload_of(ContactPayload, "contact"),
        )

    @strawberry.mutation(description="Record a piece of equipment at a location.")
    async def asset_create(self, info: Info, input: AssetCreateInput) -> AssetPayload:
        return await run_mutation(
            info,
            lambda: customer_resolvers.create_asset(info.context, input),
            *payload_of(AssetPayload, "asset"),
        )

    @strawberry.mutation(description="Add a technician profile.")
    async def technician_create(
        self, info: Info, input: TechnicianCreateInput
    ) -> TechnicianPayload:
        return await run_mutation(
            info,
            lambda: crew_resolvers.create_technician(info.context, input),
            *payload_of(TechnicianPayload, "technician"),
        )

    @strawberry.mutation(description="Edit a technician profile.")
    async def technician_update(
        self, info: Info, input: TechnicianUpdateInput
    ) -> TechnicianPayload:
        return await run_mutation(
            info,
            lambda: crew_resolvers.update_technician(info.context, input, is_set),
            *payload_of(TechnicianPayload, "technician"),
        )

    @strawberry.mutation(description="Create a crew of technicians.")
    async def crew_create(self, info: Info, input: CrewCreateInput) -> CrewPayload:
        return await run_mutation(
            info,
            lambda: crew_resolvers.create_crew(info.context, input),
            *payload_of(CrewPayload, "crew"),
        )

    @strawberry.mutation(description="Add a user to the company (admins only).")
    async def user_create(self, info: Info, input: UserCreateInput) -> UserPayload:
        return await run_mutation(
            info,
            lambda: tenant_resolvers.create_user(info.context, input),
            *payload_of(UserPayload, "user"),
        )

    @strawberry.mutation(description="Sign in with email and password; returns a bearer token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        return await run_mutation(
            info,
            lambda: tenant_resolvers.sign_in(info.context, input.email, input.password),
            lambda result: LoginPayload(
                token=result[1],
                viewer=Viewer(user_id=result[0].user_id, company_id=result[0].company_id),
                errors=[],
            ),
            lambda errors: LoginPayload(token=None, viewer=None, errors=errors),
        )

    @strawberry.mutation(description="Sign out: the token of this request stops working.")
    async def logout(self, info: Info) -> LogoutPayload:
        return await run_mutation(
            info,
            lambda: tenant_resolvers.sign_out(info.context),
            lambda _: LogoutPayload(ok=True, errors=[]),
            lambda errors: LogoutPayload(ok=False, errors=errors),
        )


# Each area of the workspace adds its mutations here; the SDL sorts them by name anyway.
Mutation = merge_types(
    "Mutation", (CoreMutation, WorkspaceMutation, CloseoutMutation, MaterialsMutation)
)
Query = merge_types("Query", (CoreQuery, MaterialsQuery))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every event of the day's visits (technicians: their own), live. Pass the "
        "last cursor you received as `after` to first get what you missed."
    )
    async def dispatch_events(
        self, info: Info, date: date, after: str | None = None
    ) -> AsyncGenerator[DispatchEvent, None]:
        position = parse_stream_cursor(after)
        source = await live_resolvers.dispatch_source(info.context, date)
        async for snapshot in live_resolvers.snapshots(info.context, source, position):
            yield DispatchEvent(snapshot=snapshot)

    @strawberry.subscription(description="A job's events, live, resumable with `after`.")
    async def job_events(
        self, info: Info, job_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[DispatchEvent, None]:
        position = parse_stream_cursor(after)
        source = await job_event_source(info.context, job_id)
        async for snapshot in live_resolvers.snapshots(info.context, source, position):
            yield DispatchEvent(snapshot=snapshot)


async def job_event_source(ctx: Any, job_id: str) -> live_resolvers.EventSource:
    parsed = from_global_id(job_id)
    source = None
    if parsed is not None and parsed[0] == "Job":
        source = await live_resolvers.job_source(ctx, parsed[1])
    if source is None:
        raise query_error(ErrorCode.NOT_FOUND, "No such job.", "jobId")
    return source


class OpusSchema(strawberry.Schema):
    """The schema, plus the document rules its extensions apply, for code that executes
    documents without Strawberry's request pipeline (web/fanout.py) yet must accept exactly
    what it accepts."""

    def __init__(
        self,
        *args: Any,
        request_rules: tuple[type[ASTValidationRule], ...],
        max_tokens: int,
        mask_errors: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.request_rules = request_rules
        self.max_tokens = max_tokens
        self.mask = MaskErrors(should_mask_error=_should_mask) if mask_errors else None


def create_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    mask_errors: bool = True,
    introspection: bool = True,
) -> OpusSchema:
    # Factories: strawberry builds fresh extensions per request; the parse and validation
    # caches live at module level, so they still span requests. The validation cache is keyed
    # by the document and the rule classes, and each limiter instance makes rule classes of its
    # own, so the limiters' rules are made once here: a limiter per request missed the cache
    # every time (the whole document validated again on every request).
    limit_rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
    ]
    request_rules = (*specified_rules, *limit_rules)
    if not introspection:
        # A validation rule: `__schema` and `__type` are refused, `__typename` still works.
        extensions.append(DisableIntrospection)
        request_rules = (*request_rules, NoSchemaIntrospectionCustomRule)
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_should_mask))
    return OpusSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES),
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=ExecutionContext,
        request_rules=request_rules,
        max_tokens=max_tokens,
        mask_errors=mask_errors,
    )


def _should_mask(error: Any) -> bool:
    # Errors we raise on purpose carry a code; anything else raised while resolving is
    # unexpected and hidden. Errors about the document itself (no path, a location in it) speak
    # of the client's own input: a variable that fails to coerce wraps the scalar's ValueError.
    if (error.extensions or {}).get("code") or error.original_error is None:
        return False
    return error.path is not None or not error.locations


schema = create_schema()
