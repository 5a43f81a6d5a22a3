"""Notes, customer messages, incidents, time entries and dependencies through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

CUSTOMER_CREATE = (
    "mutation($name: String!) { customerCreate(input: {name: $name}) { customer { id } } }"
)
TECHNICIAN_CREATE = 'mutation { technicianCreate(input: {name: "Tess"}) { technician { id } } }'
JOB_CREATE = """
mutation($c: ID!, $t: String!) { jobCreate(input: {customerId: $c, title: $t}) { job { id number } } }
"""
NOTE_ADD = """
mutation($j: ID!, $body: String!) {
  noteAdd(input: {jobId: $j, body: $body}) { note { id body author { email } } errors { code field } }
}
"""
MESSAGE_SEND = """
mutation($j: ID!, $channel: MessageChannel!, $body: String!, $to: String) {
  messageSend(input: {jobId: $j, channel: $channel, body: $body, recipient: $to}) {
    message { id direction channel status recipient } errors { code message field }
  }
}
"""
MESSAGE_RECORD = """
mutation($j: ID!) {
  messageRecord(input: {jobId: $j, channel: PHONE, body: "Can you come after 3?"}) {
    message { direction status } errors { code }
  }
}
"""
INCIDENT_REPORT = """
mutation($j: ID!) {
  incidentReport(input: {jobId: $j, kind: DAMAGE, severity: HIGH, description: "Scratched tile"}) {
    incident { id kind severity resolvedAt reportedBy { email } } errors { code }
  }
}
"""
INCIDENT_RESOLVE = """
mutation($id: ID!) {
  incidentResolve(input: {id: $id, resolution: "Replaced tile"}) {
    incident { resolvedAt resolution resolvedBy { email } } errors { code message }
  }
}
"""
TIME_ENTRY = """
mutation($j: ID!, $t: ID!, $s: DateTime!, $e: DateTime!) {
  timeEntryCreate(input: {jobId: $j, technicianId: $t, kind: WORK, start: $s, end: $e}) {
    timeEntry { id minutes approvedAt } errors { code field }
  }
}
"""
APPROVE = """
mutation($ids: [ID!]!) {
  timeEntriesApprove(input: {ids: $ids}) { timeEntries { approvedAt approvedBy { email } } errors { code } }
}
"""
DEPENDENCY_ADD = """
mutation($a: ID!, $b: ID!) {
  jobDependencyAdd(input: {jobId: $a, dependsOnJobId: $b}) {
    job { number dependsOn { number } blockedBy { number } } errors { code message field }
  }
}
"""
DEPENDENCY_REMOVE = """
mutation($a: ID!, $b: ID!) {
  jobDependencyRemove(input: {jobId: $a, dependsOnJobId: $b}) { job { blockedBy { number } } errors { code } }
}
"""
JOB_CANCEL = """
mutation($j: ID!) { jobCancel(input: {id: $j, reason: "Customer withdrew"}) { errors { code } } }
"""
WORKSPACE = """
query($j: ID!) {
  node(id: $j) {
    ... on Job {
      notes(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { body } }
      messages { nodes { direction channel status } }
      incidents { nodes { kind } }
      timeEntries { totalCount nodes { minutes } }
      timeline(first: 50) { nodes { type } }
    }
  }
}
"""
NOTES_AFTER = """
query($j: ID!, $after: String) {
  node(id: $j) { ... on Job { notes(first: 2, after: $after) { nodes { body } pageInfo { hasNextPage } } } }
}
"""


async def _job(gql, token, title="Boiler service"):
    customer = await gql(CUSTOMER_CREATE, {"name": f"Customer {uuid.uuid4().hex[:5]}"}, token=token)
    customer_id = customer["data"]["customerCreate"]["customer"]["id"]
    job = await gql(JOB_CREATE, {"c": customer_id, "t": title}, token=token)
    return job["data"]["jobCreate"]["job"]


async def _timeline_types(gql, token, job_id):
    result = await gql(WORKSPACE, {"j": job_id}, token=token)
    return [n["type"] for n in result["data"]["node"]["timeline"]["nodes"]]


async def test_notes_page_newest_first_and_write_an_event(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)
    for body in ("first", "second", "third"):
        result = await gql(NOTE_ADD, {"j": job["id"], "body": body}, token=tenant.token)
        assert result["data"]["noteAdd"]["errors"] == []

    page = (await gql(WORKSPACE, {"j": job["id"]}, token=tenant.token))["data"]["node"]
    rest = await gql(
        NOTES_AFTER,
        {"j": job["id"], "after": page["notes"]["pageInfo"]["endCursor"]},
        token=tenant.token,
    )

    assert page["notes"]["totalCount"] == 3
    assert [n["body"] for n in page["notes"]["nodes"]] == ["third", "second"]
    assert page["notes"]["pageInfo"]["hasNextPage"] is True
    assert [n["body"] for n in rest["data"]["node"]["notes"]["nodes"]] == ["first"]
    assert (await _timeline_types(gql, tenant.token, job["id"])).count("note.added") == 3


async def test_empty_note_is_refused_and_writes_nothing(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    result = await gql(NOTE_ADD, {"j": job["id"], "body": "   "}, token=tenant.token)

    assert result["data"]["noteAdd"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "body"]}
    ]
    workspace = (await gql(WORKSPACE, {"j": job["id"]}, token=tenant.token))["data"]["node"]
    assert workspace["notes"]["totalCount"] == 0
    assert await _timeline_types(gql, tenant.token, job["id"]) == ["job.created"]


async def test_messages_thread_outbound_needs_recipient_inbound_is_logged(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    missing = await gql(
        MESSAGE_SEND, {"j": job["id"], "channel": "SMS", "body": "On our way"}, token=tenant.token
    )
    sent = await gql(
        MESSAGE_SEND,
        {"j": job["id"], "channel": "SMS", "body": "On our way", "to": "+13035550100"},
        token=tenant.token,
    )
    received = await gql(MESSAGE_RECORD, {"j": job["id"]}, token=tenant.token)

    assert missing["data"]["messageSend"]["errors"][0]["field"] == ["input", "recipient"]
    assert sent["data"]["messageSend"]["message"]["status"] == "SENT"
    assert received["data"]["messageRecord"]["message"] == {
        "direction": "INBOUND",
        "status": "RECEIVED",
    }
    thread = (await gql(WORKSPACE, {"j": job["id"]}, token=tenant.token))["data"]["node"][
        "messages"
    ]
    assert thread["nodes"] == [
        {"direction": "OUTBOUND", "channel": "SMS", "status": "SENT"},
        {"direction": "INBOUND", "channel": "PHONE", "status": "RECEIVED"},
    ]


async def test_incident_report_and_resolve_once(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)

    reported = await gql(INCIDENT_REPORT, {"j": job["id"]}, token=tenant.token)
    incident = reported["data"]["incidentReport"]["incident"]
    resolved = await gql(INCIDENT_RESOLVE, {"id": incident["id"]}, token=tenant.token)
    again = await gql(INCIDENT_RESOLVE, {"id": incident["id"]}, token=tenant.token)

    assert incident["kind"] == "DAMAGE" and incident["resolvedAt"] is None
    assert resolved["data"]["incidentResolve"]["incident"]["resolution"] == "Replaced tile"
    assert again["data"]["incidentResolve"]["errors"][0]["code"] == "INVALID_TRANSITION"
    types = await _timeline_types(gql, tenant.token, job["id"])
    assert types.count("incident.reported") == 1 and types.count("incident.resolved") == 1


async def test_overlapping_time_entries_are_refused_even_when_sent_at_once(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)
    tech = (await gql(TECHNICIAN_CREATE, token=tenant.token))["data"]["technicianCreate"][
        "technician"
    ]["id"]
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

    results = await asyncio.gather(
        *(
            gql(
                TIME_ENTRY,
                {
                    "j": job["id"],
                    "t": tech,
                    "s": (start + dt.timedelta(minutes=10 * i)).isoformat(),
                    "e": (start + dt.timedelta(minutes=10 * i + 60)).isoformat(),
                },
                token=tenant.token,
            )
            for i in range(5)
        )
    )
    after = await gql(
        TIME_ENTRY,
        {
            "j": job["id"],
            "t": tech,
            "s": (start + dt.timedelta(hours=3)).isoformat(),
            "e": (start + dt.timedelta(hours=4)).isoformat(),
        },
        token=tenant.token,
    )

    payloads = [r["data"]["timeEntryCreate"] for r in results]
    assert sum(1 for p in payloads if p["timeEntry"]) == 1
    assert all(p["errors"][0]["code"] == "OVERLAP" for p in payloads if not p["timeEntry"])
    assert after["data"]["timeEntryCreate"]["timeEntry"]["minutes"] == 60.0
    entries = (await gql(WORKSPACE, {"j": job["id"]}, token=tenant.token))["data"]["node"][
        "timeEntries"
    ]
    assert entries["totalCount"] == 2


async def test_time_entries_are_approved_once(gql, make_company):
    tenant = await make_company()
    job = await _job(gql, tenant.token)
    tech = (await gql(TECHNICIAN_CREATE, token=tenant.token))["data"]["technicianCreate"][
        "technician"
    ]["id"]
    created = await gql(
        TIME_ENTRY,
        {
            "j": job["id"],
            "t": tech,
            "s": "2026-03-02T08:00:00+00:00",
            "e": "2026-03-02T09:30:00+00:00",
        },
        token=tenant.token,
    )
    entry_id = created["data"]["timeEntryCreate"]["timeEntry"]["id"]

    approved = await gql(APPROVE, {"ids": [entry_id]}, token=tenant.token)
    twice = await gql(APPROVE, {"ids": [entry_id]}, token=tenant.token)

    assert approved["data"]["timeEntriesApprove"]["timeEntries"][0]["approvedAt"] is not None
    assert twice["data"]["timeEntriesApprove"]["errors"][0]["code"] == "NOT_FOUND"


async def test_dependencies_block_until_finished_and_refuse_cycles(gql, make_company):
    tenant = await make_company()
    a = await _job(gql, tenant.token, "Pour slab")
    b = await _job(gql, tenant.token, "Set unit")
    c = await _job(gql, tenant.token, "Commission")

    b_on_a = await gql(DEPENDENCY_ADD, {"a": b["id"], "b": a["id"]}, token=tenant.token)
    c_on_b = await gql(DEPENDENCY_ADD, {"a": c["id"], "b": b["id"]}, token=tenant.token)
    cycle = await gql(DEPENDENCY_ADD, {"a": a["id"], "b": c["id"]}, token=tenant.token)
    itself = await gql(DEPENDENCY_ADD, {"a": a["id"], "b": a["id"]}, token=tenant.token)

    assert b_on_a["data"]["jobDependencyAdd"]["job"]["blockedBy"] == [{"number": a["number"]}]
    assert c_on_b["data"]["jobDependencyAdd"]["errors"] == []
    assert cycle["data"]["jobDependencyAdd"]["errors"][0]["code"] == "VALIDATION"
    assert "cycle" in cycle["data"]["jobDependencyAdd"]["errors"][0]["message"]
    assert itself["data"]["jobDependencyAdd"]["errors"][0]["code"] == "VALIDATION"

    await gql(JOB_CANCEL, {"j": a["id"]}, token=tenant.token)
    after = await gql(DEPENDENCY_ADD, {"a": b["id"], "b": a["id"]}, token=tenant.token)
    assert after["data"]["jobDependencyAdd"]["job"]["dependsOn"] == [{"number": a["number"]}]
    assert after["data"]["jobDependencyAdd"]["job"]["blockedBy"] == []

    removed = await gql(DEPENDENCY_REMOVE, {"a": c["id"], "b": b["id"]}, token=tenant.token)
    assert removed["data"]["jobDependencyRemove"]["job"]["blockedBy"] == []


async def test_another_companys_job_is_not_found(gql, make_company):
    owner = await make_company()
    intruder = await make_company()
    job = await _job(gql, owner.token)

    result = await gql(NOTE_ADD, {"j": job["id"], "body": "hello"}, token=intruder.token)

    assert result["data"]["noteAdd"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "jobId"]}
    ]
    workspace = (await gql(WORKSPACE, {"j": job["id"]}, token=owner.token))["data"]["node"]
    assert workspace["notes"]["totalCount"] == 0
