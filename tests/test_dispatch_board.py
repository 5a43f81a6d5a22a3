"""The day board and technician routes: lanes, lateness, ETAs, alerts and what each viewer sees.

Every company here lives in a time zone where it is about noon when the tests run, so "today"
has hours behind and ahead of it whatever the time of day in UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from db.session import system_session
from db.tenants import create_company
from resolvers import dispatch_rules as rules
from tests import factories
from tests.conftest import GraphQLClient, Tenant

BOARD = """
query ($date: Date!) {
  dispatchBoard(date: $date) {
    date
    lanes { technician { id name } visits { id status start isLate lateByMinutes eta } }
    unassigned { id status start isLate lateByMinutes eta }
  }
}
"""
# Every field of a visit a dispatch screen shows, to catch a statement per row anywhere.
FULL_BOARD = """
query ($date: Date!) {
  dispatchBoard(date: $date) {
    lanes {
      technician { id name color homeBase { lat lng } }
      visits { ...Card }
    }
    unassigned { ...Card }
  }
}
fragment Card on Visit {
  id status start end arrivalWindowStart arrivalWindowEnd version
  eta lateByMinutes isLate
  technicians { id name }
  availableTransitions { to allowed }
  timings { travelMinutes onSiteMinutes }
  job { id number title status customer { name } location { address lat lng } }
}
"""
ROUTE = """
query ($technicianId: ID!, $date: Date!) {
  technicianRoute(technicianId: $technicianId, date: $date) {
    date
    origin { lat lng }
    technician { id }
    stops { sequence eta distanceKm lateByMinutes isLate visit { id status } }
    nextVisit { id }
  }
}
"""
VISIT_TRANSITION = """
mutation ($input: VisitTransitionInput!) {
  visitTransition(input: $input) { visit { id status } errors { code message } }
}
"""
VISIT_CANCEL = """
mutation ($input: VisitCancelInput!) {
  visitCancel(input: $input) { visit { id status } errors { code message } }
}
"""
TECHNICIAN_UPDATE = """
mutation ($input: TechnicianUpdateInput!) {
  technicianUpdate(input: $input) { technician { id active } errors { code message } }
}
"""
JOB_TIMELINE = """
query ($id: ID!) {
  node(id: $id) { ... on Job { timeline(first: 100) { nodes { type payload } } } }
}
"""

DENVER = {"lat": 39.7392, "lng": -104.9903}
BOULDER = {"lat": 40.0150, "lng": -105.2705}
GOLDEN = {"lat": 39.7555, "lng": -105.2211}
COLORADO_SPRINGS = {"lat": 38.8339, "lng": -104.8214}
SPEED_KMH = 40  # the service's default average speed


def km(a: dict[str, float], b: dict[str, float]) -> float:
    return rules.great_circle_km(a["lat"], a["lng"], b["lat"], b["lng"])


def midday_zone() -> str:
    """An IANA zone where it is now between 12:00 and 13:00."""
    offset = 12 - datetime.now(UTC).hour
    if offset == 0:
        return "UTC"
    # POSIX sign convention: Etc/GMT-5 is five hours ahead of UTC.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def midday_company(system_engine: Any) -> Tenant:
    name = f"Board {uuid.uuid4().hex[:6]}"
    async with system_session(system_engine) as db:
        company_id, user_id, token = await create_company(
            db,
            name,
            f"admin-{uuid.uuid4().hex[:10]}@example.com",
            factories.PASSWORD,
            timezone=midday_zone(),
        )
    return Tenant(company_id, user_id, token, name)


@pytest.fixture(scope="module")
async def tenant(system_engine: Any) -> Tenant:
    """A company shared by the tests that look up their own visits, not the whole board."""
    return await midday_company(system_engine)


@pytest.fixture(scope="module")
async def ann(client: Any, tenant: Tenant) -> dict[str, Any]:
    """A signed-in technician of the shared company."""
    made = await factories.make_technician_user(GraphQLClient(client), tenant.token)
    return {"id": made["technician"]["id"], "token": made["token"]}


def today() -> date:
    return datetime.now(ZoneInfo(midday_zone())).date()


def local(day: date, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=ZoneInfo(midday_zone()))


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


async def ok(gql: Any, document: str, token: str, **input: Any) -> dict[str, Any]:
    result = await gql(document, {"input": input}, token=token)
    assert "errors" not in result, result
    [payload] = result["data"].values()
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


async def make_job(gql: Any, tenant: Tenant, place: dict[str, float] | None = None) -> str:
    customer = await factories.make_customer(gql, tenant.token)
    extra = {}
    if place is not None:
        location = await factories.make_location(gql, tenant.token, customer["id"], **place)
        extra["locationId"] = location["id"]
    job = await factories.make_job(gql, tenant.token, customer["id"], **extra)
    return job["id"]  # type: ignore[no-any-return]


async def make_technician(gql: Any, tenant: Tenant, name: str, home: Any = None) -> str:
    made = await factories.make_technician(gql, tenant.token, name=name, homeBase=home)
    return made["id"]  # type: ignore[no-any-return]


async def make_visit(
    gql: Any,
    tenant: Tenant,
    job: str,
    technicians: list[str],
    start: datetime,
    end: datetime,
    window: tuple[datetime, datetime] | None = None,
) -> str:
    data: dict[str, Any] = {
        "jobId": job,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "technicianIds": technicians,
        "allowOverlap": True,
    }
    if window is not None:
        data["arrivalWindowStart"] = window[0].isoformat()
        data["arrivalWindowEnd"] = window[1].isoformat()
    payload = await ok(gql, factories.VISIT_CREATE, tenant.token, **data)
    return payload["visit"]["id"]  # type: ignore[no-any-return]


async def board(gql: Any, token: str, day: date | None = None) -> dict[str, Any]:
    result = await gql(BOARD, {"date": (day or today()).isoformat()}, token=token)
    assert "errors" not in result, result
    return result["data"]["dispatchBoard"]  # type: ignore[no-any-return]


def cards(day_board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every visit on the board by id."""
    found = {v["id"]: v for v in day_board["unassigned"]}
    for lane in day_board["lanes"]:
        found.update({v["id"]: v for v in lane["visits"]})
    return found


