"""Live subscriptions against a real server process (uvicorn, Redis bus, the test database).

Covers the graphql-transport-ws rules as strawberry applies them, the legacy graphql-ws
protocol, dispatchEvents / jobEvents content, filtering (technician, company, job), resuming
with `after`, and the reference npm `graphql-ws` client (tests/ws_client).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from resolvers.live import Snapshot, Snapshots
from tests.live import (
    BOARD_SUBSCRIPTION,
    JOB_SUBSCRIPTION,
    LEGACY_WS,
    ROOT,
    TIMEOUT,
    Api,
    GraphQLSocket,
    Office,
    PrivateRedis,
    ServerProcess,
    Tenant,
    board_variables,
    create_tenant,
    positions,
    private_database,
    settled_cursor,
)

WS_CLIENT = ROOT / "tests" / "ws_client"


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    """This module's own database (see tests/live.py `private_database`)."""
    async with private_database() as url:
        yield url


@pytest.fixture(scope="module")
async def server(database_url: str, redis: PrivateRedis) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(
        database_url,
        redis.url,
        factory="tests.live:app_for_tests",
        env={"OPUS_TEST_WS_INIT_TIMEOUT_MS": "1000", "OPUS_SOCKET_RECHECK_MS": "200"},
    )
    await process.start()
    yield process
    await process.stop()


@pytest.fixture(scope="module")
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.url)
    yield client
    await client.aclose()


@dataclass
class Company:
    tenant: Tenant
    office: Office
    database_url: str

    async def cursor(self) -> str:
        return await settled_cursor(self.database_url, self.tenant.company_id)


@pytest.fixture
async def company(api: Api, database_url: str) -> Company:
    tenant = await create_tenant(database_url)
    return Company(tenant, Office(api, tenant.token), database_url)


# --- graphql-transport-ws protocol rules ------------------------------------------------------


async def test_connection_init_with_valid_token_is_acknowledged(
    server: ServerProcess, company: Company
) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)


@pytest.mark.parametrize(
    "payload",
    [{"authorization": "Bearer opus_not-a-token"}, {"authorization": "Basic abc"}, {}],
    ids=["unknown-token", "not-bearer", "no-token"],
)
async def test_connection_init_without_valid_token_closes_4403(
    server: ServerProcess, payload: dict[str, Any]
) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.send({"type": "connection_init", "payload": payload})

        assert await socket.close_code() == 4403


async def test_no_connection_init_within_the_timeout_closes_4408(server: ServerProcess) -> None:
    # The test server waits 1 s for connection_init (strawberry's default is 60 s).
    async with GraphQLSocket.open(server.ws_url) as socket:
        assert await socket.close_code(within=5) == 4408


async def test_subscribe_before_ack_closes_4401(server: ServerProcess) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.subscribe("1", BOARD_SUBSCRIPTION, {"date": "2030-01-01"})

        assert await socket.close_code() == 4401


async def test_second_connection_init_closes_4429(server: ServerProcess, company: Company) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.send({"type": "connection_init", "payload": {}})

        assert await socket.close_code() == 4429


async def test_ping_is_answered_with_pong(server: ServerProcess, company: Company) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.send({"type": "ping", "payload": {"n": 1}})

        assert (await socket.receive())["type"] == "pong"


