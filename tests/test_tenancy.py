"""Two companies side by side: neither ever sees or changes the other's rows.

The API applies the company to every query; PostgreSQL row-level security is the second wall,
tested here directly, below the API. Relay ids are covered here too: a foreign company's id
must behave exactly like a missing one.
"""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from db.models import TENANT_TABLES
from resolvers.ids import from_global_id, to_global_id
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

CREW_CREATE = """
mutation ($input: CrewCreateInput!) {
  crewCreate(input: $input) { crew { id } errors { code message field } }
}
"""
IDS = """
query ($job: ID!) {
  viewer { user { id } company { id } }
  node(id: $job) { ... on Job { timeline { nodes { id } } visits { id } } }
}
"""
NODE = "query ($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
LISTS = """
query ($day: Date!) {
  jobs(first: 100) { totalCount nodes { id } }
  customers(first: 100) { totalCount nodes { id locations { id } contacts { id } } }
  technicians(first: 100) { totalCount nodes { id } }
  crews { id members { id } }
  dispatchBoard(date: $day) {
    lanes { technician { id } visits { id } }
    unassigned { id }
  }
}
"""
JOB_BY_NUMBER = "query ($n: String!) { jobByNumber(number: $n) { id } }"
# Everything of a company a client can read, to compare before and after foreign attempts.
SNAPSHOT = """
{
  jobs(first: 100) {
    nodes {
      id number title status holdReason cancelReason version tags
      customer { id } location { id } contact { id } assets { id }
      visits { id status version technicians { id } }
      timeline { totalCount }
    }
  }
  customers(first: 100) {
    nodes {
      id name email updatedAt
      locations { id street assets { id name } }
      contacts { id name }
    }
  }
  technicians(first: 100) { nodes { id name phone active skills { skill level } user { id } } }
  crews { id name members { id } }
}
"""
TYPES = [
    *("Job", "Customer", "Location", "Contact", "Asset"),
    *("Technician", "Crew", "User", "Company", "Visit", "JobEvent"),
]


async def populate(gql: Any, token: str) -> SimpleNamespace:
    """One of everything, the same shape in each company."""
    customer = await make_customer(gql, token, name="Harbor Bakery")
    location = await make_location(gql, token, customer["id"])
    contact = await make_contact(gql, token, customer["id"])
    asset = await make_asset(gql, token, location["id"])
    technician = await make_technician(gql, token, name="Sam")
    crew = await gql(
        CREW_CREATE, {"input": {"name": "Crew", "technicianIds": [technician["id"]]}}, token=token
    )
    user = await make_user(gql, token, role="TECHNICIAN")
    job = await make_job(
        gql,
        token,
        customer["id"],
        title="Replace boiler",
        locationId=location["id"],
        contactId=contact["id"],
        assetIds=[asset["id"]],
    )
    await make_visit(gql, token, job["id"], [technician["id"]])
    ids = (await gql(IDS, {"job": job["id"]}, token=token))["data"]
    return SimpleNamespace(
        token=token,
        Job=job["id"],
        number=job["number"],
        Customer=customer["id"],
        Location=location["id"],
        Contact=contact["id"],
        Asset=asset["id"],
        Technician=technician["id"],
        Crew=crew["data"]["crewCreate"]["crew"]["id"],
        User=user["id"],
        Company=ids["viewer"]["company"]["id"],
        Visit=ids["node"]["visits"][0]["id"],
        JobEvent=ids["node"]["timeline"]["nodes"][0]["id"],
    )


@pytest.fixture(scope="module")
async def pair(client: Any, system_engine: Any) -> SimpleNamespace:
    """Companies A and B with the same data: a customer with a location, contact and asset,
    a technician in a crew, a technician user, and job J-1001 with a visit."""
    gql = GraphQLClient(client)
    a = await new_company(system_engine, "Company A")
    b = await new_company(system_engine, "Company B")
    return SimpleNamespace(
        a=await populate(gql, a.token),
        b=await populate(gql, b.token),
        a_id=a.company_id,
        b_id=b.company_id,
    )


def own_ids(company: SimpleNamespace) -> set[str]:
    return {getattr(company, t) for t in TYPES}


# --- relay ids -----------------------------------------------------------------------------