async def route(gql: Any, token: str, technician: str) -> dict[str, Any] | None:
    variables = {"technicianId": technician, "date": today().isoformat()}
    result = await gql(ROUTE, variables, token=token)
    assert "errors" not in result, result
    return result["data"]["technicianRoute"]  # type: ignore[no-any-return]


# --- lanes ---------------------------------------------------------------------------------------


async def test_lanes_per_active_technician_in_start_order(gql, system_engine):
    # given Bea and Cy active, Zed inactive, and visits across today and tomorrow
    tenant = await midday_company(system_engine)
    day = today()
    job = await make_job(gql, tenant)
    bea = await make_technician(gql, tenant, "Bea")
    cy = await make_technician(gql, tenant, "Cy")
    zed = await make_technician(gql, tenant, "Zed")
    await ok(gql, TECHNICIAN_UPDATE, tenant.token, id=zed, active=False)
    bea_late = await make_visit(gql, tenant, job, [bea], local(day, "15:00"), local(day, "16:00"))
    bea_early = await make_visit(gql, tenant, job, [bea], local(day, "08:00"), local(day, "09:00"))
    both = await make_visit(gql, tenant, job, [bea, cy], local(day, "10:00"), local(day, "11:00"))
    nobody = await make_visit(gql, tenant, job, [], local(day, "11:00"), local(day, "12:00"))
    cancelled = await make_visit(gql, tenant, job, [cy], local(day, "13:00"), local(day, "14:00"))
    await ok(gql, VISIT_CANCEL, tenant.token, visitId=cancelled)
    tomorrow = day + timedelta(days=1)
    await make_visit(gql, tenant, job, [cy], local(tomorrow, "00:30"), local(tomorrow, "01:00"))
    # when the office opens today's board
    today_board = await board(gql, tenant.token, day)
    # then one lane per active technician by name, visits in start order, cancelled ones gone
    assert today_board["date"] == day.isoformat()
    lanes = [
        (lane["technician"]["name"], [v["id"] for v in lane["visits"]])
        for lane in today_board["lanes"]
    ]
    assert lanes == [("Bea", [bea_early, both, bea_late]), ("Cy", [both])]
    assert [v["id"] for v in today_board["unassigned"]] == [nobody]


