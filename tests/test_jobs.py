"""Jobs through the API: creating, editing, holding and cancelling, the list and the timeline."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.factories import (
    VISIT_DAY,
    make_asset,
    make_contact,
    make_customer,
    make_job,
    make_location,
    make_technician,
    make_visit,
    new_company,
)
from tests.factories import job_seq as read_job_seq

JOB_FIELDS = """
  id number title scope priority status holdReason cancelReason source sourceReference
  billingType estimatedDurationMinutes requiredSkills tags version
  customer { id } location { id } contact { id } assets { id }
"""
JOB_CREATE = (
    "mutation ($input: JobCreateInput!) { jobCreate(input: $input) { job {"
    + JOB_FIELDS
    + "} errors { code message field } } }"
)
JOB_UPDATE = (
    "mutation ($input: JobUpdateInput!) { jobUpdate(input: $input) { job {"
    + JOB_FIELDS
    + "} errors { code message field } } }"
)
JOB_HOLD = """
mutation ($input: JobHoldInput!) {
  jobHold(input: $input) { job { id status holdReason version } errors { code message field } }
}
"""
JOB_RELEASE = """
mutation ($input: JobReleaseInput!) {
  jobRelease(input: $input) { job { id status holdReason version } errors { code message field } }
}
"""
JOB_CANCEL = """
mutation ($input: JobCancelInput!) {
  jobCancel(input: $input) {
    job { id status cancelReason version visits { status statusReason } }
    errors { code message field }
  }
}
"""
JOB = "query ($id: ID!) { node(id: $id) { ... on Job {" + JOB_FIELDS + "} } }"
JOB_COUNT = "{ jobs(first: 0) { totalCount } }"
TIMELINE = """
query ($id: ID!, $first: Int, $after: String, $newestFirst: Boolean! = false) {
  node(id: $id) {
    ... on Job {
      timeline(first: $first, after: $after, newestFirst: $newestFirst) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor }
        nodes { type sequence payload actorName actor { id name } at }
      }
    }
  }
}
"""
VIEWER = "{ viewer { user { id name } } }"
JOBS = """
query (
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: JobFilter, $orderBy: JobOrderBy! = CREATED_AT_DESC
) {
  jobs(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number title } }
    nodes { id }
  }
}
"""
CUSTOMER_UPDATE = """
mutation ($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) { customer { id } errors { code message field } }
}
"""
JOB_BY_NUMBER = "query ($number: String!) { jobByNumber(number: $number) { id number } }"


def errors_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def job_count(gql: Any, token: str) -> int:
    return (await gql(JOB_COUNT, token=token))["data"]["jobs"]["totalCount"]  # type: ignore[no-any-return]


async def read_job(gql: Any, token: str, job_id: str) -> dict:
    return (await gql(JOB, {"id": job_id}, token=token))["data"]["node"]  # type: ignore[no-any-return]


async def timeline(gql: Any, token: str, job_id: str, **variables: Any) -> dict:
    result = await gql(TIMELINE, {"id": job_id, **variables}, token=token)
    assert "errors" not in result, result
    return result["data"]["node"]["timeline"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def world(client: Any, system_engine: Any) -> SimpleNamespace:
    """Company A with two customers, each with a location, contact and asset; company B alike."""
    gql = GraphQLClient(client)
    a = await new_company(system_engine)
    b = await new_company(system_engine)

    async def customer_with_parts(token: str) -> SimpleNamespace:
        customer = await make_customer(gql, token)
        location = await make_location(gql, token, customer["id"])
        return SimpleNamespace(
            id=customer["id"],
            location=location["id"],
            contact=(await make_contact(gql, token, customer["id"]))["id"],
            asset=(await make_asset(gql, token, location["id"]))["id"],
        )

    return SimpleNamespace(
        a=a,
        b=b,
        customer=await customer_with_parts(a.token),
        other_customer=await customer_with_parts(a.token),
        foreign_customer=await customer_with_parts(b.token),
    )


# --- jobCreate -----------------------------------------------------------------------------


async def test_job_create_returns_the_job_with_the_next_number(gql, world, system_engine):
    # given a customer with a location, a contact and an asset
    c = world.customer
    before = await read_job_seq(system_engine, world.a.company_id)

    # when the office creates a job with every field
    result = await gql(
        JOB_CREATE,
        {
            "input": {
                "customerId": c.id,
                "title": "  Replace the boiler  ",
                "scope": "Remove the old unit, fit a condensing boiler",
                "locationId": c.location,
                "contactId": c.contact,
                "assetIds": [c.asset, c.asset],
                "priority": "HIGH",
                "source": "QUOTE",
                "sourceReference": "Q-77",
                "billingType": "TIME_AND_MATERIALS",
                "estimatedDurationMinutes": 240,
                "requiredSkills": ["HVAC ", "hvac", "Gas"],
                "tags": ["Warranty", " urgent", "warranty"],
            }
        },
        token=world.a.token,
    )

    # then it is there as given, trimmed and de-duplicated, with the next number
    payload = result["data"]["jobCreate"]
    assert payload["errors"] == []
    job = payload["job"]
    assert job == {
        "id": job["id"],
        "number": f"J-{before + 1}",
        "title": "Replace the boiler",
        "scope": "Remove the old unit, fit a condensing boiler",
        "priority": "HIGH",
        "status": "UNSCHEDULED",
        "holdReason": None,
        "cancelReason": None,
        "source": "QUOTE",
        "sourceReference": "Q-77",
        "billingType": "TIME_AND_MATERIALS",
        "estimatedDurationMinutes": 240,
        "requiredSkills": ["hvac", "gas"],
        "tags": ["warranty", "urgent"],
        "version": 1,
        "customer": {"id": c.id},
        "location": {"id": c.location},
        "contact": {"id": c.contact},
        "assets": [{"id": c.asset}],
    }
    assert await read_job(gql, world.a.token, job["id"]) == job


async def test_job_create_defaults(gql, world):
    # when a job is created with only a customer and a title
    job = await make_job(gql, world.a.token, world.customer.id)

    # then it is a direct, normal-priority, fixed-price job waiting to be scheduled
    stored = await read_job(gql, world.a.token, job["id"])
    assert {k: stored[k] for k in ("priority", "source", "billingType", "status", "scope")} == {
        "priority": "NORMAL",
        "source": "DIRECT",
        "billingType": "FIXED_PRICE",
        "status": "UNSCHEDULED",
        "scope": "",
    }
    assert stored["location"] is None and stored["contact"] is None and stored["assets"] == []


async def test_job_numbers_follow_each_other(gql, world):
    # when two jobs are created one after the other
    first = await make_job(gql, world.a.token, world.customer.id)
    second = await make_job(gql, world.a.token, world.customer.id)

    # then the second gets the next number, and the number finds the job
    assert int(second["number"][2:]) == int(first["number"][2:]) + 1
    found = await gql(JOB_BY_NUMBER, {"number": second["number"]}, token=world.a.token)
    assert found["data"]["jobByNumber"] == {"id": second["id"], "number": second["number"]}


async def test_jobs_created_at_once_get_distinct_consecutive_numbers(gql, world, system_engine):
    # given the last number handed out
    before = await read_job_seq(system_engine, world.a.company_id)

    # when eight jobs are created at the same time
    jobs = await asyncio.gather(
        *(make_job(gql, world.a.token, world.customer.id) for _ in range(8))
    )

    # then they hold the next eight numbers, each once
    numbers = sorted(int(j["number"][2:]) for j in jobs)
    assert numbers == list(range(before + 1, before + 9))


REFUSALS = [
    ("empty title", lambda w: {"title": "   "}, "VALIDATION", ["input", "title"]),
    ("title too long", lambda w: {"title": "x" * 201}, "VALIDATION", ["input", "title"]),
    (
        "negative duration",
        lambda w: {"estimatedDurationMinutes": -5},
        "VALIDATION",
        ["input", "estimatedDurationMinutes"],
    ),
    (
        "customer of another company",
        lambda w: {"customerId": w.foreign_customer.id},
        "NOT_FOUND",
        ["input", "customerId"],
    ),
    (
        "malformed customer id",
        lambda w: {"customerId": "not-a-global-id"},
        "VALIDATION",
        ["input", "customerId"],
    ),
    (
        "id of another type as customer",
        lambda w: {"customerId": w.customer.location},
        "VALIDATION",
        ["input", "customerId"],
    ),
    (
        "location of another customer",
        lambda w: {"locationId": w.other_customer.location},
        "NOT_FOUND",
        ["input", "locationId"],
    ),
    (
        "location of another company",
        lambda w: {"locationId": w.foreign_customer.location},
        "NOT_FOUND",
        ["input", "locationId"],
    ),
    (
        "contact of another customer",
        lambda w: {"contactId": w.other_customer.contact},
        "NOT_FOUND",
        ["input", "contactId"],
    ),
    (
        "asset of another customer",
        lambda w: {"assetIds": [w.customer.asset, w.other_customer.asset]},
        "NOT_FOUND",
        ["input", "assetIds"],
    ),
    (
        "asset of another company",
        lambda w: {"assetIds": [w.foreign_customer.asset]},
        "NOT_FOUND",
        ["input", "assetIds"],
    ),
    # Checked after the job number was drawn: the savepoint must give the number back.
    (
        "source reference too long",
        lambda w: {"sourceReference": "r" * 10_001},
        "VALIDATION",
        ["input", "sourceReference"],
    ),
]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [pytest.param(o, c, f, id=name) for name, o, c, f in REFUSALS],
)
async def test_job_create_refusal_writes_nothing(gql, world, system_engine, overrides, code, field):
    # given the jobs and the job number sequence as they are
    count_before = await job_count(gql, world.a.token)
    seq_before = await read_job_seq(system_engine, world.a.company_id)
    foreign_seq_before = await read_job_seq(system_engine, world.b.company_id)
    c = world.customer
    good = {
        "customerId": c.id,
        "title": "Valid title",
        "locationId": c.location,
        "contactId": c.contact,
        "assetIds": [c.asset],
    }

    # when the office sends an input with one thing wrong
    result = await gql(JOB_CREATE, {"input": {**good, **overrides(world)}}, token=world.a.token)

    # then it is refused with the field at fault, and nothing was written
    payload = result["data"]["jobCreate"]
    assert payload["job"] is None
    assert errors_of(payload) == [(code, field)]
    assert payload["errors"][0]["message"]
    assert await job_count(gql, world.a.token) == count_before
    assert await read_job_seq(system_engine, world.a.company_id) == seq_before
    assert await read_job_seq(system_engine, world.b.company_id) == foreign_seq_before

    # and the next job gets the very next number: the sequence does not skip
    job = await make_job(gql, world.a.token, c.id)
    assert job["number"] == f"J-{seq_before + 1}"


async def test_a_refused_mutation_keeps_the_earlier_mutations_of_the_document(gql, world):
    # given one document with a good jobCreate followed by a bad one
    document = """
    mutation ($good: JobCreateInput!, $bad: JobCreateInput!) {
      first: jobCreate(input: $good) { job { id number } errors { code } }
      second: jobCreate(input: $bad) { job { id } errors { code field } }
    }
    """
    count_before = await job_count(gql, world.a.token)

    # when it runs
    result = await gql(
        document,
        {
            "good": {"customerId": world.customer.id, "title": "Kept"},
            "bad": {"customerId": world.customer.id, "title": ""},
        },
        token=world.a.token,
    )

    # then the first job exists and the second left nothing behind
    assert result["data"]["first"]["errors"] == []
    assert errors_of(result["data"]["second"]) == [("VALIDATION", ["input", "title"])]
    assert await job_count(gql, world.a.token) == count_before + 1
    kept = await read_job(gql, world.a.token, result["data"]["first"]["job"]["id"])
    assert kept["title"] == "Kept"


# --- jobUpdate -----------------------------------------------------------------------------


async def test_job_update_changes_given_fields_and_bumps_the_version(gql, world):
    # given a job at version 1
    c = world.customer
    job = await make_job(gql, world.a.token, c.id, title="Old title", tags=["a"])

    # when the office edits some fields, passing the version it saw
    result = await gql(
        JOB_UPDATE,
        {
            "input": {
                "id": job["id"],
                "expectedVersion": 1,
                "title": "New title",
                "tags": ["B", "c"],
                "locationId": c.location,
                "assetIds": [c.asset],
                "priority": "EMERGENCY",
            }
        },
        token=world.a.token,
    )

    # then those fields changed, the others stayed, and the version went up by one
    payload = result["data"]["jobUpdate"]
    assert payload["errors"] == []
    updated = payload["job"]
    assert updated["title"] == "New title"
    assert updated["tags"] == ["b", "c"]
    assert updated["location"] == {"id": c.location}
    assert updated["assets"] == [{"id": c.asset}]
    assert updated["priority"] == "EMERGENCY"
    assert updated["billingType"] == "FIXED_PRICE"
    assert updated["version"] == 2

    # and the timeline says what changed and who changed it
    events = (await timeline(gql, world.a.token, job["id"]))["nodes"]
    assert [e["type"] for e in events] == ["job.created", "job.updated"]
    assert events[1]["payload"] == {
        "fields": ["asset_ids", "location_id", "priority", "tags", "title"]
    }
    assert events[1]["actor"]["id"] is not None


async def test_job_update_with_a_stale_version_is_a_conflict(gql, world):
    # given a job someone else edited since we read it (version 2 now)
    job = await make_job(gql, world.a.token, world.customer.id, title="Theirs")
    first = await gql(
        JOB_UPDATE,
        {"input": {"id": job["id"], "expectedVersion": 1, "title": "Their edit"}},
        token=world.a.token,
    )
    assert first["data"]["jobUpdate"]["job"]["version"] == 2

    # when we save our edit made on version 1
    result = await gql(
        JOB_UPDATE,
        {"input": {"id": job["id"], "expectedVersion": 1, "title": "Our edit"}},
        token=world.a.token,
    )

    # then it is refused as a conflict and their edit stands
    payload = result["data"]["jobUpdate"]
    assert payload["job"] is None
    assert errors_of(payload) == [("VERSION_CONFLICT", ["input", "expectedVersion"])]
    assert "version 2" in payload["errors"][0]["message"]
    stored = await read_job(gql, world.a.token, job["id"])
    assert (stored["title"], stored["version"]) == ("Their edit", 2)
    assert (await timeline(gql, world.a.token, job["id"]))["totalCount"] == 2


async def test_job_update_without_changes_keeps_the_version(gql, world):
    # given a job
    job = await make_job(gql, world.a.token, world.customer.id, title="Same")

    # when it is saved with the values it already has
    result = await gql(
        JOB_UPDATE,
        {"input": {"id": job["id"], "expectedVersion": 1, "title": "Same"}},
        token=world.a.token,
    )

    # then nothing changed: same version, no event
    assert result["data"]["jobUpdate"]["job"]["version"] == 1
    assert (await timeline(gql, world.a.token, job["id"]))["totalCount"] == 1


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        pytest.param({"title": ""}, "VALIDATION", ["input", "title"], id="empty title"),
        pytest.param(
            {"estimatedDurationMinutes": -1},
            "VALIDATION",
            ["input", "estimatedDurationMinutes"],
            id="negative duration",
        ),
        pytest.param({"priority": None}, "VALIDATION", ["input", "priority"], id="no priority"),
        pytest.param(
            {"locationId": "other"},
            "NOT_FOUND",
            ["input", "locationId"],
            id="location of another customer",
        ),
        pytest.param(
            {"assetIds": "other"},
            "NOT_FOUND",
            ["input", "assetIds"],
            id="asset of another customer",
        ),
        pytest.param({"id": "bogus"}, "VALIDATION", ["input", "id"], id="malformed id"),
    ],
)
async def test_job_update_refusal_changes_nothing(gql, world, overrides, code, field):
    # given a job
    job = await make_job(gql, world.a.token, world.customer.id, title="Untouched")
    stored_before = await read_job(gql, world.a.token, job["id"])
    other = world.other_customer
    replacements = {"locationId": other.location, "assetIds": [other.asset]}
    wrong = {k: replacements.get(k, v) if v == "other" else v for k, v in overrides.items()}

    # when an edit comes with a good title change and one thing wrong
    result = await gql(
        JOB_UPDATE,
        {"input": {"id": job["id"], "expectedVersion": 1, "title": "Changed", **wrong}},
        token=world.a.token,
    )

    # then it is refused and the job is as it was
    payload = result["data"]["jobUpdate"]
    assert errors_of(payload) == [(code, field)]
    assert await read_job(gql, world.a.token, job["id"]) == stored_before
    assert (await timeline(gql, world.a.token, job["id"]))["totalCount"] == 1


# --- hold, release, cancel -----------------------------------------------------------------


async def test_hold_and_release_move_the_status(gql, world):
    # given a new job
    job = await make_job(gql, world.a.token, world.customer.id)

    # when it is put on hold with a reason
    held = (
        await gql(
            JOB_HOLD,
            {"input": {"id": job["id"], "reason": " Waiting for parts ", "expectedVersion": 1}},
            token=world.a.token,
        )
    )["data"]["jobHold"]

    # then it is on hold, says why, and has a new version
    assert held["errors"] == []
    assert held["job"] == {
        "id": job["id"],
        "status": "ON_HOLD",
        "holdReason": "Waiting for parts",
        "version": 2,
    }

    # when it is released
    released = (await gql(JOB_RELEASE, {"input": {"id": job["id"]}}, token=world.a.token))["data"][
        "jobRelease"
    ]

    # then its status follows its (missing) visits again and the reason is gone
    assert released["job"] == {
        "id": job["id"],
        "status": "UNSCHEDULED",
        "holdReason": None,
        "version": 3,
    }
    types = [e["type"] for e in (await timeline(gql, world.a.token, job["id"]))["nodes"]]
    assert types == ["job.created", "job.held", "job.released"]


async def test_release_returns_a_scheduled_job_to_scheduled(gql, world):
    # given a job with a visit, put on hold
    job = await make_job(gql, world.a.token, world.customer.id)
    await make_visit(gql, world.a.token, job["id"])
    hold = await gql(JOB_HOLD, {"input": {"id": job["id"], "reason": "x"}}, token=world.a.token)
    assert hold["data"]["jobHold"]["job"]["status"] == "ON_HOLD"

    # when it is released
    result = await gql(JOB_RELEASE, {"input": {"id": job["id"]}}, token=world.a.token)

    # then it is scheduled again
    assert result["data"]["jobRelease"]["job"]["status"] == "SCHEDULED"


async def test_hold_and_cancel_need_a_reason(gql, world):
    # given a job
    job = await make_job(gql, world.a.token, world.customer.id)

    # when holding or cancelling with a blank reason
    held = await gql(JOB_HOLD, {"input": {"id": job["id"], "reason": "  "}}, token=world.a.token)
    cancelled = await gql(
        JOB_CANCEL, {"input": {"id": job["id"], "reason": ""}}, token=world.a.token
    )

    # then both are refused and the job is untouched
    assert errors_of(held["data"]["jobHold"]) == [("VALIDATION", ["input", "reason"])]
    assert errors_of(cancelled["data"]["jobCancel"]) == [("VALIDATION", ["input", "reason"])]
    stored = await read_job(gql, world.a.token, job["id"])
    assert (stored["status"], stored["version"]) == ("UNSCHEDULED", 1)


async def test_cancel_calls_off_the_unfinished_visits(gql, world):
    # given a job with two visits
    job = await make_job(gql, world.a.token, world.customer.id)
    await make_visit(gql, world.a.token, job["id"])
    await make_visit(gql, world.a.token, job["id"], start=VISIT_DAY + timedelta(days=2))
    version = (await read_job(gql, world.a.token, job["id"]))["version"]

    # when it is cancelled
    result = await gql(
        JOB_CANCEL,
        {"input": {"id": job["id"], "reason": "Customer moved", "expectedVersion": version}},
        token=world.a.token,
    )

    # then the job and its visits are cancelled with the reason
    payload = result["data"]["jobCancel"]
    assert payload["errors"] == []
    assert payload["job"]["status"] == "CANCELLED"
    assert payload["job"]["cancelReason"] == "Customer moved"
    assert payload["job"]["version"] == version + 1
    assert payload["job"]["visits"] == [
        {"status": "CANCELLED", "statusReason": "Customer moved"},
        {"status": "CANCELLED", "statusReason": "Customer moved"},
    ]
    last = (await timeline(gql, world.a.token, job["id"], newestFirst=True))["nodes"][0]
    assert last["type"] == "job.cancelled"
    assert last["payload"]["reason"] == "Customer moved"


async def test_moves_a_status_does_not_allow_are_invalid_transitions(gql, world):
    # given a cancelled job and a job that is not on hold
    cancelled = await make_job(gql, world.a.token, world.customer.id)
    done = await gql(
        JOB_CANCEL, {"input": {"id": cancelled["id"], "reason": "x"}}, token=world.a.token
    )
    assert done["data"]["jobCancel"]["errors"] == []
    open_job = await make_job(gql, world.a.token, world.customer.id)
    cancelled_after = await read_job(gql, world.a.token, cancelled["id"])

    # when the office tries moves the status table refuses
    attempts = {
        "cancel twice": (JOB_CANCEL, "jobCancel", {"id": cancelled["id"], "reason": "again"}),
        "hold cancelled": (JOB_HOLD, "jobHold", {"id": cancelled["id"], "reason": "x"}),
        "release cancelled": (JOB_RELEASE, "jobRelease", {"id": cancelled["id"]}),
        "edit cancelled": (
            JOB_UPDATE,
            "jobUpdate",
            {"id": cancelled["id"], "expectedVersion": 2, "title": "x"},
        ),
        "release open": (JOB_RELEASE, "jobRelease", {"id": open_job["id"]}),
    }
    outcomes = {}
    for name, (document, field, data) in attempts.items():
        result = await gql(document, {"input": data}, token=world.a.token)
        outcomes[name] = errors_of(result["data"][field])

    # then each is INVALID_TRANSITION and nothing moved
    assert outcomes == {name: [("INVALID_TRANSITION", ["input", "id"])] for name in attempts}
    assert await read_job(gql, world.a.token, cancelled["id"]) == cancelled_after
    assert (await read_job(gql, world.a.token, open_job["id"]))["version"] == 1


async def test_hold_with_a_stale_version_is_a_conflict(gql, world):
    # given a job edited since we read it
    job = await make_job(gql, world.a.token, world.customer.id)
    await gql(
        JOB_UPDATE,
        {"input": {"id": job["id"], "expectedVersion": 1, "title": "Edited"}},
        token=world.a.token,
    )

    # when we put it on hold with the old version
    result = await gql(
        JOB_HOLD,
        {"input": {"id": job["id"], "reason": "x", "expectedVersion": 1}},
        token=world.a.token,
    )

    # then it is a conflict and the job is not held
    assert errors_of(result["data"]["jobHold"]) == [
        ("VERSION_CONFLICT", ["input", "expectedVersion"])
    ]
    assert (await read_job(gql, world.a.token, job["id"]))["status"] == "UNSCHEDULED"


# --- timeline ------------------------------------------------------------------------------


async def test_job_created_event_names_its_actor(gql, world):
    # given the admin who creates a job
    admin = (await gql(VIEWER, token=world.a.token))["data"]["viewer"]["user"]

    # when they create it
    job = await make_job(gql, world.a.token, world.customer.id, title="Fit a heat pump")

    # then the timeline starts with job.created by them
    page = await timeline(gql, world.a.token, job["id"])
    assert page["totalCount"] == 1
    event = page["nodes"][0]
    assert event["type"] == "job.created"
    assert event["sequence"] == 1
    assert event["actor"] == admin
    assert event["actorName"] == admin["name"]
    assert event["payload"]["number"] == job["number"]
    assert event["payload"]["title"] == "Fit a heat pump"


async def test_timeline_is_ordered_and_pages_by_cursor(gql, world):
    # given a job with six events
    job = await make_job(gql, world.a.token, world.customer.id)
    for version in (1, 2, 3):
        await gql(
            JOB_UPDATE,
            {"input": {"id": job["id"], "expectedVersion": version, "title": f"Edit {version}"}},
            token=world.a.token,
        )
    await gql(JOB_HOLD, {"input": {"id": job["id"], "reason": "wait"}}, token=world.a.token)
    await gql(JOB_RELEASE, {"input": {"id": job["id"]}}, token=world.a.token)
    expected = [
        "job.created",
        "job.updated",
        "job.updated",
        "job.updated",
        "job.held",
        "job.released",
    ]

    # when the timeline is read whole, newest first, and in pages of four
    whole = await timeline(gql, world.a.token, job["id"])
    newest = await timeline(gql, world.a.token, job["id"], newestFirst=True)
    page1 = await timeline(gql, world.a.token, job["id"], first=4)
    page2 = await timeline(
        gql, world.a.token, job["id"], first=4, after=page1["pageInfo"]["endCursor"]
    )

    # then it is oldest first by default, reversed on request, and the pages join up
    assert [e["type"] for e in whole["nodes"]] == expected
    assert [e["sequence"] for e in whole["nodes"]] == [1, 2, 3, 4, 5, 6]
    times = [e["at"] for e in whole["nodes"]]
    assert times == sorted(times)
    assert [e["sequence"] for e in newest["nodes"]] == [6, 5, 4, 3, 2, 1]
    assert [e["sequence"] for e in page1["nodes"]] == [1, 2, 3, 4]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert [e["sequence"] for e in page2["nodes"]] == [5, 6]
    assert page2["pageInfo"]["hasNextPage"] is False
    assert page2["totalCount"] == 6


# --- the jobs list -------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def listed(client: Any, system_engine: Any) -> SimpleNamespace:
    """A company with 25 jobs, created in number order."""
    gql = GraphQLClient(client)
    tenant = await new_company(system_engine)
    customer = await make_customer(gql, tenant.token)
    jobs = [
        await make_job(gql, tenant.token, customer["id"], title=f"Listed {i:02d}")
        for i in range(25)
    ]
    return SimpleNamespace(tenant=tenant, jobs=jobs)


async def all_pages(gql: Any, token: str, size: int, backwards: bool = False, **variables: Any):
    """Every job by walking pages of `size` forwards (first/after) or backwards (last/before)."""
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        if backwards:
            page_vars = {"last": size, "before": cursor}
        else:
            page_vars = {"first": size, "after": cursor}
        result = await gql(JOBS, {**page_vars, **variables}, token=token)
        assert "errors" not in result, result
        connection = result["data"]["jobs"]
        ids = [e["node"]["id"] for e in connection["edges"]]
        assert [n["id"] for n in connection["nodes"]] == ids
        seen = ids + seen if backwards else seen + ids
        pages += 1
        info = connection["pageInfo"]
        more = info["hasPreviousPage"] if backwards else info["hasNextPage"]
        if not more:
            return seen, pages
        cursor = info["startCursor"] if backwards else info["endCursor"]
        assert pages < 50


async def test_paging_forwards_sees_every_job_once(gql, listed):
    # given 25 jobs, newest first
    expected = [j["id"] for j in reversed(listed.jobs)]

    # when the list is walked in pages of 7
    seen, pages = await all_pages(gql, listed.tenant.token, 7)

    # then every job comes once, in order, over four pages
    assert seen == expected
    assert pages == 4


async def test_paging_backwards_sees_every_job_once(gql, listed):
    # given 25 jobs, newest first
    expected = [j["id"] for j in reversed(listed.jobs)]

    # when the list is walked from its end in pages of 6
    seen, pages = await all_pages(gql, listed.tenant.token, 6, backwards=True)

    # then every job comes once, in order, over five pages
    assert seen == expected
    assert pages == 5


async def test_a_forward_cursor_round_trips_backwards(gql, listed):
    # given the second page of ten
    token = listed.tenant.token
    first = (await gql(JOBS, {"first": 10}, token=token))["data"]["jobs"]
    second = (await gql(JOBS, {"first": 10, "after": first["pageInfo"]["endCursor"]}, token=token))[
        "data"
    ]["jobs"]
    assert second["pageInfo"]["hasPreviousPage"] is True

    # when paging back from its first row
    back = (
        await gql(JOBS, {"last": 10, "before": second["pageInfo"]["startCursor"]}, token=token)
    )["data"]["jobs"]

    # then it is exactly the first page again, with nothing before it
    assert [e["node"]["id"] for e in back["edges"]] == [e["node"]["id"] for e in first["edges"]]
    assert back["pageInfo"]["hasPreviousPage"] is False
    assert back["pageInfo"]["hasNextPage"] is True
    assert second["totalCount"] == back["totalCount"] == 25


@pytest.mark.parametrize(
    ("order_by", "numbers"),
    [
        ("CREATED_AT_DESC", lambda n: sorted(n, reverse=True)),
        ("CREATED_AT_ASC", sorted),
        ("NUMBER_DESC", lambda n: sorted(n, reverse=True)),
        ("NUMBER_ASC", sorted),
    ],
)
async def test_order_by(gql, listed, order_by, numbers):
    # when the list is fetched in one order
    result = await gql(JOBS, {"first": 25, "orderBy": order_by}, token=listed.tenant.token)

    # then the jobs come in that order
    got = [int(e["node"]["number"][2:]) for e in result["data"]["jobs"]["edges"]]
    assert got == numbers([int(j["number"][2:]) for j in listed.jobs])


async def test_order_by_updated_puts_the_last_edited_first(gql, make_company):
    # given three jobs, the oldest edited last
    tenant = await make_company()
    jobs = [await make_job(gql, tenant.token) for _ in range(3)]
    await gql(
        JOB_UPDATE,
        {"input": {"id": jobs[0]["id"], "expectedVersion": 1, "title": "Edited"}},
        token=tenant.token,
    )

    # when listing by last update
    result = await gql(JOBS, {"orderBy": "UPDATED_AT_DESC"}, token=tenant.token)

    # then the edited job leads, the others follow newest first
    ids = [e["node"]["id"] for e in result["data"]["jobs"]["edges"]]
    assert ids == [jobs[0]["id"], jobs[2]["id"], jobs[1]["id"]]


@pytest.mark.parametrize(
    ("page", "argument"),
    [
        ({"first": 101}, "first"),
        ({"last": 101}, "last"),
        ({"first": -1}, "first"),
        ({"first": 5, "last": 5}, "first"),
    ],
    ids=["first 101", "last 101", "first -1", "first and last"],
)
async def test_page_arguments_are_checked(gql, listed, page, argument):
    # when asking for a page larger than the maximum, negative, or from both ends
    result = await gql(JOBS, page, token=listed.tenant.token)

    # then the query fails with a VALIDATION error naming the argument
    assert result["data"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["extensions"]["field"] == argument
    assert f"`{argument}`" in error["message"]


async def test_the_largest_page_is_allowed(gql, listed):
    result = await gql(JOBS, {"first": 100}, token=listed.tenant.token)
    assert len(result["data"]["jobs"]["edges"]) == 25


async def test_a_garbled_cursor_is_a_validation_error(gql, listed):
    result = await gql(JOBS, {"first": 5, "after": "garbage!"}, token=listed.tenant.token)
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_total_count_counts_all_pages(gql, listed):
    result = await gql(JOBS, {"first": 3}, token=listed.tenant.token)
    assert result["data"]["jobs"]["totalCount"] == 25
    assert len(result["data"]["jobs"]["edges"]) == 3


@pytest.fixture(scope="module")
async def filtered(client: Any, system_engine: Any) -> SimpleNamespace:
    """Five jobs that differ in every filterable way (see the table in each test)."""
    gql = GraphQLClient(client)
    t = await new_company(system_engine)
    bakery = await make_customer(gql, t.token, name="Harbor Bakery")
    dental = await make_customer(gql, t.token, name="Summit Dental")
    wharf = await make_location(gql, t.token, bakery["id"], street="12 Wharf Road", city="Portland")
    alpine = await make_location(gql, t.token, dental["id"], street="88 Alpine Way", city="Boulder")
    ana = await make_technician(gql, t.token, name="Ana")
    ben = await make_technician(gql, t.token, name="Ben")
    boiler = await make_job(
        gql,
        t.token,
        bakery["id"],
        title="Replace boiler",
        scope="Install a new condensing unit",
        priority="HIGH",
        tags=["warranty", "boiler"],
        locationId=wharf["id"],
    )
    inspection = await make_job(
        gql, t.token, bakery["id"], title="Annual inspection", priority="LOW", tags=["boiler"]
    )
    sink = await make_job(
        gql,
        t.token,
        dental["id"],
        title="Fix leaking sink",
        scope="Kitchen tap drips",
        priority="EMERGENCY",
        tags=["plumbing", "warranty"],
        locationId=alpine["id"],
    )
    service = await make_job(gql, t.token, dental["id"], title="Boiler service")
    thermostat = await make_job(gql, t.token, dental["id"], title="Install thermostat")
    await make_visit(gql, t.token, boiler["id"], [ana["id"]], start=at("2030-01-07T15:00"))
    await make_visit(gql, t.token, sink["id"], [ben["id"]], start=at("2030-01-09T15:00"))
    await make_visit(gql, t.token, thermostat["id"], [ana["id"]], start=at("2030-01-09T18:00"))
    held = await gql(JOB_HOLD, {"input": {"id": inspection["id"], "reason": "x"}}, token=t.token)
    assert held["data"]["jobHold"]["errors"] == []
    cancelled = await gql(
        JOB_CANCEL, {"input": {"id": service["id"], "reason": "x"}}, token=t.token
    )
    assert cancelled["data"]["jobCancel"]["errors"] == []
    other = await new_company(system_engine)
    foreign_customer = await make_customer(gql, other.token, name="Harbor Bakery")
    await make_job(gql, other.token, foreign_customer["id"], title="Replace boiler")
    return SimpleNamespace(
        token=t.token,
        bakery=bakery["id"],
        dental=dental["id"],
        foreign_customer=foreign_customer["id"],
        ana=ana["id"],
        ben=ben["id"],
        titles={j["id"]: j["title"] for j in (boiler, inspection, sink, service, thermostat)},
    )


def at(utc: str) -> datetime:
    return datetime.fromisoformat(f"{utc}:00+00:00")


async def titles(gql: Any, f: SimpleNamespace, flt: dict) -> set[str]:
    result = await gql(JOBS, {"first": 50, "filter": flt}, token=f.token)
    assert "errors" not in result, result
    connection = result["data"]["jobs"]
    assert connection["totalCount"] == len(connection["edges"])
    return {e["node"]["title"] for e in connection["edges"]}


async def test_search_follows_a_renamed_customer(gql, make_company):
    # given a job for a customer at an address
    tenant = await make_company()
    customer = await make_customer(gql, tenant.token, name="Old Name Ltd")
    location = await make_location(gql, tenant.token, customer["id"], street="1 Old Street")
    job = await make_job(gql, tenant.token, customer["id"], locationId=location["id"])

    # when the customer is renamed
    renamed = await gql(
        CUSTOMER_UPDATE,
        {"input": {"id": customer["id"], "name": "Fresh Bakery"}},
        token=tenant.token,
    )
    assert renamed["data"]["customerUpdate"]["errors"] == []

    # then the job is found by the new name and no longer by the old one
    async def found(words: str) -> list[str]:
        result = await gql(JOBS, {"filter": {"search": words}}, token=tenant.token)
        return [e["node"]["id"] for e in result["data"]["jobs"]["edges"]]

    assert await found("fresh bakery") == [job["id"]]
    assert await found("old name") == []
    assert await found("old street") == [job["id"]]


FILTERS = [
    (
        "no filter",
        {},
        {
            "Replace boiler",
            "Annual inspection",
            "Fix leaking sink",
            "Boiler service",
            "Install thermostat",
        },
    ),
    ("status on hold", {"status": ["ON_HOLD"]}, {"Annual inspection"}),
    ("status cancelled", {"status": ["CANCELLED"]}, {"Boiler service"}),
    (
        "status scheduled",
        {"status": ["SCHEDULED"]},
        {"Replace boiler", "Fix leaking sink", "Install thermostat"},
    ),
    ("priority", {"priority": ["HIGH", "EMERGENCY"]}, {"Replace boiler", "Fix leaking sink"}),
    (
        "customer",
        {"customerId": "dental"},
        {"Fix leaking sink", "Boiler service", "Install thermostat"},
    ),
    ("customer of another company", {"customerId": "foreign_customer"}, set()),
    ("malformed customer id", {"customerId": "nonsense"}, set()),
    ("technician", {"technicianId": "ana"}, {"Replace boiler", "Install thermostat"}),
    ("other technician", {"technicianId": "ben"}, {"Fix leaking sink"}),
    (
        "scheduled from",
        {"scheduledFrom": at("2030-01-08T00:00").isoformat()},
        {"Fix leaking sink", "Install thermostat"},
    ),
    ("scheduled to", {"scheduledTo": at("2030-01-08T00:00").isoformat()}, {"Replace boiler"}),
    (
        "scheduled window",
        {
            "scheduledFrom": at("2030-01-09T00:00").isoformat(),
            "scheduledTo": at("2030-01-09T16:00").isoformat(),
        },
        {"Fix leaking sink"},
    ),
    ("one tag", {"tags": ["warranty"]}, {"Replace boiler", "Fix leaking sink"}),
    ("all tags must match", {"tags": ["warranty", "boiler"]}, {"Replace boiler"}),
    ("tags as typed", {"tags": [" Warranty"]}, {"Replace boiler", "Fix leaking sink"}),
    ("search number", {"search": "J-1003"}, {"Fix leaking sink"}),
    ("search number lower case", {"search": "j-1003"}, {"Fix leaking sink"}),
    ("search title word", {"search": "boiler"}, {"Replace boiler", "Boiler service"}),
    ("search scope", {"search": "condensing"}, {"Replace boiler"}),
    ("search customer name", {"search": "Harbor"}, {"Replace boiler", "Annual inspection"}),
    ("search street", {"search": "wharf"}, {"Replace boiler"}),
    ("search city", {"search": "Boulder"}, {"Fix leaking sink"}),
    ("search partial words", {"search": "LEAK sin"}, {"Fix leaking sink"}),
    ("search words must all match", {"search": "boiler harbor"}, {"Replace boiler"}),
    ("search nothing", {"search": "xylophone"}, set()),
    ("search a wildcard", {"search": "%"}, set()),
    (
        "combined",
        {"search": "boiler", "status": ["SCHEDULED", "UNSCHEDULED"], "priority": ["HIGH"]},
        {"Replace boiler"},
    ),
    (
        "combined with customer and technician",
        {"customerId": "bakery", "tags": ["boiler"], "technicianId": "ana"},
        {"Replace boiler"},
    ),
    ("combined to nothing", {"customerId": "bakery", "technicianId": "ben"}, set()),
]


@pytest.mark.parametrize(
    ("flt", "expected"), [pytest.param(flt, exp, id=name) for name, flt, exp in FILTERS]
)
async def test_jobs_filter(gql, filtered, flt, expected):
    # given five jobs differing in status, priority, customer, crew, schedule, tags and words
    names = ("customerId", "technicianId")
    resolved = {k: getattr(filtered, v, v) if k in names else v for k, v in flt.items()}

    # when the list is filtered
    got = await titles(gql, filtered, resolved)

    # then exactly the matching jobs of this company are listed
    assert got == expected
