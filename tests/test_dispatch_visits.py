"""Visits through the GraphQL API: scheduling, crew, the dispatch state machine and its races."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from db.session import system_session
from db.tenants import create_company
from resolvers import dispatch_rules as rules
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import GraphQLClient, Tenant

TECHNICIAN_UPDATE = """
mutation ($input: TechnicianUpdateInput!) {
  technicianUpdate(input: $input) { technician { id active } errors { code message } }
}
"""
VISIT_PAYLOAD = """
  visit {
    id status statusReason version start end arrivalWindowStart arrivalWindowEnd
    technicians { id }
    job { id status }
  }
  event { type payload sequence actor { id } }
  errors { code message field }
"""
VISIT_CREATE = (
    "mutation ($input: VisitCreateInput!) { visitCreate(input: $input) {" + VISIT_PAYLOAD + "} }"
)
VISIT_RESCHEDULE = (
    "mutation ($input: VisitRescheduleInput!) { visitReschedule(input: $input) {"
    + VISIT_PAYLOAD
    + "} }"
)
VISIT_ASSIGN = (
    "mutation ($input: VisitAssignInput!) { visitAssign(input: $input) {" + VISIT_PAYLOAD + "} }"
)
VISIT_CANCEL = (
    "mutation ($input: VisitCancelInput!) { visitCancel(input: $input) {" + VISIT_PAYLOAD + "} }"
)
VISIT_TRANSITION = (
    "mutation ($input: VisitTransitionInput!) { visitTransition(input: $input) {"
    + VISIT_PAYLOAD
    + "} }"
)
VISIT = """
query ($id: ID!) {
  node(id: $id) {
    ... on Visit {
      id status version
      availableTransitions { to allowed reason requiresReason requiresOutcome }
    }
  }
}
"""
JOB_TIMELINE = """
query ($id: ID!) {
  node(id: $id) {
    ... on Job { status timeline(first: 100) { nodes { type payload sequence } } }
  }
}
"""

MONDAY = datetime(2031, 5, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
async def tenant(system_engine: Any) -> Tenant:
    """One company for this module's tests; each test builds its own jobs and visits in it."""
    async with system_session(system_engine) as db:
        company_id, user_id, token = await create_company(
            db, "Visits Ltd", f"admin-{uuid.uuid4().hex[:10]}@example.com", factories.PASSWORD
        )
    return Tenant(company_id, user_id, token, "Visits Ltd")


@pytest.fixture(scope="module")
async def other(system_engine: Any) -> Tenant:
    """Another company, whose rows the tenant must never reach."""
    async with system_session(system_engine) as db:
        company_id, user_id, token = await create_company(
            db, "Others Ltd", f"admin-{uuid.uuid4().hex[:10]}@example.com", factories.PASSWORD
        )
    return Tenant(company_id, user_id, token, "Others Ltd")


@pytest.fixture(scope="module")
async def ann(client: Any, tenant: Tenant) -> tuple[str, str]:
    """A signed-in technician of the tenant: (technician id, token)."""
    made = await factories.make_technician_user(GraphQLClient(client), tenant.token)
    return made["technician"]["id"], made["token"]


@pytest.fixture(scope="module")
async def bob(client: Any, tenant: Tenant) -> tuple[str, str]:
    made = await factories.make_technician_user(GraphQLClient(client), tenant.token)
    return made["technician"]["id"], made["token"]


def at(hours: float, day: datetime = MONDAY) -> str:
    return (day + timedelta(hours=hours)).isoformat()


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def run(gql: Any, document: str, token: str, **input: Any) -> dict[str, Any]:
    """The payload of the one mutation in `document`, whatever its errors."""
    result = await gql(document, {"input": input}, token=token)
    assert "errors" not in result, result
    [payload] = result["data"].values()
    return payload  # type: ignore[no-any-return]


async def succeed(gql: Any, document: str, token: str, **input: Any) -> dict[str, Any]:
    payload = await run(gql, document, token, **input)
    assert payload["errors"] == [], payload["errors"]
    return payload