async def test_complete_stops_the_stream(server: ServerProcess, company: Company) -> None:
    visit = await company.office.visit()
    cursor = await company.cursor()
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("board", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        await socket.subscribe("job", JOB_SUBSCRIPTION, {"jobId": visit.job_id, "after": cursor})
        await company.office.advance(visit)
        assert (await socket.events("board", 1))[0]["type"] == "visit.en_route"
        # The job's first visit on the way moves the job to IN_PROGRESS: a job-level event.
        job_events = await socket.events("job", 2)
        assert [e["type"] for e in job_events] == ["visit.en_route", "job.status_changed"]
        assert job_events[1]["visit"] is None

        await socket.complete("board")
        await company.office.advance(visit)
        assert (await socket.events("job", 1))[0]["type"] == "visit.arrived"
        # Anything the stopped operation still sent would have arrived before this round trip.
        await socket.ping()

        assert socket.unread.get("board", []) == []


async def test_invalid_cursor_is_a_validation_error(
    server: ServerProcess, company: Company
) -> None:
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, {"date": "2030-01-01", "after": "bogus"})
        # Raised by the subscription resolver, so an execution result (not an `error` message,
        # which graphql-transport-ws keeps for documents that fail validation), then complete.
        refused = await socket.message("1")
        assert (await socket.message("1"))["type"] == "complete"

    assert refused["type"] == "next" and refused["payload"]["data"] is None, refused
    assert refused["payload"]["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "after"}


# --- screens sharing one execution (web/fanout.py) --------------------------------------------

LIGHT_BOARD = """
subscription Light($date: Date!, $after: String) {
  dispatchEvents(date: $date, after: $after) { cursor type }
}
"""


async def test_screens_on_one_board_each_get_every_event_from_their_own_cursor(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    start = await company.cursor()
    token = company.tenant.token
    async with (
        GraphQLSocket.open(server.ws_url) as first,
        GraphQLSocket.open(server.ws_url) as second,
        GraphQLSocket.open(server.ws_url) as third,
    ):
        for socket in (first, second, third):
            await socket.init(token)
        await first.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, start))
        early_types = await company.office.advance(visit, 3)
        early = await first.events("1", 3)
        # Same board and viewer, resuming from the first event: the second and third events
        # come from the table, and nothing twice once live.
        await second.subscribe(
            "a", BOARD_SUBSCRIPTION, board_variables(visit.day, early[0]["cursor"])
        )
        replayed = await second.events("a", 2)
        # Without a cursor: from now on only.
        await third.subscribe("b", BOARD_SUBSCRIPTION, {"date": visit.day.isoformat()})
        await third.ping()
        late_types = await company.office.advance(visit, 2)
        late = [
            await socket.events(op, 2) for socket, op in ((first, "1"), (second, "a"), (third, "b"))
        ]
        for socket in (first, second, third):
            await socket.ping()
            assert not any(socket.unread.values()), socket.unread

    assert [e["type"] for e in early] == early_types
    assert replayed == early[1:]
    assert [e["type"] for e in late[0]] == late_types
    assert late[0] == late[1] == late[2]