async def test_visits_of_a_deactivated_technician_stay_on_the_board(gql, system_engine):
    # given a visit of Dee today, and Dee deactivated afterwards
    tenant = await midday_company(system_engine)
    day = today()
    job = await make_job(gql, tenant)
    dee = await make_technician(gql, tenant, "Dee")
    visit = await make_visit(gql, tenant, job, [dee], local(day, "16:00"), local(day, "17:00"))
    await ok(gql, TECHNICIAN_UPDATE, tenant.token, id=dee, active=False)
    # when the office opens today's board
    today_board = await board(gql, tenant.token, day)
    # then Dee keeps a lane for it, so the dispatcher can see and reassign it
    lanes = [
        (lane["technician"]["id"], [v["id"] for v in lane["visits"]])
        for lane in today_board["lanes"]
    ]
    assert lanes == [(dee, [visit])]


# --- lateness ------------------------------------------------------------------------------------


async def test_a_window_closed_without_arrival_is_late(gql, tenant):
    # given an unassigned visit whose arrival window closed 30 minutes ago
    now = datetime.now(UTC)
    job = await make_job(gql, tenant)
    window = (now - timedelta(hours=2), now - timedelta(minutes=30))
    visit = await make_visit(gql, tenant, job, [], window[0], now + timedelta(hours=1), window)
    # when the board is opened
    card = cards(await board(gql, tenant.token))[visit]
    # then it is late by at least those 30 minutes
    assert card["isLate"] is True
    assert 30 <= card["lateByMinutes"] <= 32


async def test_a_visit_projected_to_miss_its_window_is_late(gql, tenant):
    # given Pat at home in Denver, due in Colorado Springs (2.5 hours away) within 20 minutes
    now = datetime.now(UTC)
    pat = await make_technician(gql, tenant, "Pat", DENVER)
    job = await make_job(gql, tenant, COLORADO_SPRINGS)
    window = (now - timedelta(minutes=10), now + timedelta(minutes=20))
    visit = await make_visit(gql, tenant, job, [pat], window[0], now + timedelta(hours=1), window)
    # when the board is opened
    card = cards(await board(gql, tenant.token))[visit]
    # then the ETA is the drive from home and the visit is late by the ETA, not by the clock
    drive = timedelta(hours=km(DENVER, COLORADO_SPRINGS) / SPEED_KMH)
    assert abs(when(card["eta"]) - (now + drive)) < timedelta(minutes=2)
    assert card["isLate"] is True
    expected = (drive - timedelta(minutes=20)).total_seconds() / 60
    assert abs(card["lateByMinutes"] - expected) <= 2


async def test_an_arrived_visit_is_not_late(gql, tenant):
    # given Quinn who arrived after the window had closed
    now = datetime.now(UTC)
    quinn = await make_technician(gql, tenant, "Quinn", DENVER)
    job = await make_job(gql, tenant, BOULDER)
    window = (now - timedelta(hours=2), now - timedelta(minutes=30))
    visit = await make_visit(gql, tenant, job, [quinn], window[0], now + timedelta(hours=1), window)
    for status in ("EN_ROUTE", "ARRIVED"):
        await ok(gql, VISIT_TRANSITION, tenant.token, visitId=visit, to=status)
    # when the board is opened
    card = cards(await board(gql, tenant.token))[visit]
    # then the visit is reached: no ETA and not late
    assert (card["status"], card["isLate"], card["lateByMinutes"], card["eta"]) == (
        "ARRIVED",
        False,
        0,
        None,
    )