def error_of(payload: dict[str, Any]) -> dict[str, Any]:
    [error] = payload["errors"]
    assert payload["visit"] is None
    return error  # type: ignore[no-any-return]


async def make_job(gql: Any, tenant: Tenant) -> str:
    return (await factories.make_job(gql, tenant.token))["id"]  # type: ignore[no-any-return]


async def make_technician(gql: Any, tenant: Tenant, name: str = "Ann") -> str:
    made = await factories.make_technician(gql, tenant.token, name=name)
    return made["id"]  # type: ignore[no-any-return]


async def make_visit(
    gql: Any, tenant: Tenant, job: str, technicians: list[str], start: float = 9, hours: float = 2
) -> str:
    """A visit on MONDAY from `start` o'clock; booked even when the technicians are busy then."""
    made = await factories.make_visit(
        gql, tenant.token, job, technicians, MONDAY + timedelta(hours=start), hours
    )
    return made["id"]  # type: ignore[no-any-return]


async def timeline(gql: Any, tenant: Tenant, job: str) -> tuple[str, list[dict[str, Any]]]:
    """(job status, its timeline events oldest first)."""
    result = await gql(JOB_TIMELINE, {"id": job}, token=tenant.token)
    node = result["data"]["node"]
    return node["status"], node["timeline"]["nodes"]


def of_visit(events: list[dict[str, Any]], visit: str) -> list[dict[str, Any]]:
    return [e for e in events if e["payload"].get("visitId") == visit]


async def move(gql: Any, token: str, visit: str, to: str, **extra: Any) -> dict[str, Any]:
    return await run(gql, VISIT_TRANSITION, token, visitId=visit, to=to, **extra)


# --- visitCreate ---------------------------------------------------------------------------


async def test_a_visit_schedules_its_job(gql, tenant):
    # given an unscheduled job and a technician
    job = await make_job(gql, tenant)
    ann = await make_technician(gql, tenant, "Ann")
    assert (await timeline(gql, tenant, job))[0] == "UNSCHEDULED"
    # when a visit is created with an arrival window
    payload = await succeed(
        gql,
        VISIT_CREATE,
        tenant.token,
        jobId=job,
        start=at(9),
        end=at(11),
        arrivalWindowStart=at(9),
        arrivalWindowEnd=at(10),
        technicianIds=[ann],
    )
    # then the visit is SCHEDULED at version 1 and the job is SCHEDULED
    visit = payload["visit"]
    assert (visit["status"], visit["version"]) == ("SCHEDULED", 1)
    assert visit["technicians"] == [{"id": ann}]
    assert when(visit["start"]) == MONDAY + timedelta(hours=9)
    assert when(visit["arrivalWindowEnd"]) == MONDAY + timedelta(hours=10)
    assert visit["job"] == {"id": job, "status": "SCHEDULED"}
    assert payload["event"]["type"] == "visit.created"
    assert payload["event"]["payload"]["technicianIds"] == [ann]
    status, events = await timeline(gql, tenant, job)
    assert status == "SCHEDULED"
    assert [e["type"] for e in of_visit(events, visit["id"])] == ["visit.created"]
    assert events[-1]["type"] == "job.status_changed"
    assert events[-1]["payload"] == {"from": "UNSCHEDULED", "to": "SCHEDULED"}


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"start": at(11), "end": at(9)}, "end"),
        ({"start": at(9), "end": at(9)}, "end"),
        ({"start": at(9), "end": at(11), "arrivalWindowStart": at(9)}, "arrivalWindowStart"),
        ({"start": at(9), "end": at(11), "arrivalWindowEnd": at(10)}, "arrivalWindowStart"),
        (
            {
                "start": at(9),
                "end": at(11),
                "arrivalWindowStart": at(10),
                "arrivalWindowEnd": at(9),
            },
            "arrivalWindowEnd",
        ),
        ({"start": "2031-05-05T09:00:00", "end": at(11)}, "start"),
    ],
    ids=[
        "end-before-start",
        "no-length",
        "window-end-missing",
        "window-start-missing",
        "window-backwards",
        "no-utc-offset",
    ],
)
async def test_visit_times_are_validated(gql, tenant, times, field):
    # given a job
    job = await make_job(gql, tenant)
    # when a visit with impossible times is created
    payload = await run(gql, VISIT_CREATE, tenant.token, jobId=job, **times)
    # then VALIDATION on the field at fault, and the job is untouched
    error = error_of(payload)
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", field])
    status, events = await timeline(gql, tenant, job)
    assert status == "UNSCHEDULED"
    assert not [e for e in events if e["type"].startswith("visit.")]