async def test_a_screen_leaving_does_not_stop_the_others(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    variables = board_variables(visit.day, await company.cursor())
    async with GraphQLSocket.open(server.ws_url) as staying:
        await staying.init(company.tenant.token)
        await staying.subscribe("1", BOARD_SUBSCRIPTION, variables)
        async with GraphQLSocket.open(server.ws_url) as leaving:
            await leaving.init(company.tenant.token)
            await leaving.subscribe("1", BOARD_SUBSCRIPTION, variables)
            await leaving.subscribe("2", BOARD_SUBSCRIPTION, variables)
            await company.office.advance(visit)
            assert (await leaving.events("1", 1))[0]["type"] == "visit.en_route"
            assert (await leaving.events("2", 1))[0]["type"] == "visit.en_route"
            await leaving.complete("1")
            await company.office.advance(visit)
            assert (await leaving.events("2", 1))[0]["type"] == "visit.arrived"
            await leaving.ping()
            assert leaving.unread.get("1", []) == []
        # The second socket closed without a word; the first keeps receiving.
        types = await company.office.advance(visit, 2)
        events = await staying.events("1", 4)

    assert [e["type"] for e in events] == ["visit.en_route", "visit.arrived", *types]


async def test_screens_with_other_selections_or_scopes_get_their_own_payloads(
    server: ServerProcess, company: Company
) -> None:
    office = company.office
    tech = await office.technician(with_login=True)
    own = await office.visit([tech])
    other = await office.visit()
    cursor = await company.cursor()
    variables = board_variables(own.day, cursor)
    assert tech.token is not None
    async with (
        GraphQLSocket.open(server.ws_url) as full,
        GraphQLSocket.open(server.ws_url) as light,
        GraphQLSocket.open(server.ws_url) as technician,
    ):
        await full.init(company.tenant.token)
        await light.init(company.tenant.token)
        await technician.init(tech.token)
        await full.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await light.subscribe("1", LIGHT_BOARD, variables)
        await technician.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await office.advance(other)
        await office.advance(own)
        everything = await full.events("1", 2)
        brief = await light.events("1", 2)
        mine = await technician.events("1", 1)

    assert [e["visit"]["id"] for e in everything] == [other.id, own.id]
    assert brief == [{"cursor": e["cursor"], "type": e["type"]} for e in everything]
    assert mine == everything[1:]


RESCHEDULE = """mutation($input: VisitRescheduleInput!) {
  visitReschedule(input: $input) { visit { id } errors { code message } } }"""
ASSIGN = """mutation($input: VisitAssignInput!) {
  visitAssign(input: $input) { visit { id } errors { code message } } }"""


async def test_a_visit_moved_to_another_day_is_sent_to_the_board_it_left_too(
    server: ServerProcess, company: Company
) -> None:
    office = company.office
    visit = await office.visit()
    cursor = await company.cursor()
    later = visit.start + timedelta(days=1)
    async with (
        GraphQLSocket.open(server.ws_url) as left,
        GraphQLSocket.open(server.ws_url) as arrived,
    ):
        await left.init(company.tenant.token)
        await arrived.init(company.tenant.token)
        await left.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        await arrived.subscribe("1", BOARD_SUBSCRIPTION, board_variables(later.date(), cursor))
        await office.call(
            RESCHEDULE,
            visitId=visit.id,
            start=later.isoformat(),
            end=(later + timedelta(hours=1)).isoformat(),
            allowOverlap=True,
        )
        old_day = await left.events("1", 1)
        new_day = await arrived.events("1", 1)
    # A screen of the old day that was away gets it from the table as well.
    async with GraphQLSocket.open(server.ws_url) as returning:
        await returning.init(company.tenant.token)
        await returning.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        replayed = await returning.events("1", 1)

    assert [e["type"] for e in old_day] == ["visit.rescheduled"]
    assert old_day == new_day == replayed
    assert old_day[0]["visit"]["id"] == visit.id


async def test_a_technician_taken_off_a_visit_is_told(
    server: ServerProcess, company: Company
) -> None:
    office = company.office
    leaving = await office.technician(with_login=True)
    joining = await office.technician()
    visit = await office.visit([leaving])
    cursor = await company.cursor()
    assert leaving.token is not None
    variables = board_variables(visit.day, cursor)
    async with (
        GraphQLSocket.open(server.ws_url) as socket,
        GraphQLSocket.open(server.ws_url) as dispatcher,
    ):
        await socket.init(leaving.token)
        await dispatcher.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await dispatcher.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await office.call(ASSIGN, visitId=visit.id, technicianIds=[joining.id], allowOverlap=True)
        told = await socket.events("1", 1)
        # From then on the visit is someone else's. Once the dispatcher has the next event,
        # anything for the technician would have been written before a pong.
        await office.advance(visit)
        assert [e["type"] for e in await dispatcher.events("1", 2)] == [
            "visit.assigned",
            "visit.en_route",
        ]
        await socket.ping()
        assert socket.unread.get("1", []) == []

    assert [(e["type"], e["visit"]["id"]) for e in told] == [("visit.assigned", visit.id)]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("UPDATE tokens SET revoked_at = now() WHERE token_hash = $1", 4403),
        (
            "UPDATE users SET active = false"
            " WHERE id = (SELECT user_id FROM tokens WHERE token_hash = $1)",
            4403,
        ),
        (
            "UPDATE users SET role = 'office'"
            " WHERE id = (SELECT user_id FROM tokens WHERE token_hash = $1)",
            4205,
        ),
    ],
    ids=["token-revoked", "user-deactivated", "role-changed"],
)
async def test_a_change_made_behind_the_apis_back_closes_the_socket_it_concerns(
    server: ServerProcess, company: Company, change: str, code: int
) -> None:
    office = company.office
    technician = await office.technician(with_login=True)
    visit = await office.visit([technician])
    variables = board_variables(visit.day, await company.cursor())
    assert technician.token is not None
    async with (
        GraphQLSocket.open(server.ws_url) as changed,
        GraphQLSocket.open(server.ws_url) as unchanged,
    ):
        await changed.init(technician.token)
        await unchanged.init(company.tenant.token)
        await changed.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await unchanged.subscribe("1", BOARD_SUBSCRIPTION, variables)
        conn = await asyncpg.connect(company.database_url)
        try:
            await conn.execute(change, hashlib.sha256(technician.token.encode()).digest())
        finally:
            await conn.close()

        # No API call told anyone: the server's periodic look (every 200 ms here) finds it.
        assert await changed.close_code() == code
        await unchanged.ping()