async def test_node_finds_every_type_of_the_viewers_company(gql, pair):
    # when A asks for each of its objects by global id
    found = {}
    for type_name in TYPES:
        result = await gql(NODE, {"id": getattr(pair.a, type_name)}, token=pair.a.token)
        found[type_name] = result["data"]["node"]

    # then each comes back as its own type with the same id
    assert found == {t: {"__typename": t, "id": getattr(pair.a, t)} for t in TYPES}


async def test_nodes_answers_in_order_with_null_for_what_is_not_yours(gql, pair):
    # when A asks for its objects mixed with B's and with junk
    ids = [pair.a.Job, pair.b.Job, "junk", pair.a.Customer, pair.b.Customer, pair.a.JobEvent]

    # then A's come back in place and the others are null
    result = await gql(NODES, {"ids": ids}, token=pair.a.token)
    assert result == {
        "data": {
            "nodes": [
                {"__typename": "Job", "id": pair.a.Job},
                None,
                None,
                {"__typename": "Customer", "id": pair.a.Customer},
                None,
                {"__typename": "JobEvent", "id": pair.a.JobEvent},
            ]
        }
    }


@pytest.mark.parametrize("type_name", TYPES)
async def test_a_foreign_id_behaves_exactly_like_a_missing_one(gql, pair, type_name):
    # given B's object of this type, and an id of this type that exists nowhere
    foreign = getattr(pair.b, type_name)
    missing = to_global_id(type_name, 2_000_000_000)

    # when A asks for both
    foreign_answer = await gql(NODE, {"id": foreign}, token=pair.a.token)
    missing_answer = await gql(NODE, {"id": missing}, token=pair.a.token)

    # then the answers are identical: null, no error, nothing to tell them apart
    assert foreign_answer == missing_answer == {"data": {"node": None}}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