async def test_a_job_of_another_company_is_not_found(gql, tenant, other):
    # given a job of another company
    foreign_job = await make_job(gql, other)
    # when the tenant creates a visit for it
    payload = await run(gql, VISIT_CREATE, tenant.token, jobId=foreign_job, start=at(9), end=at(10))
    # then NOT_FOUND, and nothing happened to the other company's job
    error = error_of(payload)
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "jobId"])
    assert (await timeline(gql, other, foreign_job))[0] == "UNSCHEDULED"


async def test_only_active_technicians_of_the_company_can_be_booked(gql, tenant, other):
    # given an inactive technician and a technician of another company
    job = await make_job(gql, tenant)
    retired = await make_technician(gql, tenant, "Retired")
    await succeed(gql, TECHNICIAN_UPDATE, tenant.token, id=retired, active=False)
    stranger = await make_technician(gql, other, "Stranger")
    for technician in (retired, stranger):
        # when either is booked
        payload = await run(
            gql,
            VISIT_CREATE,
            tenant.token,
            jobId=job,
            start=at(9),
            end=at(10),
            technicianIds=[technician],
        )
        # then NOT_FOUND on technicianIds
        error = error_of(payload)
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "technicianIds"])
    assert (await timeline(gql, tenant, job))[0] == "UNSCHEDULED"


async def test_double_booking_is_refused_unless_allowed(gql, tenant):
    # given Carla booked 09:00-11:00
    job = await make_job(gql, tenant)
    carla = await make_technician(gql, tenant, "Carla")
    first = await make_visit(gql, tenant, job, [carla], start=9, hours=2)
    # when she is booked 10:00-12:00
    overlapping = {"jobId": job, "start": at(10), "end": at(12), "technicianIds": [carla]}
    refused = await run(gql, VISIT_CREATE, tenant.token, **overlapping)
    # then OVERLAP naming her and the visit in the way
    error = error_of(refused)
    assert (error["code"], error["field"]) == ("OVERLAP", ["input", "technicianIds"])
    assert "Carla" in error["message"]
    assert first in error["message"]
    # and with allowOverlap the booking goes through
    allowed = await succeed(gql, VISIT_CREATE, tenant.token, allowOverlap=True, **overlapping)
    assert allowed["visit"]["technicians"] == [{"id": carla}]
    # and a visit starting when the others end is no overlap
    after = {"jobId": job, "start": at(12), "end": at(13), "technicianIds": [carla]}
    await succeed(gql, VISIT_CREATE, tenant.token, **after)


async def test_a_cancelled_visit_frees_the_technician(gql, tenant):
    job = await make_job(gql, tenant)
    dan = await make_technician(gql, tenant, "Dan")
    first = await make_visit(gql, tenant, job, [dan])
    await succeed(gql, VISIT_CANCEL, tenant.token, visitId=first, reason="Customer away")
    again = {"jobId": job, "start": at(9), "end": at(11), "technicianIds": [dan]}
    await succeed(gql, VISIT_CREATE, tenant.token, **again)


# --- visitReschedule / visitAssign ------------------------------------------------------------