# --- the legacy graphql-ws protocol -------------------------------------------------------------


async def test_legacy_protocol_receives_the_same_events(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    cursor = await company.cursor()
    variables = board_variables(visit.day, cursor)
    async with (
        GraphQLSocket.open(server.ws_url) as modern,
        GraphQLSocket.open(server.ws_url, LEGACY_WS) as legacy,
    ):
        await modern.init(company.tenant.token)
        await legacy.init(company.tenant.token)
        # Keep-alive: strawberry sends "ka" right after the ack, then every 15 s.
        assert (await legacy.receive())["type"] == "ka"
        await modern.subscribe("1", BOARD_SUBSCRIPTION, variables)
        await legacy.subscribe("1", BOARD_SUBSCRIPTION, variables)

        types = await company.office.advance(visit, 3)
        modern_events = await modern.events("1", 3)
        legacy_events = await legacy.events("1", 3)

        assert [e["type"] for e in legacy_events] == types
        assert legacy_events == modern_events

        await legacy.complete("1")
        await legacy.send({"type": "connection_terminate"})
        assert await legacy.close_code() == 1000


async def test_legacy_protocol_bad_token_gets_connection_error(server: ServerProcess) -> None:
    async with GraphQLSocket.open(server.ws_url, LEGACY_WS) as socket:
        await socket.send(
            {"type": "connection_init", "payload": {"authorization": "Bearer opus_nope"}}
        )
        message = await socket.receive()

        assert message["type"] == "connection_error"
        assert await socket.close_code() == 1011


# --- what dispatchEvents and jobEvents deliver --------------------------------------------------


async def test_dispatch_events_arrive_in_order_with_their_fields(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    actor = await company.office.actor_name()
    cursor = await company.cursor()
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        received = []
        # One at a time, so `visit { status }` (the visit as it is now) is that event's status.
        for _ in range(4):
            before = datetime.now(UTC)
            [event_type] = await company.office.advance(visit)
            [event] = await socket.events("1", 1)
            received.append(event)

            assert event["type"] == event_type
            assert event["visit"] == {"id": visit.id, "status": visit.status}
            assert event["job"] == {"id": visit.job_id, "number": visit.job_number}
            assert event["actor"] == actor
            at = datetime.fromisoformat(event["at"])
            assert before - timedelta(seconds=1) <= at <= datetime.now(UTC)

    assert [e["type"] for e in received] == [
        "visit.en_route",
        "visit.arrived",
        "visit.working",
        "visit.paused",
    ]
    ordered = positions(received)
    assert ordered == sorted(ordered) and len(set(ordered)) == 4
    assert datetime.fromisoformat(received[0]["at"]) <= datetime.fromisoformat(received[-1]["at"])


async def test_dispatch_events_only_for_the_requested_day(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    cursor = await company.cursor()
    other_day = visit.day + timedelta(days=1)
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("other", BOARD_SUBSCRIPTION, board_variables(other_day, cursor))
        await socket.subscribe("today", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        await company.office.advance(visit, 2)
        assert len(await socket.events("today", 2)) == 2
        await socket.ping()

        assert socket.unread.get("other", []) == []


async def test_technician_receives_only_events_of_their_own_visits(
    server: ServerProcess, company: Company
) -> None:
    office = company.office
    mine = await office.technician(with_login=True)
    other = await office.technician()
    theirs = await office.visit([other])
    shared = await office.visit([other, mine])
    own = await office.visit([mine])
    cursor = await company.cursor()
    async with GraphQLSocket.open(server.ws_url) as socket:
        assert mine.token is not None
        await socket.init(mine.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, board_variables(own.day, cursor))
        # Positions follow commit order, so the others' events come first if they come at all.
        await office.advance(theirs, 2)
        await office.advance(shared)
        await office.advance(own, 2)
        await office.advance(theirs)
        await office.advance(own)
        events = await socket.events("1", 4)

    assert [(e["visit"]["id"], e["type"]) for e in events] == [
        (shared.id, "visit.en_route"),
        (own.id, "visit.en_route"),
        (own.id, "visit.arrived"),
        (own.id, "visit.working"),
    ]


async def test_a_company_never_receives_another_companys_events(
    server: ServerProcess, company: Company, api: Api, database_url: str
) -> None:
    tenant_b = await create_tenant(database_url)
    office_b = Office(api, tenant_b.token)
    visit_a = await company.office.visit()
    visit_b = await office_b.visit()
    cursor_a = await company.cursor()
    cursor_b = await settled_cursor(database_url, tenant_b.company_id)
    async with (
        GraphQLSocket.open(server.ws_url) as socket_a,
        GraphQLSocket.open(server.ws_url) as socket_b,
    ):
        await socket_a.init(company.tenant.token)
        await socket_b.init(tenant_b.token)
        await socket_a.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit_a.day, cursor_a))
        await socket_b.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit_b.day, cursor_b))
        # B's cursor is a position in the one stream every company shares; it must not let B
        # replay A's events either.
        await socket_b.subscribe("2", BOARD_SUBSCRIPTION, board_variables(visit_a.day, cursor_a))
        await socket_b.subscribe("3", JOB_SUBSCRIPTION, {"jobId": visit_a.job_id})
        refused = await socket_b.message("3")
        assert refused["type"] == "next" and refused["payload"]["data"] is None, refused
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await socket_b.message("3"))["type"] == "complete"

        await company.office.advance(visit_a, 3)
        assert len(await socket_a.events("1", 3)) == 3
        await office_b.advance(visit_b)
        [event_b] = await socket_b.events("1", 1)
        replayed_b = await socket_b.events("2", 2)

    assert (event_b["visit"]["id"], event_b["type"]) == (visit_b.id, "visit.en_route")
    # From A's cursor: B's own visit.created (made after it), then the live event; none of A's.
    assert [(e["visit"]["id"], e["type"]) for e in replayed_b] == [
        (visit_b.id, "visit.created"),
        (visit_b.id, "visit.en_route"),
    ]
    assert replayed_b[1] == event_b