MALFORMED_IDS = [
    "",
    "not base64!",
    "SGVsbG8",
    _b64("Job"),
    _b64("Job:abc"),
    _b64("Job:-1"),
    _b64("Job:0"),
    _b64("NoSuchType:1"),
    _b64(":1"),
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
async def test_a_malformed_id_is_null(gql, pair, bad_id):
    result = await gql(NODE, {"id": bad_id}, token=pair.a.token)
    assert result == {"data": {"node": None}}


# --- lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "other"), [("a", "b"), ("b", "a")])
async def test_every_list_shows_only_the_viewers_rows(gql, pair, viewer, other):
    # when each company reads every list, nested lists included
    mine = getattr(pair, viewer)
    theirs = getattr(pair, other)
    result = await gql(LISTS, {"day": VISIT_DAY.date().isoformat()}, token=mine.token)
    data = result["data"]

    # then every id seen is the viewer's, and the viewer's rows are there
    seen = {n["id"] for n in data["jobs"]["nodes"]}
    for customer in data["customers"]["nodes"]:
        seen |= {customer["id"]} | {x["id"] for x in customer["locations"] + customer["contacts"]}
    seen |= {n["id"] for n in data["technicians"]["nodes"]}
    for crew in data["crews"]:
        seen |= {crew["id"]} | {m["id"] for m in crew["members"]}
    board = data["dispatchBoard"]
    for lane in board["lanes"]:
        seen |= {lane["technician"]["id"]} | {v["id"] for v in lane["visits"]}
    seen |= {v["id"] for v in board["unassigned"]}
    assert not seen & own_ids(theirs)
    expected = {mine.Job, mine.Customer, mine.Location, mine.Contact, mine.Technician}
    assert expected | {mine.Crew, mine.Visit} <= seen
    assert data["jobs"]["totalCount"] == len(data["jobs"]["nodes"])


async def test_the_same_job_number_finds_each_companys_own_job(gql, pair):
    # given both companies have a job with the same number
    assert pair.a.number == pair.b.number

    # when each looks the number up
    a_found = await gql(JOB_BY_NUMBER, {"n": pair.a.number}, token=pair.a.token)
    b_found = await gql(JOB_BY_NUMBER, {"n": pair.b.number}, token=pair.b.token)

    # then each finds its own
    assert a_found["data"]["jobByNumber"] == {"id": pair.a.Job}
    assert b_found["data"]["jobByNumber"] == {"id": pair.b.Job}


async def test_search_does_not_reach_across_companies(gql, pair):
    # given both companies have a "Replace boiler" job for "Harbor Bakery"
    query = "query ($s: String) { jobs(filter: {search: $s}) { nodes { id } } }"

    # when A searches for it, then only A's job is found
    result = await gql(query, {"s": "harbor boiler"}, token=pair.a.token)
    assert result["data"]["jobs"]["nodes"] == [{"id": pair.a.Job}]


# --- mutations with the other company's ids ------------------------------------------------


@pytest.fixture(scope="module")
async def snapshots(client: Any, pair: SimpleNamespace) -> dict[str, Any]:
    gql = GraphQLClient(client)
    return {name: await gql(SNAPSHOT, token=getattr(pair, name).token) for name in ("a", "b")}


FOREIGN_MUTATIONS = [
    (
        "jobUpdate",
        "JobUpdateInput",
        lambda a, b: {"id": b.Job, "expectedVersion": 2, "title": "Hijacked"},
        ["input", "id"],
    ),
    ("jobHold", "JobHoldInput", lambda a, b: {"id": b.Job, "reason": "x"}, ["input", "id"]),
    ("jobCancel", "JobCancelInput", lambda a, b: {"id": b.Job, "reason": "x"}, ["input", "id"]),
    ("jobRelease", "JobReleaseInput", lambda a, b: {"id": b.Job}, ["input", "id"]),
    (
        "jobCreate",
        "JobCreateInput",
        lambda a, b: {"customerId": b.Customer, "title": "Theirs"},
        ["input", "customerId"],
    ),
    (
        "jobCreate",
        "JobCreateInput",
        lambda a, b: {"customerId": a.Customer, "title": "Mixed", "contactId": b.Contact},
        ["input", "contactId"],
    ),
    (
        "customerUpdate",
        "CustomerUpdateInput",
        lambda a, b: {"id": b.Customer, "name": "Hijacked"},
        ["input", "id"],
    ),
    (
        "locationCreate",
        "LocationCreateInput",
        lambda a, b: {"customerId": b.Customer, "street": "1 X St", "city": "Y"},
        ["input", "customerId"],
    ),
    (
        "contactCreate",
        "ContactCreateInput",
        lambda a, b: {"customerId": b.Customer, "name": "Spy"},
        ["input", "customerId"],
    ),
    (
        "assetCreate",
        "AssetCreateInput",
        lambda a, b: {"locationId": b.Location, "name": "Bug"},
        ["input", "locationId"],
    ),
    (
        "technicianUpdate",
        "TechnicianUpdateInput",
        lambda a, b: {"id": b.Technician, "active": False},
        ["input", "id"],
    ),
    (
        "technicianCreate",
        "TechnicianCreateInput",
        lambda a, b: {"name": "Borrowed", "userId": b.User},
        ["input", "userId"],
    ),
    (
        "crewCreate",
        "CrewCreateInput",
        lambda a, b: {"name": "Poached", "technicianIds": [b.Technician]},
        ["input", "technicianIds"],
    ),
    (
        "visitCreate",
        "VisitCreateInput",
        lambda a, b: {
            "jobId": b.Job,
            "start": "2030-02-01T09:00:00+00:00",
            "end": "2030-02-01T10:00:00+00:00",
        },
        ["input", "jobId"],
    ),
    (
        "visitAssign",
        "VisitAssignInput",
        lambda a, b: {"visitId": b.Visit, "technicianIds": [a.Technician]},
        ["input", "visitId"],
    ),
    (
        "visitAssign",
        "VisitAssignInput",
        lambda a, b: {"visitId": a.Visit, "technicianIds": [b.Technician]},
        ["input", "technicianIds"],
    ),
    (
        "visitTransition",
        "VisitTransitionInput",
        lambda a, b: {"visitId": b.Visit, "to": "EN_ROUTE"},
        ["input", "visitId"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "input_type", "data", "field"),
    [pytest.param(m, t, d, f, id=f"{m} {'.'.join(f[1:])}") for m, t, d, f in FOREIGN_MUTATIONS],
)
async def test_mutations_with_the_other_companys_ids_are_not_found(
    gql, pair, snapshots, mutation, input_type, data, field
):
    # given everything both companies can read (taken once: no test here may change it)

    # when A sends a mutation naming one of B's objects
    document = (
        f"mutation ($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ errors { code message field } } }"
    )
    result = await gql(document, {"input": data(pair.a, pair.b)}, token=pair.a.token)

    # then it is NOT_FOUND, as for an id that exists nowhere, and neither company changed
    errors = result["data"][mutation]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", field)]
    assert await gql(SNAPSHOT, token=pair.a.token) == snapshots["a"]
    assert await gql(SNAPSHOT, token=pair.b.token) == snapshots["b"]


# --- the second wall: row-level security in PostgreSQL -------------------------------------


@pytest.fixture
async def app_role_connection(database_url: str) -> Any:
    """A raw connection as the API's database role, below every check the API makes."""
    conn = await asyncpg.connect(database_url)
    await conn.execute("SET ROLE opus_app")
    try:
        yield conn
    finally:
        await conn.close()


async def scope(conn: Any, company_id: int) -> None:
    await conn.execute("SELECT set_config('opus.company_id', $1, true)", str(company_id))


TABLES = [t.name for t in TENANT_TABLES]


async def test_without_a_company_no_row_is_visible(app_role_connection, pair):
    # given a transaction that set no company
    conn = app_role_connection
    async with conn.transaction():
        # when counting the rows of every tenant table and of companies
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
        counts["companies"] = await conn.fetchval("SELECT count(*) FROM companies")

    # then there are none, although both companies have data
    assert counts == {t: 0 for t in counts}


async def test_a_company_scoped_transaction_sees_only_that_company(app_role_connection, pair):
    # given a transaction scoped to A
    conn = app_role_connection
    async with conn.transaction():
        await scope(conn, pair.a_id)

        # when reading the company ids present in every tenant table
        present = {
            t: {r[0] for r in await conn.fetch(f"SELECT DISTINCT company_id FROM {t}")}
            for t in TABLES
        }
        companies = [r[0] for r in await conn.fetch("SELECT id FROM companies")]
        job_count = await conn.fetchval("SELECT count(*) FROM jobs")

    # then only A's rows exist for it
    assert all(ids <= {pair.a_id} for ids in present.values()), present
    assert present["jobs"] == present["customers"] == {pair.a_id}
    assert companies == [pair.a_id]
    assert job_count == 1


async def test_scope_ends_with_the_transaction(app_role_connection, pair):
    conn = app_role_connection
    async with conn.transaction():
        await scope(conn, pair.a_id)
        assert await conn.fetchval("SELECT count(*) FROM jobs") == 1
    async with conn.transaction():
        assert await conn.fetchval("SELECT count(*) FROM jobs") == 0


def _db_id(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


WRITES_INTO_B = {
    "insert a job": (
        "INSERT INTO jobs (company_id, number, title, customer_id)"
        " VALUES ($1, 99999, 'Smuggled', $2)",
        lambda p: [p.b_id, _db_id(p.b.Customer)],
    ),
    "insert a customer": (
        "INSERT INTO customers (company_id, name) VALUES ($1, 'Smuggled')",
        lambda p: [p.b_id],
    ),
    "move A's customer to B": (
        "UPDATE customers SET company_id = $1 WHERE company_id = $2",
        lambda p: [p.b_id, p.a_id],
    ),
}


@pytest.mark.parametrize(("statement", "args"), WRITES_INTO_B.values(), ids=WRITES_INTO_B.keys())
async def test_writing_a_row_into_another_company_is_refused(
    app_role_connection, pair, statement, args
):
    # given a transaction scoped to A
    conn = app_role_connection
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with conn.transaction():
            await scope(conn, pair.a_id)

            # when it writes a row that belongs to B, then the policy refuses it
            await conn.execute(statement, *args(pair))


async def test_the_other_companys_rows_cannot_be_changed_or_deleted(app_role_connection, pair):
    # given a transaction scoped to A
    conn = app_role_connection
    transaction = conn.transaction()
    await transaction.start()
    try:
        await scope(conn, pair.a_id)

        # when it updates and deletes B's rows by company
        updated = await conn.execute(
            "UPDATE customers SET name = 'Hijacked' WHERE company_id = $1", pair.b_id
        )
        deleted = await conn.execute("DELETE FROM jobs WHERE company_id = $1", pair.b_id)
    finally:
        await transaction.rollback()

    # then no row was touched: to A, B's rows do not exist
    assert (updated, deleted) == ("UPDATE 0", "DELETE 0")
