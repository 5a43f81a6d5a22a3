"""Documents seen before (web/prepared.py): executed without Strawberry's pipeline, answered with
the very bytes the pipeline sends, for results, field errors, masked errors, request errors
under both media types, operation choice and mutations; and only for documents that passed it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import resolvers.jobs
import web.compiled
from tests.conftest import Tenant
from web.graphql import OpusGraphQL

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JOBS_PAGE = "query Jobs($first: Int) { jobs(first: $first) { totalCount } }"
TWO_OPERATIONS = "query A { __typename } query B { viewer { role } }"
JOB_CREATE = """
mutation ($input: JobCreateInput!) {
  jobCreate(input: $input) { job { id } errors { code message field } }
}
"""


@dataclass
class Case:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    token: bool = True
    accept: str = "application/json"
    extra: dict[str, Any] = field(default_factory=dict)
    # Sent in between when the case itself fails before execution (which proves nothing).
    primer: dict[str, Any] | None = None


CASES = {
    "typename": Case("{ __typename }", token=False),
    "viewer": Case("{ viewer { role user { email } company { name } } }"),
    "field error": Case("{ viewer { role } }", token=False),
    "field error, graphql-response+json": Case(
        "{ viewer { role } }", token=False, accept=GRAPHQL_RESPONSE_JSON
    ),
    "variables": Case(JOBS_PAGE, {"first": 3}, "Jobs"),
    "bad variable": Case(JOBS_PAGE, {"first": "three"}, primer={"first": 3}),
    "bad variable, graphql-response+json": Case(
        JOBS_PAGE, {"first": "three"}, accept=GRAPHQL_RESPONSE_JSON, primer={"first": 3}
    ),
    "missing variable": Case(
        "query ($n: Int!) { jobs(first: $n) { totalCount } }", {}, primer={"n": 1}
    ),
    "page too large": Case(JOBS_PAGE, {"first": 1000}),
    "second operation": Case(TWO_OPERATIONS, operation_name="B"),
    "first operation by default": Case(TWO_OPERATIONS),
    "extensions": Case("{ __typename }", extra={"extensions": {"trace": True}}),
    "no variables at all": Case("{ viewer { role } }", extra={"variables": None}),
    "mutation refused in its payload": Case(
        JOB_CREATE, {"input": {"customerId": "Q3VzdG9tZXI6MA==", "title": "x"}}
    ),
}


def graphql_view(app: Starlette) -> OpusGraphQL:
    return next(
        route.endpoint  # type: ignore[attr-defined]
        for route in app.routes
        if getattr(route, "path", None) == "/graphql"
        and isinstance(getattr(route, "endpoint", None), OpusGraphQL)
    )


class Spy:
    """Counts the requests that went through Strawberry's pipeline."""

    def __init__(self, view: OpusGraphQL, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        respond = view._respond

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await respond(*args, **kwargs)

        monkeypatch.setattr(view, "_respond", counted)


@pytest.fixture
def spy(app: Starlette, monkeypatch: pytest.MonkeyPatch) -> Spy:
    # Compiled plans (web/compiled.py) answer some proven jobs documents before this path does.
    monkeypatch.setattr(web.compiled.CompiledDocuments, "plan", lambda self, query: None)
    return Spy(graphql_view(app), monkeypatch)


def unseen(query: str) -> str:
    """The same document as a text this process has not seen (a comment at the end)."""
    return f"{query}\n# {uuid.uuid4().hex}"


async def send(
    client: httpx.AsyncClient,
    case: Case,
    query: str,
    token: str | None,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query, "variables": variables or case.variables}
    if case.operation_name is not None:
        body["operationName"] = case.operation_name
    body |= case.extra
    headers = {"Accept": case.accept}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", json=body, headers=headers)


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name not in ("server-timing", "x-request-id")
    ]
    return response.status_code, headers, response.content


@pytest.mark.parametrize("name", list(CASES))
async def test_a_document_seen_before_gets_the_same_bytes(
    name: str, client: httpx.AsyncClient, make_company: Any, spy: Spy
) -> None:
    # given a document this process has not seen, and a signed-in company
    case = CASES[name]
    tenant: Tenant = await make_company()
    token = tenant.token if case.token else None
    query = unseen(case.query)

    # when it is sent, (primed with variables that pass where the case fails early,) and sent
    # again
    through_pipeline = await send(client, case, query, token)
    if case.primer is not None:
        await send(client, case, query, token, case.primer)
    pipeline_calls = spy.calls
    again = await send(client, case, query, token)

    # then the second answer skipped Strawberry's pipeline and is the same to the byte
    assert spy.calls == pipeline_calls, "the second request went through the pipeline"
    assert comparable(again) == comparable(through_pipeline)


async def test_an_unexpected_error_is_masked_the_same_way(
    client: httpx.AsyncClient, make_company: Any, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a resolver that fails in a way nobody planned for
    tenant = await make_company()

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to secret-db.internal:5432 refused")

    monkeypatch.setattr(resolvers.jobs, "list_jobs", broken)
    case = Case("{ jobs { totalCount } }")
    query = unseen(case.query)

    # when a document running into it is sent twice
    first = await send(client, case, query, tenant.token)
    calls = spy.calls
    second = await send(client, case, query, tenant.token)

    # then both answers hide the message, the second without the pipeline
    assert spy.calls == calls
    assert comparable(second) == comparable(first)
    assert b"Unexpected error." in second.content and b"secret-db" not in second.content


@pytest.mark.parametrize(
    "query",
    [
        "{ noSuchField }",
        "{",
        "subscription ($date: Date!) { dispatchEvents(date: $date) { type } }",
    ],
    ids=["invalid", "unparsable", "subscription"],
)
async def test_documents_that_never_executed_stay_on_the_pipeline(
    query: str, client: httpx.AsyncClient, spy: Spy
) -> None:
    # given a document that fails validation, cannot be parsed, or is not a query or mutation
    case = Case(query, {"date": "2030-01-01"}, token=False)
    text = unseen(query)

    # when it is sent twice
    first = await send(client, case, text, None)
    second = await send(client, case, text, None)

    # then both went through the pipeline, with the same answer
    assert spy.calls == 2
    assert comparable(second) == comparable(first)


async def test_an_unknown_operation_name_stays_on_the_pipeline(
    client: httpx.AsyncClient, spy: Spy
) -> None:
    # given a document the process has executed
    case = Case(TWO_OPERATIONS, token=False)
    text = unseen(TWO_OPERATIONS)
    await send(client, case, text, None)

    # when it is sent naming an operation it does not have
    refused = await send(client, Case(TWO_OPERATIONS, operation_name="C"), text, None)

    # then the pipeline refuses it, as it always did
    assert spy.calls == 2
    assert refused.status_code == 400