async def test_a_visit_with_time_to_spare_is_not_late(gql, tenant):
    now = datetime.now(UTC)
    job = await make_job(gql, tenant)
    window = (now + timedelta(hours=1), now + timedelta(hours=2))
    visit = await make_visit(gql, tenant, job, [], window[0], window[1], window)
    card = cards(await board(gql, tenant.token))[visit]
    assert (card["isLate"], card["lateByMinutes"]) == (False, 0)


async def test_running_late_is_raised_once(gql, tenant):
    # given a visit whose window closed 30 minutes ago
    now = datetime.now(UTC)
    job = await make_job(gql, tenant)
    window = (now - timedelta(hours=2), now - timedelta(minutes=30))
    visit = await make_visit(gql, tenant, job, [], window[0], now + timedelta(hours=1), window)
    # when the board is looked at three times
    for _ in range(3):
        assert cards(await board(gql, tenant.token))[visit]["isLate"] is True
    # then the job's timeline tells it once
    result = await gql(JOB_TIMELINE, {"id": job}, token=tenant.token)
    alerts = [
        e for e in result["data"]["node"]["timeline"]["nodes"] if e["type"] == "visit.running_late"
    ]
    assert len(alerts) == 1
    assert alerts[0]["payload"]["visitId"] == visit
    assert alerts[0]["payload"]["lateByMinutes"] >= 30


# --- routes --------------------------------------------------------------------------------------


async def test_a_technician_route_with_etas(gql, tenant):
    # given Rex, at home in Denver, due in Boulder from in two hours, then in Golden
    now = datetime.now(UTC).replace(microsecond=0)
    rex = await make_technician(gql, tenant, "Rex", DENVER)
    boulder_job = await make_job(gql, tenant, BOULDER)
    golden_job = await make_job(gql, tenant, GOLDEN)
    opens = now + timedelta(hours=2)
    boulder = await make_visit(
        gql, tenant, boulder_job, [rex], opens, opens + timedelta(hours=1), (opens, opens)
    )
    golden_start = opens + timedelta(hours=2)
    golden = await make_visit(
        gql, tenant, golden_job, [rex], golden_start, golden_start + timedelta(hours=1)
    )
    # when the office looks at his route
    planned = await route(gql, tenant.token, rex)
    # then he starts from home, waits for the Boulder window, and drives on to Golden after it
    assert planned is not None
    assert (planned["technician"]["id"], planned["date"]) == (rex, today().isoformat())
    assert planned["origin"] == DENVER
    first, second = planned["stops"]
    assert (first["sequence"], first["visit"]["id"]) == (1, boulder)
    assert first["distanceKm"] == pytest.approx(km(DENVER, BOULDER), abs=0.01)
    assert when(first["eta"]) == opens
    assert (second["sequence"], second["visit"]["id"]) == (2, golden)
    assert second["distanceKm"] == pytest.approx(km(BOULDER, GOLDEN), abs=0.01)
    drive = timedelta(hours=km(BOULDER, GOLDEN) / SPEED_KMH)
    assert abs(when(second["eta"]) - (opens + timedelta(hours=1) + drive)) < timedelta(seconds=1)
    assert not first["isLate"] and not second["isLate"]
    assert planned["nextVisit"] == {"id": boulder}

    # when he arrives in Boulder, the stop has no ETA and is still where he is
    for status in ("EN_ROUTE", "ARRIVED"):
        await ok(gql, VISIT_TRANSITION, tenant.token, visitId=boulder, to=status)
    planned = await route(gql, tenant.token, rex)
    assert planned is not None
    assert planned["stops"][0]["eta"] is None
    assert planned["nextVisit"] == {"id": boulder}

    # when he leaves Boulder, Golden is next, driven to from Boulder
    await ok(gql, VISIT_TRANSITION, tenant.token, visitId=boulder, to="WORKING")
    await ok(
        gql, VISIT_TRANSITION, tenant.token, visitId=boulder, to="DEPARTED", outcome="FINISHED"
    )
    planned = await route(gql, tenant.token, rex)
    assert planned is not None
    assert planned["nextVisit"] == {"id": golden}
    assert planned["stops"][1]["distanceKm"] == pytest.approx(km(BOULDER, GOLDEN), abs=0.01)
    assert when(planned["stops"][1]["eta"]) > now