async def test_job_events_only_for_that_job(server: ServerProcess, company: Company) -> None:
    office = company.office
    job = await office.job()
    first = await office.visit(job=job)
    second = await office.visit(job=job)
    elsewhere = await office.visit()
    cursor = await company.cursor()
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", JOB_SUBSCRIPTION, {"jobId": job[0], "after": cursor})
        await office.advance(elsewhere)
        await office.advance(first)
        await office.advance(elsewhere)
        await office.advance(second, 2)
        events = await socket.events("1", 4)

    assert [(e["visit"] and e["visit"]["id"], e["type"]) for e in events] == [
        (first.id, "visit.en_route"),
        (None, "job.status_changed"),
        (second.id, "visit.en_route"),
        (second.id, "visit.arrived"),
    ]
    assert {e["job"]["number"] for e in events} == {job[1]}


# --- resuming -----------------------------------------------------------------------------------


async def test_resume_after_cursor_misses_nothing_and_repeats_nothing(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    cursor = await company.cursor()
    variables = board_variables(visit.day, cursor)
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, variables)
        first_types = await company.office.advance(visit, 3)
        first = await socket.events("1", 3)
    assert [e["type"] for e in first] == first_types

    # Nobody listens now; these commit and are published to no one (or still in flight).
    missed_types = await company.office.advance(visit, 5)

    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, {**variables, "after": first[-1]["cursor"]})
        missed = await socket.events("1", 5)
        live_types = await company.office.advance(visit, 2)
        live = await socket.events("1", 2)

    assert [e["type"] for e in missed] == missed_types
    assert [e["type"] for e in live] == live_types
    everything = positions(first + missed + live)
    assert everything == sorted(everything)
    assert len(set(everything)) == 10


