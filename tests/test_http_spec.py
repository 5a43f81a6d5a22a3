"""GraphQL over HTTP: the spec audit, our choices where the spec leaves room, health checks,
Server-Timing and the request limits.

The audit is graphql-http's `auditServer` (tests/http_audit) run against a real server process;
the other tests talk to the app in process, one rule each.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import resolvers.jobs
import web.compiled
from tests.live import ServerProcess
from web.app import create_app
from web.settings import load_settings

AUDIT_DIR = Path(__file__).resolve().parent / "http_audit"
AUDIT_CHECKS = 61

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
SERVER_TIMING = re.compile(r'^db;dur=\d+(\.\d+)?;desc="\d+ statements", app;dur=\d+(\.\d+)?$')

TYPENAME = "{ __typename }"
VIEWER_ROLE = "{ viewer { role } }"
UNKNOWN_FIELD = "{ noSuchField }"
UNPARSABLE = "{"
BOARD_FOR_DATE = "query Board($date: Date!) { dispatchBoard(date: $date) { date } }"
LOGOUT = "mutation { logout { ok } }"
JOBS_PAGE = "query Jobs($first: Int) { jobs(first: $first) { totalCount } }"
JOBS_TOTAL = "{ jobs { totalCount } }"
INTROSPECTION = "{ __schema { queryType { name } } }"
# 13 levels of jobs -> nodes -> dependsOn ..., one more than the default limit of 12.
TOO_DEEP = "{ jobs { nodes { " + "dependsOn { " * 11 + "id" + " }" * 11 + " } } }"
TOO_MANY_ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
TOO_MANY_TOKENS = "{ " + "__typename " * 5001 + "}"


# --- fixtures ---------------------------------------------------------------------------------


def _audit_ready() -> None:
    """Skip without node; otherwise make sure the audit's npm packages are installed."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the GraphQL over HTTP audit runs on Node.js")
    if (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is missing: run `npm ci --prefix tests/http_audit`"
    subprocess.run(
        [npm, "ci", "--prefix", str(AUDIT_DIR), "--no-audit", "--no-fund"],
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(database_url, None, name="http-spec")
    await process.start()
    yield process
    await process.stop()


@pytest.fixture
async def private_app(database_url: str, tmp_path: Path) -> Any:
    """private_app(**env) -> an httpx client on an app of its own, built from those settings."""
    stack: list[tuple[Starlette, httpx.AsyncClient]] = []

    async def make(**env: str) -> httpx.AsyncClient:
        settings = load_settings(
            {"DATABASE_URL": database_url, "OPUS_DATA_DIR": str(tmp_path), **env}
        )
        app = create_app(settings)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        stack.append((app, http))
        return http

    yield make
    for app, http in stack:
        await http.aclose()
        await app.state.engine.dispose()


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    accept: str | None = None,
    token: str | None = None,
) -> httpx.Response:
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    return await client.post("/graphql", json=body, headers=headers)


# --- the audit --------------------------------------------------------------------------------


async def test_the_graphql_over_http_audit_passes_every_check(server: ServerProcess) -> None:
    # given a running server and graphql-http's audit suite
    await asyncio.to_thread(_audit_ready)

    # when the audit runs against /graphql
    audit = await asyncio.create_subprocess_exec(
        "node", str(AUDIT_DIR / "audit.mjs"), f"{server.url}/graphql",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(audit.communicate(), 120)
    assert audit.returncode == 0, stderr.decode()
    report = json.loads(stdout)

    # then every check is ok, none warns or fails
    failures = "\n".join(
        f"{r['id']} {r['status']}: {r['name']} -- {r['reason']}"
        for r in report["results"]
        if r["status"] != "ok"
    )
    assert (report["ok"], report["warn"], report["error"]) == (AUDIT_CHECKS, 0, 0), failures


# --- media types and status codes -------------------------------------------------------------


async def test_a_client_accepting_graphql_response_json_gets_it(client: httpx.AsyncClient) -> None:
    # when a modern client asks for a plain query
    response = await post(client, TYPENAME, accept=f"{GRAPHQL_RESPONSE_JSON}, application/json")

    # then it gets 200 in the media type it prefers, in utf-8
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_legacy_client_gets_application_json(client: httpx.AsyncClient) -> None:
    # when a client sends no Accept header, or only */*
    for accept in (None, "*/*"):
        response = await post(client, TYPENAME, accept=accept)

        # then the answer is application/json
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"


async def test_an_unacceptable_accept_header_is_refused_with_406(
    client: httpx.AsyncClient,
) -> None:
    # when the client accepts neither of our media types
    response = await post(client, TYPENAME, accept="text/plain")

    # then it gets 406 Not Acceptable
    assert response.status_code == 406


async def test_a_validation_error_is_400_without_data_for_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    # when a modern client sends a document that does not validate, or does not parse
    for document in (UNKNOWN_FIELD, UNPARSABLE):
        response = await post(client, document, accept=GRAPHQL_RESPONSE_JSON)

        # then the status is 400 and the response has errors but no data entry
        assert response.status_code == 400, document
        body = response.json()
        assert "data" not in body and body["errors"], body


async def test_a_validation_error_is_200_for_application_json(client: httpx.AsyncClient) -> None:
    # when a legacy client sends a document that does not validate
    response = await post(client, UNKNOWN_FIELD, accept="application/json")

    # then the status is 200 and the response still has no data entry
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body and body["errors"], body


async def test_a_variable_that_fails_to_coerce_is_a_readable_400(
    client: httpx.AsyncClient,
) -> None:
    # when a variable is not a valid Date
    response = await post(
        client, BOARD_FOR_DATE, {"date": "not-a-date"}, accept=GRAPHQL_RESPONSE_JSON
    )

    # then it is a request error naming the variable, not a masked "Unexpected error."
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "$date" in error["message"], error


async def test_a_field_error_is_200_with_data_for_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    # when execution starts and a field fails (no viewer)
    response = await post(client, VIEWER_ROLE, accept=GRAPHQL_RESPONSE_JSON)

    # then it is 200: the response has a data entry, even if it is null
    assert response.status_code == 200
    assert "data" in response.json()


async def test_a_mutation_over_get_is_refused_with_405(client: httpx.AsyncClient) -> None:
    # when a mutation is sent with GET
    response = await client.get(
        "/graphql", params={"query": LOGOUT}, headers={"Accept": GRAPHQL_RESPONSE_JSON}
    )

    # then it is 405 and POST is named as the method to use
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_query_over_get_works(client: httpx.AsyncClient) -> None:
    # when a query is sent with GET
    response = await client.get("/graphql", params={"query": TYPENAME})

    # then it runs
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_post_without_json_is_refused_with_415(client: httpx.AsyncClient) -> None:
    # when the body is not utf-8 JSON: no content type, plain text, or another charset
    for content_type in (None, "text/plain", "application/json; charset=iso-8859-1"):
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post(
            "/graphql", content=json.dumps({"query": TYPENAME}).encode(), headers=headers
        )

        # then it is 415 Unsupported Media Type
        assert response.status_code == 415, content_type


async def test_a_json_body_with_utf8_charset_is_accepted(client: httpx.AsyncClient) -> None:
    # when the content type names utf-8 explicitly
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": TYPENAME}).encode(),
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )

    # then the query runs
    assert response.status_code == 200


# --- health checks ----------------------------------------------------------------------------


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_is_missing(
    private_app: Any, database_url: str
) -> None:
    # given an app whose database does not exist
    missing = database_url.rpartition("/")[0] + f"/opus_missing_{uuid.uuid4().hex[:8]}"
    http = await private_app(DATABASE_URL=missing)

    # when asked whether it is ready
    response = await http.get("/readyz")

    # then it says no, and why, without the URL
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "opus_missing" not in response.text


# --- Server-Timing ----------------------------------------------------------------------------


async def test_every_graphql_response_carries_server_timing(
    client: httpx.AsyncClient, make_company: Any
) -> None:
    # given a signed-in company
    tenant = await make_company()

    # when the endpoint answers a result, a request error, a field error and a refusal
    responses = [
        await post(client, JOBS_TOTAL, token=tenant.token),
        await post(client, UNPARSABLE, accept=GRAPHQL_RESPONSE_JSON),
        await post(client, VIEWER_ROLE),
        await client.get("/graphql", params={"query": LOGOUT}),
        await post(client, TYPENAME, accept="text/plain"),
    ]

    # then each one says where its time went
    for response in responses:
        assert SERVER_TIMING.match(response.headers["server-timing"]), response.headers
    # and the query that read jobs counted its statements
    assert 'desc="0 statements"' not in responses[0].headers["server-timing"]


# --- authentication, limits, introspection, masking -------------------------------------------


async def test_a_field_that_needs_a_viewer_says_unauthenticated(gql: Any) -> None:
    # when no token is sent
    result = await gql(VIEWER_ROLE)

    # then the field fails with UNAUTHENTICATED
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["path"] == ["viewer"]


async def test_a_query_deeper_than_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, TOO_DEEP, accept=GRAPHQL_RESPONSE_JSON)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "depth" in error["message"]


