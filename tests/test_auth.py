"""Signing in and out, users, and what each role may see and do."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.factories import (
    PASSWORD,
    make_customer,
    make_job,
    make_technician,
    make_technician_user,
    make_user,
    make_visit,
    new_company,
)

USER_CREATE = """
mutation ($input: UserCreateInput!) {
  userCreate(input: $input) {
    user { id email name role active technician { id } }
    errors { code message field }
  }
}
"""
LOGIN = """
mutation ($input: LoginInput!) {
  login(input: $input) {
    token
    viewer { role user { id email } company { id name } }
    errors { code message field }
  }
}
"""
LOGOUT = "mutation { logout { ok errors { code message field } } }"
VIEWER = """
{ viewer { role user { id email name } company { name } technician { id name } } }
"""
JOB_CREATE = """
mutation ($input: JobCreateInput!) {
  jobCreate(input: $input) { job { id } errors { code message field } }
}
"""
CUSTOMER_CREATE = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code message field } }
}
"""
JOB_HOLD = """
mutation ($input: JobHoldInput!) {
  jobHold(input: $input) { job { id status } errors { code message field } }
}
"""
JOBS = "{ jobs(first: 50) { totalCount nodes { id visits { technicians { id } } } } }"
NODE = "query ($id: ID!) { node(id: $id) { id } }"
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"
JOB_BY_NUMBER = "query ($n: String!) { jobByNumber(number: $n) { id } }"


def errors_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def new_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="module")
async def staff(client: Any, system_engine: Any) -> SimpleNamespace:
    """A company with its admin, a dispatcher and an office user, all signed in."""
    gql = GraphQLClient(client)
    tenant = await new_company(system_engine, "Staffed Co")
    return SimpleNamespace(
        tenant=tenant,
        admin=tenant.token,
        dispatcher=(await make_user(gql, tenant.token, role="DISPATCHER"))["token"],
        office=(await make_user(gql, tenant.token, role="OFFICE"))["token"],
    )


async def login(gql: Any, email: str, password: str) -> dict:
    result = await gql(LOGIN, {"input": {"email": email, "password": password}})
    return result["data"]["login"]  # type: ignore[no-any-return]


# --- users ---------------------------------------------------------------------------------


async def test_admin_creates_a_user_who_can_sign_in(gql, staff):
    # given an admin
    email = new_email("Dispatch")

    # when they add a dispatcher
    result = await gql(
        USER_CREATE,
        {
            "input": {
                "email": email,
                "name": "Dee Spatch",
                "role": "DISPATCHER",
                "password": PASSWORD,
            }
        },
        token=staff.admin,
    )

    # then the user exists, active, and signs in to the same company as a dispatcher
    payload = result["data"]["userCreate"]
    assert payload["errors"] == []
    user = payload["user"]
    assert user == {
        "id": user["id"],
        "email": email,
        "name": "Dee Spatch",
        "role": "DISPATCHER",
        "active": True,
        "technician": None,
    }
    signed_in = await login(gql, email, PASSWORD)
    assert signed_in["errors"] == []
    assert signed_in["viewer"]["role"] == "DISPATCHER"
    assert signed_in["viewer"]["user"] == {"id": user["id"], "email": email}
    assert signed_in["viewer"]["company"]["name"] == "Staffed Co"


