"""N+1 guard: the SQL statements of a request depend on the query's shape, not on its rows."""

from __future__ import annotations

import asyncio
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
    make_user,
    make_visit,
    new_company,
)

JOBS_WITH_EVERYTHING = """
query ($first: Int!) {
  jobs(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id number title status tags
        customer { id name locations { id } contacts { id } }
        location { id address assets { id } }
        contact { id name }
        assets { id name location { id city } }
        visits { id status start end technicians { id name crews { id } } }
        timeline(first: 5) { totalCount nodes { type sequence actor { name } } }
      }
    }
  }
}
"""
CREW_CREATE = """
mutation ($input: CrewCreateInput!) { crewCreate(input: $input) { errors { code } } }
"""
JOB_COUNT = 51


@pytest.fixture(scope="module")
async def busy(client: Any, system_engine: Any) -> SimpleNamespace:
    """51 jobs over 5 customers; each job has two assets, a visit with two technicians in a
    crew, and three events by two different users (created; visit booked, job scheduled)."""
    gql = GraphQLClient(client)
    tenant = await new_company(system_engine)
    admin = tenant.token
    dispatcher = (await make_user(gql, admin, role="DISPATCHER"))["token"]
    technicians = [(await make_technician(gql, admin))["id"] for _ in range(4)]
    await gql(CREW_CREATE, {"input": {"name": "All", "technicianIds": technicians}}, token=admin)
    customers = []
    for _ in range(5):
        customer = await make_customer(gql, admin)
        location = await make_location(gql, admin, customer["id"])
        contact = await make_contact(gql, admin, customer["id"])
        assets = [(await make_asset(gql, admin, location["id"]))["id"] for _ in range(2)]
        customers.append((customer["id"], location["id"], contact["id"], assets))
    gate = asyncio.Semaphore(8)

    async def job_with_history(i: int) -> None:
        customer_id, location_id, contact_id, assets = customers[i % len(customers)]
        async with gate:
            job = await make_job(
                gql,
                admin,
                customer_id,
                locationId=location_id,
                contactId=contact_id,
                assetIds=assets,
            )
            crew = [technicians[i % 4], technicians[(i + 1) % 4]]
            await make_visit(gql, dispatcher, job["id"], crew, start=VISIT_DAY)

    await asyncio.gather(*(job_with_history(i) for i in range(JOB_COUNT)))
    return SimpleNamespace(token=admin)


async def statements_for(gql: Any, token: str, first: int) -> tuple[int, dict]:
    result = await gql(JOBS_WITH_EVERYTHING, {"first": first}, token=token)
    assert "errors" not in result, result["errors"]
    return gql.statements, result["data"]["jobs"]


async def test_a_page_of_50_costs_as_many_statements_as_a_page_of_5(gql, busy):
    # when a page of 5 and a page of 50 jobs are read with every nested list
    small_count, small = await statements_for(gql, busy.token, 5)
    large_count, large = await statements_for(gql, busy.token, 50)

    # then both pages are full and nested data is really there
    assert len(small["edges"]) == 5 and len(large["edges"]) == 50
    assert large["totalCount"] == JOB_COUNT
    for edge in large["edges"]:
        job = edge["node"]
        assert len(job["assets"]) == 2
        assert len(job["visits"][0]["technicians"]) == 2
        assert job["timeline"]["totalCount"] == 3
        actors = {e["actor"]["name"] for e in job["timeline"]["nodes"]}
        assert len(actors) == 2

    # and the number of SQL statements is the same
    print(
        f"\nSQL statements for jobs with nested data: first 5: {small_count}, first 50: {large_count}"
    )
    assert small_count == large_count


async def test_the_next_page_costs_the_same(gql, busy):
    # given the first page of 50 and its cursor
    first_count, first = await statements_for(gql, busy.token, 50)

    # when the rest is read after the cursor
    document = JOBS_WITH_EVERYTHING.replace(
        "jobs(first: $first)", "jobs(first: $first, after: $after)"
    )
    document = document.replace("($first: Int!)", "($first: Int!, $after: String)")
    result = await gql(
        document, {"first": 50, "after": first["pageInfo"]["endCursor"]}, token=busy.token
    )

    # then it holds the remaining jobs for the same number of statements
    assert len(result["data"]["jobs"]["edges"]) == JOB_COUNT - 50
    assert gql.statements == first_count