async def test_too_many_aliases_are_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, TOO_MANY_ALIASES, accept=GRAPHQL_RESPONSE_JSON)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "aliases" in error["message"].lower()


async def test_too_many_tokens_are_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, TOO_MANY_TOKENS, accept=GRAPHQL_RESPONSE_JSON)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "tokens" in error["message"]


async def test_a_page_larger_than_the_maximum_is_a_validation_error(
    gql: Any, make_company: Any
) -> None:
    # given a signed-in company
    tenant = await make_company()

    # when asking for 101 jobs at once
    result = await gql(JOBS_PAGE, {"first": 101}, token=tenant.token)

    # then the field fails with VALIDATION instead of silently returning 100
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "VALIDATION"


async def test_introspection_is_on_by_default(gql: Any) -> None:
    result = await gql(INTROSPECTION)

    assert result == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_introspection_can_be_switched_off(private_app: Any) -> None:
    # given an app started with OPUS_INTROSPECTION=false
    http = await private_app(OPUS_INTROSPECTION="false")

    # when a client introspects
    refused = (await post(http, INTROSPECTION, accept=GRAPHQL_RESPONSE_JSON)).json()
    typename = (await post(http, TYPENAME)).json()

    # then the schema is not shown, while __typename still answers
    assert "data" not in refused
    assert "introspection" in refused["errors"][0]["message"].lower()
    assert typename == {"data": {"__typename": "Query"}}


async def test_an_unexpected_exception_is_masked(
    gql: Any, make_company: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a resolver that fails in a way nobody planned for
    tenant = await make_company()

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to secret-db.internal:5432 refused")

    monkeypatch.setattr(resolvers.jobs, "list_jobs", broken)
    # (the document is one web/compiled.py answers without resolvers once it has run: not here)
    monkeypatch.setattr(web.compiled.CompiledDocuments, "plan", lambda self, query: None)

    # when a client runs into it
    result = await gql(JOBS_TOTAL, token=tenant.token)

    # then the client learns only that something unexpected happened
    (error,) = result["errors"]
    assert error["message"] == "Unexpected error."
    assert error["path"] == ["jobs"]
    assert "extensions" not in error
    assert "secret-db" not in json.dumps(result)