async def test_reschedule_bumps_the_version_and_records_the_move(gql, tenant):
    # given a scheduled visit 09:00-11:00
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    # when it is moved to the afternoon
    payload = await succeed(
        gql,
        VISIT_RESCHEDULE,
        tenant.token,
        visitId=visit,
        start=at(14),
        end=at(16),
        expectedVersion=1,
    )
    # then version 2, new times, and a visit.rescheduled event from/to
    moved = payload["visit"]
    assert moved["version"] == 2
    assert when(moved["start"]) == MONDAY + timedelta(hours=14)
    assert when(moved["end"]) == MONDAY + timedelta(hours=16)
    event = payload["event"]
    assert event["type"] == "visit.rescheduled"
    assert when(event["payload"]["from"]["start"]) == MONDAY + timedelta(hours=9)
    assert when(event["payload"]["to"]["start"]) == MONDAY + timedelta(hours=14)
    _, events = await timeline(gql, tenant, job)
    assert [e["type"] for e in of_visit(events, visit)] == ["visit.created", "visit.rescheduled"]


async def test_reschedule_checks_the_crew_for_overlaps(gql, tenant):
    job = await make_job(gql, tenant)
    eve = await make_technician(gql, tenant, "Eve")
    await make_visit(gql, tenant, job, [eve], start=14)
    visit = await make_visit(gql, tenant, job, [eve], start=9)
    payload = await run(
        gql, VISIT_RESCHEDULE, tenant.token, visitId=visit, start=at(15), end=at(16)
    )
    assert error_of(payload)["code"] == "OVERLAP"


async def test_reschedule_is_refused_once_en_route(gql, tenant):
    # given a visit the technician is driving to
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    await move(gql, tenant.token, visit, "EN_ROUTE")
    # when the office moves it
    payload = await run(
        gql, VISIT_RESCHEDULE, tenant.token, visitId=visit, start=at(14), end=at(16)
    )
    # then INVALID_TRANSITION, and it stays at version 2
    assert error_of(payload)["code"] == "INVALID_TRANSITION"
    result = await gql(VISIT, {"id": visit}, token=tenant.token)
    assert result["data"]["node"]["version"] == 2


async def test_assign_replaces_the_crew(gql, tenant):
    # given a visit of Fay
    job = await make_job(gql, tenant)
    fay = await make_technician(gql, tenant, "Fay")
    gus = await make_technician(gql, tenant, "Gus")
    visit = await make_visit(gql, tenant, job, [fay])
    # when Gus is assigned instead
    payload = await succeed(
        gql, VISIT_ASSIGN, tenant.token, visitId=visit, technicianIds=[gus], expectedVersion=1
    )
    # then version 2, Gus's visit, and a visit.assigned event from Fay to Gus
    assert payload["visit"]["version"] == 2
    assert payload["visit"]["technicians"] == [{"id": gus}]
    assert payload["event"]["type"] == "visit.assigned"
    assert payload["event"]["payload"]["from"] == [fay]
    assert payload["event"]["payload"]["to"] == [gus]
    _, events = await timeline(gql, tenant, job)
    assert [e["type"] for e in of_visit(events, visit)] == ["visit.created", "visit.assigned"]


async def test_assign_is_refused_once_the_visit_is_final(gql, tenant):
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [])
    await succeed(gql, VISIT_CANCEL, tenant.token, visitId=visit)
    hal = await make_technician(gql, tenant, "Hal")
    payload = await run(gql, VISIT_ASSIGN, tenant.token, visitId=visit, technicianIds=[hal])
    assert error_of(payload)["code"] == "INVALID_TRANSITION"


async def test_assign_refuses_a_busy_technician(gql, tenant):
    job = await make_job(gql, tenant)
    ivy = await make_technician(gql, tenant, "Ivy")
    await make_visit(gql, tenant, job, [ivy], start=9)
    visit = await make_visit(gql, tenant, job, [], start=10)
    payload = await run(gql, VISIT_ASSIGN, tenant.token, visitId=visit, technicianIds=[ivy])
    assert error_of(payload)["code"] == "OVERLAP"


# --- visitTransition ----------------------------------------------------------------------------


HAPPY_PATH = [
    ("EN_ROUTE", {"lat": 39.7392, "lng": -104.9903}),
    ("ARRIVED", {}),
    ("WORKING", {}),
    ("PAUSED", {"reason": "Waiting for the part"}),
    ("WORKING", {}),
    ("DEPARTED", {"outcome": "FINISHED"}),
    ("COMPLETED", {}),
]