async def test_events_made_while_nobody_listens_are_replayed_in_order(
    server: ServerProcess, company: Company
) -> None:
    visit = await company.office.visit()
    job_visit = await company.office.visit()
    cursor = await company.cursor()
    made = await company.office.advance(visit, 4)
    job_made = await company.office.advance(job_visit, 2)
    # Published to the bus (to no subscriber) and marked so: only the table has them now.
    await company.cursor()
    async with GraphQLSocket.open(server.ws_url) as socket:
        await socket.init(company.tenant.token)
        await socket.subscribe("1", BOARD_SUBSCRIPTION, board_variables(visit.day, cursor))
        await socket.subscribe("2", JOB_SUBSCRIPTION, {"jobId": job_visit.job_id, "after": cursor})
        board = await socket.events("1", 6)
        job = await socket.events("2", 3)
        more = await company.office.advance(visit)
        live = await socket.events("1", 1)

    assert [e["type"] for e in board] == made + job_made
    assert [e["visit"]["id"] for e in board] == [visit.id] * 4 + [job_visit.id] * 2
    assert [e["type"] for e in job] == ["visit.en_route", "job.status_changed", "visit.arrived"]
    assert [job[0], job[2]] == board[4:]
    assert [e["type"] for e in live] == more
    assert positions(board + live) == sorted(positions(board + live))


# --- the reference client -----------------------------------------------------------------------


def _node_client_ready() -> bool:
    if shutil.which("node") is None:
        return False
    if not (WS_CLIENT / "node_modules" / "graphql-ws").is_dir() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--prefix", str(WS_CLIENT), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return (WS_CLIENT / "node_modules" / "graphql-ws").is_dir()


async def test_reference_graphql_ws_client_receives_events(
    server: ServerProcess, company: Company
) -> None:
    if not await asyncio.to_thread(_node_client_ready):
        pytest.skip("node or tests/ws_client/node_modules is missing (npm ci --prefix ...)")
    visit = await company.office.visit()
    cursor = await company.cursor()
    process = await asyncio.create_subprocess_exec(
        "node", str(WS_CLIENT / "client.mjs"), server.ws_url, company.tenant.token,
        BOARD_SUBSCRIPTION, json.dumps(board_variables(visit.day, cursor)), "3",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None

    async def line() -> dict[str, Any]:
        raw = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)  # type: ignore[union-attr]
        assert raw, "node client ended early"
        return json.loads(raw)

    try:
        assert await line() == {"connected": True}
        types = await company.office.advance(visit, 3)
        results = [await line() for _ in range(3)]
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    events = [r["next"]["data"]["dispatchEvents"] for r in results]
    assert [e["type"] for e in events] == types
    assert [e["visit"]["status"] for e in events][-1] == visit.status
    assert positions(events) == sorted(positions(events))


# --- the per-process snapshot cache (in-process) -----------------------------------------------


async def test_snapshot_load_survives_its_first_subscriber_disconnecting() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    loads: list[int] = []

    class SlowSnapshots(Snapshots):
        async def _load(self, message: dict[str, Any]) -> Snapshot:
            loads.append(message["id"])
            started.set()
            await release.wait()
            return Snapshot(message=message, event=None, visit=None, job=None)

    snapshots = SlowSnapshots(engine=None)  # type: ignore[arg-type]
    message = {"id": 7}
    first = asyncio.create_task(snapshots.get(message))
    await asyncio.wait_for(started.wait(), TIMEOUT)
    second = asyncio.create_task(snapshots.get(message))
    await asyncio.sleep(0)  # let it start waiting on the shared load
    # The first subscriber's websocket closes: strawberry cancels its operation.
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()

    assert (await asyncio.wait_for(second, TIMEOUT)).message == message
    assert (await snapshots.get(message)).message == message
    assert loads == [7]


async def test_snapshot_load_that_failed_is_tried_again() -> None:
    attempts: list[int] = []

    class FlakySnapshots(Snapshots):
        async def _load(self, message: dict[str, Any]) -> Snapshot:
            attempts.append(message["id"])
            if len(attempts) == 1:
                raise ConnectionError("database went away")
            return Snapshot(message=message, event=None, visit=None, job=None)

    snapshots = FlakySnapshots(engine=None)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await snapshots.get({"id": 1})

    assert (await snapshots.get({"id": 1})).message == {"id": 1}
    assert attempts == [1, 1]