async def test_a_technician_sees_only_their_own_lane_and_route(gql, tenant, ann):
    # given a visit of Ann, a visit of Ben and an unassigned visit today
    now = datetime.now(UTC)
    job = await make_job(gql, tenant)
    ben = await make_technician(gql, tenant, "Ben")
    start, end = now + timedelta(hours=3), now + timedelta(hours=4)
    hers = await make_visit(gql, tenant, job, [ann["id"]], start, end)
    his = await make_visit(gql, tenant, job, [ben], start, end)
    nobodys = await make_visit(gql, tenant, job, [], start, end)
    # when Ann opens the board
    own_board = await board(gql, ann["token"])
    # then she sees her lane alone, with her visits, and no unassigned work
    [lane] = own_board["lanes"]
    assert lane["technician"]["id"] == ann["id"]
    assert hers in [v["id"] for v in lane["visits"]]
    assert own_board["unassigned"] == []
    assert his not in cards(own_board) and nobodys not in cards(own_board)
    # and her own route, but not Ben's
    mine = await route(gql, ann["token"], ann["id"])
    assert mine is not None
    assert hers in [s["visit"]["id"] for s in mine["stops"]]
    assert await route(gql, ann["token"], ben) is None
    # while the office sees both
    office = cards(await board(gql, tenant.token))
    assert {hers, his, nobodys} <= set(office)
    assert await route(gql, tenant.token, ben) is not None


async def test_a_route_of_another_company_is_null(gql, tenant, system_engine):
    stranger_company = await midday_company(system_engine)
    stranger = await make_technician(gql, stranger_company, "Stranger", DENVER)
    assert await route(gql, tenant.token, stranger) is None


# --- statements ----------------------------------------------------------------------------------


async def test_board_statements_do_not_grow_with_visits(gql, system_engine):
    # given three technicians with 3 visits on one day and 30 on the next
    tenant = await midday_company(system_engine)
    technicians = [
        await make_technician(gql, tenant, name, DENVER) for name in ("Ava", "Bo", "Cal")
    ]
    jobs = [await make_job(gql, tenant, place) for place in (BOULDER, GOLDEN, COLORADO_SPRINGS)]
    small, large = today() + timedelta(days=1), today() + timedelta(days=2)
    for day, count in ((small, 3), (large, 30)):
        for n in range(count):
            start = local(day, "07:00") + timedelta(minutes=30 * (n // 3))
            crew = [technicians[n % 3]] if n % 5 else []
            window = (start, start + timedelta(minutes=30))
            await make_visit(
                gql, tenant, jobs[n % 3], crew, start, start + timedelta(minutes=20), window
            )

    async def statements(day: date) -> tuple[int, int]:
        result = await gql(FULL_BOARD, {"date": day.isoformat()}, token=tenant.token)
        assert "errors" not in result, result
        shown = cards(result["data"]["dispatchBoard"])
        return gql.statements, len(shown)

    # when each day's board is opened
    small_count, small_visits = await statements(small)
    large_count, large_visits = await statements(large)
    # then both cost the same number of statements
    assert (small_visits, large_visits) == (3, 30)
    assert small_count == large_count