async def test_a_visit_through_the_whole_day(gql, tenant):
    # given a scheduled visit
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    before = "SCHEDULED"
    for version, (target, extra) in enumerate(HAPPY_PATH, start=2):
        # when the next button is pressed with the version last seen
        payload = await succeed(
            gql,
            VISIT_TRANSITION,
            tenant.token,
            visitId=visit,
            to=target,
            expectedVersion=version - 1,
            **extra,
        )
        # then the visit moved, and the returned event says from where to where, and why
        moved, event = payload["visit"], payload["event"]
        assert (moved["status"], moved["version"]) == (target, version)
        assert moved["job"]["status"] == "IN_PROGRESS"
        assert event["type"] == f"visit.{target.lower()}"
        assert event["payload"] == {"visitId": visit, "from": before, "to": target, **extra}
        assert event["actor"] == {"id": to_global_id("User", tenant.user_id)}
        before = target
    # and the timeline holds every step, the job having gone SCHEDULED -> IN_PROGRESS once
    status, events = await timeline(gql, tenant, job)
    assert status == "IN_PROGRESS"
    assert [e["type"] for e in of_visit(events, visit)] == [
        "visit.created",
        *(f"visit.{target.lower()}" for target, _ in HAPPY_PATH),
    ]
    changes = [e["payload"] for e in events if e["type"] == "job.status_changed"]
    assert changes == [
        {"from": "UNSCHEDULED", "to": "SCHEDULED"},
        {"from": "SCHEDULED", "to": "IN_PROGRESS"},
    ]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))


async def test_pause_reason_and_departure_outcome_are_kept_on_the_visit(gql, tenant):
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    for target in ("EN_ROUTE", "ARRIVED", "WORKING"):
        await move(gql, tenant.token, visit, target)
    paused = await move(gql, tenant.token, visit, "PAUSED", reason="  Gate locked ")
    assert paused["visit"]["statusReason"] == "Gate locked"
    departed = await move(gql, tenant.token, visit, "DEPARTED", outcome="PARTS_NEEDED")
    assert departed["visit"]["statusReason"] == "PARTS_NEEDED"


@pytest.mark.parametrize(
    ("steps", "target", "extra", "field"),
    [
        (["EN_ROUTE", "ARRIVED", "WORKING"], "PAUSED", {}, "reason"),
        (["EN_ROUTE", "ARRIVED", "WORKING"], "PAUSED", {"reason": "   "}, "reason"),
        (["EN_ROUTE", "ARRIVED", "WORKING"], "DEPARTED", {}, "outcome"),
        (["EN_ROUTE"], "ARRIVED", {"lat": 39.7}, "lat"),
        (["EN_ROUTE"], "ARRIVED", {"lat": 91.0, "lng": 0.0}, "lat"),
    ],
    ids=["pause-no-reason", "pause-blank-reason", "depart-no-outcome", "half-a-point", "off-map"],
)
async def test_a_move_missing_its_why_writes_nothing(gql, tenant, steps, target, extra, field):
    # given a visit some steps along
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    for step in steps:
        await succeed(gql, VISIT_TRANSITION, tenant.token, visitId=visit, to=step)
    _, events_before = await timeline(gql, tenant, job)
    # when the next button is pressed without what it needs
    payload = await move(gql, tenant.token, visit, target, **extra)
    # then VALIDATION on that field, the version is unchanged and no event was written
    error = error_of(payload)
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", field])
    assert payload["event"] is None
    node = (await gql(VISIT, {"id": visit}, token=tenant.token))["data"]["node"]
    assert (node["status"], node["version"]) == (steps[-1], 1 + len(steps))
    assert (await timeline(gql, tenant, job))[1] == events_before


