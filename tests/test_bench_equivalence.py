"""The compiled hot documents (web/compiled.py) answer exactly what the resolvers answer.

One database of its own, filled by the bench's generator (bench/data.py) with a small large
tenant and the demo company, and two apps on it: one with OPUS_COMPILED_QUERIES off (resolvers
only) and one with it on. Every document is asked of both, as different viewers; the decoded
JSON must be equal, keys in the same order, and the compiled app must really have used one
statement for it (Server-Timing).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from db.migrate import upgrade
from web.app import create_app
from web.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import data
from bench.scenarios import BOARD, JOBS_PAGE
from tests.conftest import ADMIN_URL

# The company scope of a viewer cached since the token's first request (web/auth.py) + the
# company's time zone + the board; the company scope + the page.
COMPILED_BOARD_STATEMENTS = 3
COMPILED_JOBS_STATEMENTS = 2

BOARD_EVERYTHING = """
query Everything($date: Date!) {
  board: dispatchBoard(date: $date) {
    __typename
    date
    lanes {
      __typename
      technician { id name email phone color active hourlyCost __typename }
      visits { ...Card ... on Visit { statusChangedAt statusReason } }
    }
    unassigned { ...Card }
    again: date
  }
}
fragment Card on Visit {
  id __typename status start end arrivalWindowStart arrivalWindowEnd version
  crew: technicians { id name }
  job {
    id number title scope status priority holdReason cancelReason source sourceReference
    billingType estimatedDurationMinutes requiredSkills tags version createdAt updatedAt
    customer { id name email phone notes createdAt updatedAt }
    location {
      id label street city region postalCode country lat lng accessNotes address
      customer { id name }
    }
    contact { id name email phone role }
  }
  job { id title }
}
"""

JOBS_EVERYTHING = """
query Page($n: Int) {
  jobs(first: $n) {
    __typename
    totalCount
    edges { __typename cursor node { id number createdAt location { address } } }
    nodes {
      id number title createdAt updatedAt readiness customer { name }
      lineItems {
        id __typename kind description quantity unitPrice unitCost taxable taxRate position
      }
    }
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

JOBS_LITERAL = "{ jobs(first: 3) { nodes { id } pageInfo { hasNextPage endCursor } } }"
JOBS_DEFAULT = "{ jobs { nodes { id number } pageInfo { hasNextPage startCursor } } }"


@pytest.fixture(scope="module")
async def bench_data() -> AsyncIterator[data.Bench]:
    url = await data.create_database(ADMIN_URL)
    try:
        import asyncio

        await asyncio.to_thread(upgrade, url)
        bench = await data.fill(url, 600, log=lambda _message: None)
        conn = await asyncpg.connect(url)
        try:
            await _edge_cases(conn, bench)
        finally:
            await conn.close()
        yield bench
    finally:
        await data.drop_database(url)


async def _edge_cases(conn: asyncpg.Connection, bench: data.Bench) -> None:
    """Rows that exercise the formatting: microseconds, blanks, nulls, inactive technicians."""
    cid = bench.company_id
    newest = await conn.fetch(
        "SELECT id, location_id, customer_id FROM jobs WHERE company_id = $1 "
        "ORDER BY created_at DESC, id DESC LIMIT 4",
        cid,
    )
    await conn.execute(
        "UPDATE jobs SET created_at = created_at + interval '123456 microseconds', "
        "hold_reason = 'waiting on parts', tags = '{a,b}' WHERE id = $1",
        newest[0]["id"],
    )
    await conn.execute(
        "UPDATE jobs SET created_at = created_at + interval '500000 microseconds', "
        "updated_at = updated_at + interval '7 microseconds' WHERE id = $1",
        newest[1]["id"],
    )
    await conn.execute(
        "UPDATE locations SET region = NULL, postal_code = '', label = '' WHERE id = $1",
        newest[2]["location_id"],
    )
    await conn.execute(
        "UPDATE customers SET phone = NULL, notes = 'Ring twice' WHERE id = $1",
        newest[3]["customer_id"],
    )
    board_lo, board_hi = data._local(bench.board_day, 0), data._local(bench.board_day, 23)
    # A technician with visits on the board day is deactivated (keeps a lane), another
    # without any is deactivated (has none); one board visit is cancelled (not shown).
    busy = await conn.fetchval(
        "SELECT vt.technician_id FROM visit_technicians vt JOIN visits v ON v.id = vt.visit_id "
        "WHERE v.company_id = $1 AND v.start_at >= $2 AND v.start_at < $3 LIMIT 1",
        cid,
        board_lo,
        board_hi,
    )
    idle = await conn.fetchval(
        "SELECT t.id FROM technicians t WHERE t.company_id = $1 AND NOT EXISTS ("
        " SELECT 1 FROM visit_technicians vt JOIN visits v ON v.id = vt.visit_id"
        " WHERE vt.technician_id = t.id AND v.start_at >= $2 AND v.start_at < $3) LIMIT 1",
        cid,
        board_lo,
        board_hi,
    )
    await conn.execute(
        "UPDATE technicians SET active = false WHERE id = ANY($1::bigint[])", [busy, idle]
    )
    await conn.execute(
        "UPDATE visits SET status = 'CANCELLED', status_reason = 'called off' WHERE id = ("
        " SELECT id FROM visits WHERE company_id = $1 AND start_at >= $2 AND start_at < $3"
        " ORDER BY id LIMIT 1)",
        cid,
        board_lo,
        board_hi,
    )
    await conn.execute(
        "UPDATE visits SET status_reason = 'PARTS_NEEDED', arrival_window_start = NULL WHERE id = ("
        " SELECT id FROM visits WHERE company_id = $1 AND start_at >= $2 AND start_at < $3"
        " AND status <> 'CANCELLED' ORDER BY id DESC LIMIT 1)",
        cid,
        board_lo,
        board_hi,
    )


def _app(url: str, compiled: bool) -> Any:
    return create_app(
        load_settings(
            {
                "DATABASE_URL": url,
                "OPUS_DATA_DIR": "/tmp/opus-tests",
                "OPUS_COMPILED_QUERIES": "true" if compiled else "false",
            }
        )
    )


@pytest.fixture(scope="module")
async def plain(bench_data: data.Bench) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: these apps only answer queries, so neither the bus nor the relay is needed.
    application = _app(bench_data.database_url, compiled=False)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://opus.test") as http:
            yield http
    finally:
        await application.state.engine.dispose()


@pytest.fixture(scope="module")
async def compiled(bench_data: data.Bench) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: these apps only answer queries, so neither the bus nor the relay is needed.
    application = _app(bench_data.database_url, compiled=True)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://opus.test") as http:
            yield http
    finally:
        await application.state.engine.dispose()


async def _post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None,
    token: str | None,
    accept: str = "application/json",
) -> httpx.Response:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def _statements(response: httpx.Response) -> int:
    return int(response.headers["server-timing"].split('desc="', 1)[1].split(" ", 1)[0])


def _same(left: httpx.Response, right: httpx.Response) -> Any:
    """Equal status, media type and JSON, with keys in the same order."""
    assert left.status_code == right.status_code
    assert left.headers["content-type"] == right.headers["content-type"]
    a, b = left.json(), right.json()
    assert json.dumps(a) == json.dumps(b)
    return a


async def _both(
    plain: httpx.AsyncClient,
    compiled: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None,
    token: str | None,
    accept: str = "application/json",
) -> tuple[Any, int]:
    """The answer (equal through both paths) and the compiled app's statement count."""
    expected = await _post(plain, query, variables, token, accept)
    # The compiled app answers a document through the resolvers until it ran once without
    # errors; ask twice so the second answer is the compiled one where it can be.
    first = await _post(compiled, query, variables, token, accept)
    second = await _post(compiled, query, variables, token, accept)
    _same(expected, first)
    answer = _same(expected, second)
    return answer, _statements(second)


async def test_board_compiled_equals_resolvers(
    bench_data: data.Bench, plain: httpx.AsyncClient, compiled: httpx.AsyncClient
) -> None:
    day = bench_data.board_day.isoformat()
    for document in (BOARD, BOARD_EVERYTHING):
        answer, statements = await _both(
            plain, compiled, document, {"date": day}, bench_data.dispatcher_token
        )
        assert "errors" not in answer
        assert statements == COMPILED_BOARD_STATEMENTS
        board = next(iter(answer["data"].values()))
        cards = board["unassigned"] + [v for lane in board["lanes"] for v in lane["visits"]]
        assert len(board["unassigned"]) == data.BOARD_UNASSIGNED
        assert len({c["id"] for c in cards}) == data.BOARD_VISITS - 1  # one was cancelled
        assert not any(lane["technician"].get("active") is False for lane in board["lanes"]) or (
            document is BOARD_EVERYTHING
        )
    # The other variables spelling, and an empty day, the same way.
    await _both(plain, compiled, BOARD, {"date": "2001-01-01"}, bench_data.dispatcher_token)


async def test_jobs_page_compiled_equals_resolvers(
    bench_data: data.Bench, plain: httpx.AsyncClient, compiled: httpx.AsyncClient
) -> None:
    token = bench_data.admin_token
    answer, statements = await _both(plain, compiled, JOBS_PAGE, {"first": 100}, token)
    assert statements == COMPILED_JOBS_STATEMENTS
    assert len(answer["data"]["jobs"]["nodes"]) == 100
    for first in (None, 0, 1, 7, 100):
        answer, statements = await _both(plain, compiled, JOBS_EVERYTHING, {"n": first}, token)
        assert statements == COMPILED_JOBS_STATEMENTS
        assert answer["data"]["jobs"]["totalCount"] == 600
    for document in (JOBS_LITERAL, JOBS_DEFAULT):
        _, statements = await _both(plain, compiled, document, None, token)
        assert statements == COMPILED_JOBS_STATEMENTS
    # Microseconds, blanks and nulls of the edge cases are on the first page.
    answer, _ = await _both(plain, compiled, JOBS_EVERYTHING, {"n": 4}, token)
    created = [n["createdAt"] for n in answer["data"]["jobs"]["nodes"]]
    assert any(".123456+00:00" in c for c in created) and any(".500000+00:00" in c for c in created)


async def test_other_viewers_and_media_types(
    bench_data: data.Bench, plain: httpx.AsyncClient, compiled: httpx.AsyncClient
) -> None:
    day = bench_data.board_day.isoformat()
    # A technician sees only their own lane and visits: answered by the resolvers.
    answer, statements = await _both(
        plain, compiled, BOARD, {"date": day}, bench_data.technician_token
    )
    assert statements > COMPILED_BOARD_STATEMENTS
    assert len(answer["data"]["dispatchBoard"]["lanes"]) == 1
    assert answer["data"]["dispatchBoard"]["unassigned"] == []
    # Another company's dispatcher sees its own board and jobs, none of the bench tenant's.
    assert bench_data.other_company_token is not None
    other, statements = await _both(
        plain, compiled, BOARD, {"date": day}, bench_data.other_company_token
    )
    assert statements == COMPILED_BOARD_STATEMENTS
    names = {lane["technician"]["name"] for lane in other["data"]["dispatchBoard"]["lanes"]}
    assert names and not any(name.startswith("Tech ") for name in names)
    jobs, _ = await _both(
        plain, compiled, JOBS_EVERYTHING, {"n": 100}, bench_data.other_company_token
    )
    assert jobs["data"]["jobs"]["totalCount"] < 600
    # The GraphQL over HTTP media type is negotiated the same way.
    await _both(
        plain,
        compiled,
        JOBS_PAGE,
        {"first": 5},
        bench_data.admin_token,
        accept="application/graphql-response+json",
    )


async def test_requests_the_resolvers_must_answer(
    bench_data: data.Bench, plain: httpx.AsyncClient, compiled: httpx.AsyncClient
) -> None:
    token = bench_data.dispatcher_token
    day = bench_data.board_day.isoformat()
    await _both(plain, compiled, BOARD, {"date": day}, token)  # proven
    cases: list[tuple[str, dict[str, Any] | None, str | None]] = [
        (BOARD, {"date": "not a date"}, token),
        (BOARD, {"date": "20261203"}, token),
        (BOARD, {}, token),
        (BOARD, {"date": day}, None),
        (JOBS_PAGE, {"first": 101}, token),
        (JOBS_PAGE, {"first": -1}, token),
        (JOBS_PAGE, {"first": "5"}, token),
        (JOBS_PAGE, {"first": 2.0}, token),
        ("{ jobs(first: 2, orderBy: NUMBER_ASC) { nodes { id } } }", None, token),
        ("{ jobs(first: 2) { nodes { id timeline(first: 1) { totalCount } } } }", None, token),
        (
            '{ dispatchBoard(date: "' + day + '") '
            "{ lanes { visits { id availableTransitions { to allowed } } } } }",
            None,
            token,
        ),
    ]
    for query, variables, who in cases:
        expected = await _post(plain, query, variables, who)
        for _ in range(2):
            got = await _post(compiled, query, variables, who)
            _same(expected, got)
            assert _statements(got) == _statements(expected)


async def test_generated_data_is_what_the_api_would_have_written(bench_data: data.Bench) -> None:
    """The COPY generator keeps what triggers and resolvers keep: numbers, sequences, search."""
    conn = await asyncpg.connect(bench_data.database_url)
    try:
        cid = bench_data.company_id
        job_seq, top = await conn.fetchrow(
            "SELECT c.job_seq, (SELECT max(number) FROM jobs WHERE company_id = c.id) "
            "FROM companies c WHERE c.id = $1",
            cid,
        )
        assert job_seq == top
        # Every job's event_seq is its last event's seq, and seqs run 1..n without gaps.
        bad = await conn.fetchval(
            "SELECT count(*) FROM jobs j WHERE j.company_id = $1 AND ("
            " j.event_seq <> (SELECT coalesce(max(seq), 0) FROM job_events e WHERE e.job_id = j.id)"
            " OR j.event_seq <> (SELECT count(*) FROM job_events e WHERE e.job_id = j.id))",
            cid,
        )
        assert bad == 0
        # Events are positioned and published (the relay has nothing to catch up), and the
        # stream sequence is past them.
        unpublished = await conn.fetchval(
            "SELECT count(*) FROM job_events WHERE company_id = $1 AND "
            "(position IS NULL OR published_at IS NULL)",
            cid,
        )
        assert unpublished == 0
        assert await conn.fetchval(
            "SELECT last_value >= (SELECT max(position) FROM job_events) FROM job_event_positions"
        )
        # search_text is what the trigger computes (recomputed in a rolled-back transaction).
        check = conn.transaction()
        await check.start()
        try:
            before = await conn.fetch(
                "SELECT id, search_text FROM jobs WHERE company_id = $1 ORDER BY id LIMIT 50", cid
            )
            ids = [r["id"] for r in before]
            await conn.execute("UPDATE jobs SET title = title WHERE id = ANY($1::bigint[])", ids)
            after = await conn.fetch(
                "SELECT id, search_text FROM jobs WHERE id = ANY($1::bigint[]) ORDER BY id", ids
            )
            assert [tuple(r) for r in before] == [tuple(r) for r in after]
        finally:
            await check.rollback()
        # The status-change pool is all SCHEDULED.
        statuses = await conn.fetch(
            "SELECT DISTINCT status FROM visits WHERE id = ANY($1::bigint[])",
            bench_data.transition_visit_ids,
        )
        assert [r["status"] for r in statuses] == ["SCHEDULED"]
    finally:
        await conn.close()