@pytest.mark.parametrize("role", ["dispatcher", "office"])
async def test_only_admins_create_users(gql, staff, role):
    # given a signed-in user who is not an admin
    email = new_email("sneaky")

    # when they try to add a user
    result = await gql(
        USER_CREATE,
        {"input": {"email": email, "name": "Sneaky", "role": "ADMIN", "password": PASSWORD}},
        token=getattr(staff, role),
    )

    # then it is forbidden and no such user can sign in
    payload = result["data"]["userCreate"]
    assert payload["user"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert errors_of(await login(gql, email, PASSWORD)) == [
        ("INVALID_CREDENTIALS", ["input", "password"])
    ]


async def test_an_email_is_taken_in_any_case_and_in_any_company(gql, staff, make_company):
    # given a user of this company and the admin of another
    existing = await make_user(gql, staff.admin, role="OFFICE")
    other = await make_company()
    other_admin_email = (await gql(VIEWER, token=other.token))["data"]["viewer"]["user"]["email"]

    # when the admin adds users with those emails
    outcomes = []
    for email in (existing["email"].upper(), other_admin_email):
        result = await gql(
            USER_CREATE,
            {"input": {"email": email, "name": "Dup", "role": "OFFICE", "password": PASSWORD}},
            token=staff.admin,
        )
        outcomes.append(errors_of(result["data"]["userCreate"]))

    # then both are conflicts on the email
    assert outcomes == [[("CONFLICT", ["input", "email"])]] * 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"password": "short"}, ["input", "password"], id="short password"),
        pytest.param({"password": "123456789"}, ["input", "password"], id="nine characters"),
        pytest.param({"email": "nobody"}, ["input", "email"], id="bad email"),
        pytest.param({"email": " "}, ["input", "email"], id="blank email"),
        pytest.param({"name": ""}, ["input", "name"], id="blank name"),
    ],
)
async def test_user_create_refusals_write_nothing(gql, staff, data, field):
    # when a user with one thing wrong is added
    email = data.get("email", new_email("refused"))
    user = {"email": email, "name": "Refused", "role": "OFFICE", "password": PASSWORD, **data}
    result = await gql(USER_CREATE, {"input": user}, token=staff.admin)

    # then it is refused and nobody can sign in with it
    assert errors_of(result["data"]["userCreate"]) == [("VALIDATION", field)]
    signed_in = await login(gql, user["email"], user["password"])
    assert [e["code"] for e in signed_in["errors"]] == ["INVALID_CREDENTIALS"]


# --- login and logout ----------------------------------------------------------------------


async def test_login_with_the_right_password_gives_a_working_token(gql, staff):
    # given a user
    email = new_email("Right")
    await gql(
        USER_CREATE,
        {"input": {"email": email, "name": "Rita", "role": "OFFICE", "password": PASSWORD}},
        token=staff.admin,
    )

    # when they sign in, typing the email in another case with spaces around
    signed_in = await login(gql, f"  {email.upper()} ", PASSWORD)

    # then the token is theirs
    assert signed_in["errors"] == []
    assert signed_in["token"]
    viewer = (await gql(VIEWER, token=signed_in["token"]))["data"]["viewer"]
    assert (viewer["role"], viewer["user"]["email"]) == ("OFFICE", email)


@pytest.mark.parametrize("wrong", ["password", "email"])
async def test_login_refuses_a_wrong_password_or_email_alike(gql, staff, wrong):
    # given a user's email and password
    email = (await gql(VIEWER, token=staff.admin))["data"]["viewer"]["user"]["email"]
    credentials = {"email": email, "password": PASSWORD}
    credentials[wrong] = "nobody-here@example.com" if wrong == "email" else "wrong password!"

    # when signing in with one of them wrong
    signed_in = await login(gql, **credentials)

    # then there is no token and the same error either way
    assert signed_in["token"] is None and signed_in["viewer"] is None
    assert signed_in["errors"] == [
        {
            "code": "INVALID_CREDENTIALS",
            "message": "Wrong email or password.",
            "field": ["input", "password"],
        }
    ]


async def test_logout_ends_only_that_token(gql, staff):
    # given the admin signed in a second time
    email = (await gql(VIEWER, token=staff.admin))["data"]["viewer"]["user"]["email"]
    second = (await login(gql, email, PASSWORD))["token"]

    # when they sign out with the second token
    result = await gql(LOGOUT, token=second)

    # then the second token no longer works, the first still does
    assert result["data"]["logout"] == {"ok": True, "errors": []}
    refused = await gql(VIEWER, token=second)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(VIEWER, token=staff.admin))["data"]["viewer"]["user"]["email"] == email


@pytest.mark.parametrize(
    "token", [None, "opus_not-a-real-token", ""], ids=["no token", "unknown", "empty"]
)
async def test_without_a_valid_token_everything_is_unauthenticated(gql, token):
    # when a query and a mutation are sent without a valid token
    query = await gql(VIEWER, token=token)
    mutation = await gql(JOB_CREATE, {"input": {"customerId": "x", "title": "x"}}, token=token)

    # then both are refused as unauthenticated, with no data
    for result in (query, mutation):
        assert result["data"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "dispatcher", "office"])
async def test_office_roles_create_jobs(gql, staff, role):
    token = getattr(staff, role)
    customer = await make_customer(gql, token)
    job = await make_job(gql, token, customer["id"])
    assert job["number"].startswith("J-")