async def test_a_forbidden_move_lists_the_allowed_ones(gql, tenant):
    # given a scheduled visit
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    # when the office presses WORKING
    payload = await move(gql, tenant.token, visit, "WORKING")
    # then INVALID_TRANSITION naming the moves that exist
    error = error_of(payload)
    assert (error["code"], error["field"]) == ("INVALID_TRANSITION", ["input", "to"])
    assert error["message"] == "SCHEDULED cannot move to WORKING; allowed: EN_ROUTE, CANCELLED."
    node = (await gql(VISIT, {"id": visit}, token=tenant.token))["data"]["node"]
    assert (node["status"], node["version"]) == ("SCHEDULED", 1)


async def test_a_technician_moves_only_their_own_visits_and_never_cancels(gql, tenant, ann, bob):
    # given a visit of Ann and a visit of Bob, both signed in
    (ann_id, ann_token), (bob_id, bob_token) = ann, bob
    job = await make_job(gql, tenant)
    anns = await make_visit(gql, tenant, job, [ann_id])
    bobs = await make_visit(gql, tenant, job, [bob_id])
    # when Ann presses EN_ROUTE on her visit, it moves
    mine = await succeed(gql, VISIT_TRANSITION, ann_token, visitId=anns, to="EN_ROUTE")
    assert mine["visit"]["status"] == "EN_ROUTE"
    # when she presses on Bob's visit: FORBIDDEN
    error = error_of(await move(gql, ann_token, bobs, "EN_ROUTE"))
    assert (error["code"], error["message"]) == ("FORBIDDEN", "You are not assigned to this visit.")
    # when she cancels her own visit, either way: FORBIDDEN
    assert error_of(await move(gql, ann_token, anns, "CANCELLED"))["code"] == "FORBIDDEN"
    cancel = await run(gql, VISIT_CANCEL, ann_token, visitId=anns)
    assert error_of(cancel) == {
        "code": "FORBIDDEN",
        "message": "Only the office can cancel a visit.",
        "field": ["input", "to"],
    }
    # and she cannot schedule visits either
    create = await run(gql, VISIT_CREATE, ann_token, jobId=job, start=at(13), end=at(14))
    assert error_of(create)["code"] == "FORBIDDEN"
    # then Bob's visit is untouched and Ann's is still en route
    node = (await gql(VISIT, {"id": bobs}, token=bob_token))["data"]["node"]
    assert (node["status"], node["version"]) == ("SCHEDULED", 1)
    node = (await gql(VISIT, {"id": anns}, token=ann_token))["data"]["node"]
    assert (node["status"], node["version"]) == ("EN_ROUTE", 2)


async def test_a_trip_called_off_goes_back_to_scheduled(gql, tenant):
    # given a visit en route
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    await move(gql, tenant.token, visit, "EN_ROUTE")
    assert (await timeline(gql, tenant, job))[0] == "IN_PROGRESS"
    # when the trip is called off
    payload = await succeed(
        gql, VISIT_TRANSITION, tenant.token, visitId=visit, to="SCHEDULED", reason="Van broke down"
    )
    # then the visit is SCHEDULED again, and so is the job
    assert (payload["visit"]["status"], payload["visit"]["version"]) == ("SCHEDULED", 3)
    assert payload["event"]["type"] == "visit.scheduled"
    assert payload["event"]["payload"]["reason"] == "Van broke down"
    assert payload["visit"]["job"]["status"] == "SCHEDULED"


async def test_the_office_cancels_a_visit(gql, tenant):
    # given a visit on site
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    for target in ("EN_ROUTE", "ARRIVED"):
        await move(gql, tenant.token, visit, target)
    # when the office cancels it
    payload = await succeed(
        gql,
        VISIT_CANCEL,
        tenant.token,
        visitId=visit,
        reason="Customer cancelled",
        expectedVersion=3,
    )
    # then it is CANCELLED with the reason, and the job has no live visit left
    assert (payload["visit"]["status"], payload["visit"]["version"]) == ("CANCELLED", 4)
    assert payload["visit"]["statusReason"] == "Customer cancelled"
    assert payload["event"]["type"] == "visit.cancelled"
    assert payload["event"]["payload"]["from"] == "ARRIVED"
    assert payload["visit"]["job"]["status"] == "UNSCHEDULED"
    # and nothing follows
    assert error_of(await run(gql, VISIT_CANCEL, tenant.token, visitId=visit))["code"] == (
        "INVALID_TRANSITION"
    )
    assert error_of(await move(gql, tenant.token, visit, "SCHEDULED"))["code"] == (
        "INVALID_TRANSITION"
    )


async def test_a_stale_version_is_a_conflict(gql, tenant):
    # given a visit someone has already moved (version 2)
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [await make_technician(gql, tenant)])
    await succeed(gql, VISIT_TRANSITION, tenant.token, visitId=visit, to="EN_ROUTE")
    _, events_before = await timeline(gql, tenant, job)
    # when anything is pressed with the version seen before
    for document, extra in (
        (VISIT_TRANSITION, {"to": "ARRIVED"}),
        (VISIT_CANCEL, {}),
        (VISIT_ASSIGN, {"technicianIds": []}),
        (VISIT_RESCHEDULE, {"start": at(13), "end": at(14)}),
    ):
        payload = await run(gql, document, tenant.token, visitId=visit, expectedVersion=1, **extra)
        # then VERSION_CONFLICT telling the current version
        error = error_of(payload)
        assert (error["code"], error["field"]) == ("VERSION_CONFLICT", ["input", "expectedVersion"])
        assert "now version 2" in error["message"]
    # and nothing was written
    node = (await gql(VISIT, {"id": visit}, token=tenant.token))["data"]["node"]
    assert (node["status"], node["version"]) == ("EN_ROUTE", 2)
    assert (await timeline(gql, tenant, job))[1] == events_before


async def test_a_visit_of_another_company_is_not_found(gql, tenant, other, ann):
    # given a visit of another company
    job = await make_job(gql, other)
    visit = await make_visit(gql, other, job, [])
    # then neither the office nor a technician can see or move it
    for token in (tenant.token, ann[1]):
        assert error_of(await move(gql, token, visit, "EN_ROUTE"))["code"] == "NOT_FOUND"
        assert (await gql(VISIT, {"id": visit}, token=token))["data"]["node"] is None


# --- availableTransitions -----------------------------------------------------------------------


WALK = [
    ("EN_ROUTE", {}),
    ("ARRIVED", {}),
    ("WORKING", {}),
    ("PAUSED", {"reason": "Lunch"}),
    ("DEPARTED", {"outcome": "RETURN_NEEDED"}),
    ("COMPLETED", {}),
]


def expected_options(status: str, *, office: bool) -> list[dict[str, Any]]:
    return [
        {
            "to": target,
            "allowed": rules.refusal(status, target, office=office, assigned=True) is None,
            "reason": rules.refusal(status, target, office=office, assigned=True),
            "requiresReason": target == "PAUSED",
            "requiresOutcome": target == "DEPARTED",
        }
        for target in rules.STATUSES
        if target != status
    ]


async def test_available_transitions_follow_the_rules_for_each_viewer(gql, tenant, ann):
    # given a visit of Ann, walked through the day
    ann_id, ann_token = ann
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [ann_id])
    status = "SCHEDULED"
    for target, extra in [*WALK, (None, {})]:
        for token, office in ((tenant.token, True), (ann_token, False)):
            # when the office and Ann look at it
            node = (await gql(VISIT, {"id": visit}, token=token))["data"]["node"]
            # then every other status is listed, allowed or not with the rules' reason
            assert node["status"] == status
            assert node["availableTransitions"] == expected_options(status, office=office)
        if target is not None:
            await succeed(gql, VISIT_TRANSITION, ann_token, visitId=visit, to=target, **extra)
            status = target


async def test_available_transitions_at_a_glance(gql, tenant, ann):
    # given a scheduled visit of Ann
    ann_id, ann_token = ann
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [ann_id])

    async def allowed(token: str) -> list[str]:
        node = (await gql(VISIT, {"id": visit}, token=token))["data"]["node"]
        return [o["to"] for o in node["availableTransitions"] if o["allowed"]]

    # then the office may send her or cancel, Ann may only set off
    assert await allowed(tenant.token) == ["EN_ROUTE", "CANCELLED"]
    assert await allowed(ann_token) == ["EN_ROUTE"]
    # and once en route, either may call the trip off or arrive
    await move(gql, ann_token, visit, "EN_ROUTE")
    assert await allowed(tenant.token) == ["SCHEDULED", "ARRIVED", "CANCELLED"]
    assert await allowed(ann_token) == ["SCHEDULED", "ARRIVED"]