@pytest.fixture(scope="module")
async def field(client: Any, staff: SimpleNamespace) -> SimpleNamespace:
    """A technician who signs in, with a visit on one job; two other jobs are not theirs."""
    gql = GraphQLClient(client)
    tech = await make_technician_user(gql, staff.admin)
    colleague = await make_technician(gql, staff.admin)
    customer = await make_customer(gql, staff.admin)
    mine = await make_job(gql, staff.admin, customer["id"], title="Mine")
    colleagues = await make_job(gql, staff.admin, customer["id"], title="Colleague's")
    unscheduled = await make_job(gql, staff.admin, customer["id"], title="Unscheduled")
    await make_visit(gql, staff.admin, mine["id"], [tech["technician"]["id"]])
    await make_visit(gql, staff.admin, colleagues["id"], [colleague["id"]])
    return SimpleNamespace(
        tech=tech,
        token=tech["token"],
        customer=customer["id"],
        mine=mine,
        colleagues=colleagues,
        unscheduled=unscheduled,
    )


async def test_a_technician_sees_their_own_profile(gql, field):
    viewer = (await gql(VIEWER, token=field.token))["data"]["viewer"]
    assert viewer["role"] == "TECHNICIAN"
    assert viewer["technician"] == field.tech["technician"]


async def test_a_technician_may_not_create_or_change_jobs(gql, field):
    # when a technician tries office work
    created = await gql(
        JOB_CREATE,
        {"input": {"customerId": field.customer, "title": "Mine now"}},
        token=field.token,
    )
    customer = await gql(CUSTOMER_CREATE, {"input": {"name": "Side gig"}}, token=field.token)
    held = await gql(
        JOB_HOLD, {"input": {"id": field.mine["id"], "reason": "x"}}, token=field.token
    )

    # then each is forbidden, even on their own job
    assert [e["code"] for e in created["data"]["jobCreate"]["errors"]] == ["FORBIDDEN"]
    assert created["data"]["jobCreate"]["job"] is None
    assert [e["code"] for e in customer["data"]["customerCreate"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in held["data"]["jobHold"]["errors"]] == ["FORBIDDEN"]


async def test_a_technician_lists_only_jobs_assigned_to_them(gql, field):
    # when the technician lists jobs
    result = await gql(JOBS, token=field.token)

    # then only the job with their visit is there, with only their visit
    jobs = result["data"]["jobs"]
    assert jobs["totalCount"] == 1
    assert jobs["nodes"] == [
        {
            "id": field.mine["id"],
            "visits": [{"technicians": [{"id": field.tech["technician"]["id"]}]}],
        }
    ]


async def test_a_technician_cannot_fetch_other_jobs_by_id_or_number(gql, field):
    # when the technician asks for each job by id and by number
    by_id = {}
    by_number = {}
    for job in (field.mine, field.colleagues, field.unscheduled):
        node = await gql(NODE, {"id": job["id"]}, token=field.token)
        by_id[job["title"]] = node["data"]["node"]
        found = await gql(JOB_BY_NUMBER, {"n": job["number"]}, token=field.token)
        by_number[job["title"]] = found["data"]["jobByNumber"]

    # then only their own job is found; the others are as if missing
    mine = {"id": field.mine["id"]}
    assert by_id == {"Mine": mine, "Colleague's": None, "Unscheduled": None}
    assert by_number == {"Mine": mine, "Colleague's": None, "Unscheduled": None}


async def test_a_technician_cannot_fetch_other_visits_or_their_events(gql, staff, field):
    # given the ids of each job's visit and first event, as the office sees them
    document = """
    query ($ids: [ID!]!) {
      nodes(ids: $ids) { ... on Job { visits { id } timeline { nodes { id } } } }
    }
    """
    ids = [field.mine["id"], field.colleagues["id"]]
    office_view = (await gql(document, {"ids": ids}, token=staff.dispatcher))["data"]["nodes"]
    mine, colleagues = (
        [job["visits"][0]["id"], job["timeline"]["nodes"][0]["id"]] for job in office_view
    )

    # when the technician asks for them by id
    result = await gql(NODES, {"ids": mine + colleagues}, token=field.token)

    # then their own visit and event are found, their colleague's are as if missing
    assert result["data"]["nodes"] == [{"id": mine[0]}, {"id": mine[1]}, None, None]


async def test_the_office_sees_every_job(gql, staff, field):
    result = await gql(JOBS, token=staff.dispatcher)
    ids = {n["id"] for n in result["data"]["jobs"]["nodes"]}
    assert {field.mine["id"], field.colleagues["id"], field.unscheduled["id"]} <= ids