# --- races --------------------------------------------------------------------------------------

LOSING_CODES = {"VERSION_CONFLICT", "INVALID_TRANSITION"}


async def press_all(gql: Any, presses: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Send every (token, input) at once, each request on its own connection and transaction."""
    results = await asyncio.gather(
        *(gql(VISIT_TRANSITION, {"input": input}, token=token) for token, input in presses)
    )
    payloads = []
    for result in results:
        assert "errors" not in result, result
        payload = result["data"]["visitTransition"]
        assert payload["errors"] == [] or error_of(payload)["code"] in LOSING_CODES, payload
        payloads.append(payload)
    return payloads


def winners(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((p for p in payloads if not p["errors"]), key=lambda p: p["visit"]["version"])


async def test_twenty_presses_at_once_one_wins_per_state(gql, tenant, ann, bob):
    # given a visit of Ann and Bob, both signed in, and the office watching
    job = await make_job(gql, tenant)
    visit = await make_visit(gql, tenant, job, [ann[0], bob[0]])
    tokens = itertools.cycle([ann[1], bob[1], tenant.token])

    # when 20 presses of EN_ROUTE at version 1 arrive at once
    first = await press_all(
        gql,
        [
            (next(tokens), {"visitId": visit, "to": "EN_ROUTE", "expectedVersion": 1})
            for _ in range(20)
        ],
    )
    # then exactly one wins and the 19 others are told the visit changed
    [won] = winners(first)
    assert (won["visit"]["status"], won["visit"]["version"]) == ("EN_ROUTE", 2)
    losers = [error_of(p)["code"] for p in first if p is not won]
    assert losers == ["VERSION_CONFLICT"] * 19

    # when 20 presses of mixed buttons at version 2 arrive at once
    targets = itertools.cycle(["ARRIVED", "SCHEDULED", "WORKING", "COMPLETED", "EN_ROUTE"])
    second = await press_all(
        gql,
        [
            (next(tokens), {"visitId": visit, "to": next(targets), "expectedVersion": 2})
            for _ in range(20)
        ],
    )
    # then exactly one of the two moves that exist wins
    [won] = winners(second)
    assert won["visit"]["status"] in ("ARRIVED", "SCHEDULED")
    assert won["visit"]["version"] == 3

    # when 20 presses of any field button arrive at once, without a version
    buttons = itertools.cycle(
        [
            {"to": "EN_ROUTE"},
            {"to": "ARRIVED"},
            {"to": "WORKING"},
            {"to": "PAUSED", "reason": "Parts"},
            {"to": "DEPARTED", "outcome": "FINISHED"},
        ]
    )
    third = await press_all(
        gql, [(next(tokens), {"visitId": visit, **next(buttons)}) for _ in range(20)]
    )
    # then the moves that won form one unbroken path through the state machine
    path = [p["event"]["payload"] for p in winners(third)]
    assert path, "some press must find its move"
    current = won["visit"]["status"]
    for step in path:
        assert step["from"] == current
        assert rules.refusal(step["from"], step["to"], office=True, assigned=True) is None
        current = step["to"]

    # and the version counts every win, the timeline has one event per win, in sequence
    wins = 2 + len(path)
    node = (await gql(VISIT, {"id": visit}, token=tenant.token))["data"]["node"]
    assert (node["status"], node["version"]) == (current, 1 + wins)
    _, events = await timeline(gql, tenant, job)
    moves = [e for e in of_visit(events, visit) if e["type"] != "visit.created"]
    assert [m["payload"]["to"] for m in moves] == [
        "EN_ROUTE",
        won["visit"]["status"],
        *(step["to"] for step in path),
    ]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
