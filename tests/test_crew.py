"""Technicians (skills, working hours, home base, cost) and crews through the API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.factories import make_technician, make_user, new_company

TECHNICIAN_FIELDS = """
  id name email phone hourlyCost color active
  skills { skill level }
  homeBase { lat lng }
  workingHours { day start end }
  crews { id name }
  user { id email }
"""
TECHNICIAN_CREATE = (
    "mutation ($input: TechnicianCreateInput!) { technicianCreate(input: $input) { technician {"
    + TECHNICIAN_FIELDS
    + "} errors { code message field } } }"
)
TECHNICIAN_UPDATE = (
    "mutation ($input: TechnicianUpdateInput!) { technicianUpdate(input: $input) { technician {"
    + TECHNICIAN_FIELDS
    + "} errors { code message field } } }"
)
TECHNICIAN = "query ($id: ID!) { node(id: $id) { ... on Technician {" + TECHNICIAN_FIELDS + "} } }"
TECHNICIANS = """
query ($search: String, $skill: String, $active: Boolean) {
  technicians(first: 50, search: $search, skill: $skill, active: $active) {
    totalCount
    nodes { name }
  }
}
"""
CREW_CREATE = """
mutation ($input: CrewCreateInput!) {
  crewCreate(input: $input) {
    crew { id name members { id name } }
    errors { code message field }
  }
}
"""
CREWS = "{ crews { id name members { name } } }"


def errors_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.fixture(scope="module")
async def shop(client: Any, system_engine: Any) -> SimpleNamespace:
    """A company, and another company with a technician and a user of its own."""
    gql = GraphQLClient(client)
    tenant = await new_company(system_engine)
    other = await new_company(system_engine)
    return SimpleNamespace(
        token=tenant.token,
        other_token=other.token,
        foreign_technician=(await make_technician(gql, other.token, name="Foreign Tech"))["id"],
        foreign_user=(await make_user(gql, other.token, role="TECHNICIAN"))["id"],
    )


async def read_technician(gql: Any, token: str, technician_id: str) -> dict:
    return (await gql(TECHNICIAN, {"id": technician_id}, token=token))["data"]["node"]  # type: ignore[no-any-return]


async def technician_count(gql: Any, token: str) -> int:
    return (await gql(TECHNICIANS, token=token))["data"]["technicians"]["totalCount"]  # type: ignore[no-any-return]


FULL_PROFILE = {
    "name": " Maria Lopez ",
    "email": "maria@example.com",
    "phone": "555-0199",
    "skills": [
        {"skill": " HVAC", "level": 5},
        {"skill": "electrical", "level": 1},
    ],
    "homeBase": {"lat": 39.74, "lng": -104.99},
    "workingHours": [
        {"day": "FRI", "start": "07:00", "end": "13:00"},
        {"day": "MON", "start": "07:30", "end": "16:00"},
    ],
    "hourlyCost": "48.50",
    "color": "#1e88e5",
}


async def test_technician_create_with_a_full_profile(gql, shop):
    # when the office adds a technician with skills, home base and hours
    result = await gql(TECHNICIAN_CREATE, {"input": FULL_PROFILE}, token=shop.token)

    # then the profile reads back as given: skills lower-cased, days in week order
    payload = result["data"]["technicianCreate"]
    assert payload["errors"] == []
    technician = payload["technician"]
    assert technician == {
        "id": technician["id"],
        "name": "Maria Lopez",
        "email": "maria@example.com",
        "phone": "555-0199",
        "hourlyCost": "48.50",
        "color": "#1e88e5",
        "active": True,
        "skills": [{"skill": "hvac", "level": 5}, {"skill": "electrical", "level": 1}],
        "homeBase": {"lat": 39.74, "lng": -104.99},
        "workingHours": [
            {"day": "MON", "start": "07:30", "end": "16:00"},
            {"day": "FRI", "start": "07:00", "end": "13:00"},
        ],
        "crews": [],
        "user": None,
    }
    assert await read_technician(gql, shop.token, technician["id"]) == technician


async def test_technician_create_minimal(gql, shop):
    technician = await read_technician(
        gql, shop.token, (await make_technician(gql, shop.token, name="Min"))["id"]
    )
    assert technician["skills"] == [] and technician["workingHours"] == []
    assert technician["homeBase"] is None
    assert technician["hourlyCost"] == "0.00"


async def test_technician_linked_to_a_user(gql, shop):
    # given a user with the technician role
    user = await make_user(gql, shop.token, role="TECHNICIAN")

    # when a technician profile is linked to them
    technician = await make_technician(gql, shop.token, userId=user["id"])

    # then each points at the other, and a second profile for them is a conflict
    stored = await read_technician(gql, shop.token, technician["id"])
    assert stored["user"] == {"id": user["id"], "email": user["email"]}
    again = await gql(
        TECHNICIAN_CREATE, {"input": {"name": "Twin", "userId": user["id"]}}, token=shop.token
    )
    assert errors_of(again["data"]["technicianCreate"]) == [("CONFLICT", ["input", "userId"])]


SKILL_AND_HOURS_REFUSALS = [
    (
        "skill level 0",
        {"skills": [{"skill": "hvac", "level": 0}]},
        "VALIDATION",
        ["input", "skills", "0", "level"],
    ),
    (
        "skill level 6",
        {"skills": [{"skill": "a", "level": 3}, {"skill": "hvac", "level": 6}]},
        "VALIDATION",
        ["input", "skills", "1", "level"],
    ),
    (
        "nameless skill",
        {"skills": [{"skill": " ", "level": 3}]},
        "VALIDATION",
        ["input", "skills", "0"],
    ),
    (
        "hour without leading zero",
        {"workingHours": [{"day": "MON", "start": "7:00", "end": "15:00"}]},
        "VALIDATION",
        ["input", "workingHours", "0"],
    ),
    (
        "hour 24",
        {"workingHours": [{"day": "MON", "start": "08:00", "end": "24:00"}]},
        "VALIDATION",
        ["input", "workingHours", "0"],
    ),
    (
        "shift ends before it starts",
        {"workingHours": [{"day": "TUE", "start": "16:00", "end": "08:00"}]},
        "VALIDATION",
        ["input", "workingHours", "0"],
    ),
    (
        "a day twice",
        {
            "workingHours": [
                {"day": "TUE", "start": "08:00", "end": "12:00"},
                {"day": "TUE", "start": "13:00", "end": "17:00"},
            ]
        },
        "VALIDATION",
        ["input", "workingHours", "1"],
    ),
    (
        "home base off the map",
        {"homeBase": {"lat": 95.0, "lng": 0.0}},
        "VALIDATION",
        ["input", "homeBase", "lat"],
    ),
    ("negative cost", {"hourlyCost": "-1"}, "VALIDATION", ["input", "hourlyCost"]),
    ("bad colour", {"color": "blue"}, "VALIDATION", ["input", "color"]),
    ("blank name", {"name": ""}, "VALIDATION", ["input", "name"]),
    ("malformed user id", {"userId": "nope"}, "VALIDATION", ["input", "userId"]),
    ("user of another company", {"userId": "foreign"}, "NOT_FOUND", ["input", "userId"]),
]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [pytest.param(d, c, f, id=name) for name, d, c, f in SKILL_AND_HOURS_REFUSALS],
)
async def test_technician_create_refusals_write_nothing(gql, shop, data, code, field):
    # given the technicians as they are
    before = await technician_count(gql, shop.token)
    data = {k: shop.foreign_user if v == "foreign" else v for k, v in data.items()}

    # when a profile with one thing wrong is added
    result = await gql(TECHNICIAN_CREATE, {"input": {"name": "Refused", **data}}, token=shop.token)

    # then it is refused with the field at fault and no technician was added
    payload = result["data"]["technicianCreate"]
    assert payload["technician"] is None
    assert errors_of(payload) == [(code, field)]
    assert await technician_count(gql, shop.token) == before


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [pytest.param(d, c, f, id=name) for name, d, c, f in SKILL_AND_HOURS_REFUSALS[:11]]
    + [
        pytest.param({"id": "foreign"}, "NOT_FOUND", ["input", "id"], id="another company's"),
        pytest.param({"id": "xyz"}, "VALIDATION", ["input", "id"], id="malformed id"),
        pytest.param({"active": None}, "VALIDATION", ["input", "active"], id="active null"),
    ],
)
async def test_technician_update_refusals_change_nothing(gql, shop, data, code, field):
    # given a technician with a full profile, and another company's technician
    technician = await make_technician(gql, shop.token, **FULL_PROFILE)
    before = await read_technician(gql, shop.token, technician["id"])
    foreign_before = await read_technician(gql, shop.other_token, shop.foreign_technician)
    data = {k: shop.foreign_technician if v == "foreign" else v for k, v in data.items()}

    # when an update with a good phone change and one thing wrong arrives
    result = await gql(
        TECHNICIAN_UPDATE,
        {"input": {"id": technician["id"], "phone": "555-9999", **data}},
        token=shop.token,
    )

    # then it is refused and neither technician changed
    payload = result["data"]["technicianUpdate"]
    assert payload["technician"] is None
    assert errors_of(payload) == [(code, field)]
    assert await read_technician(gql, shop.token, technician["id"]) == before
    assert await read_technician(gql, shop.other_token, shop.foreign_technician) == foreign_before


async def test_technician_update_changes_only_given_fields(gql, shop):
    # given a technician with a full profile
    technician = await make_technician(gql, shop.token, **FULL_PROFILE)
    before = await read_technician(gql, shop.token, technician["id"])

    # when the office replaces the skills, moves the home base and deactivates them
    result = await gql(
        TECHNICIAN_UPDATE,
        {
            "input": {
                "id": technician["id"],
                "skills": [{"skill": "Plumbing", "level": 3}],
                "homeBase": {"lat": 40.01, "lng": -105.27},
                "workingHours": [{"day": "SAT", "start": "09:00", "end": "12:00"}],
                "active": False,
            }
        },
        token=shop.token,
    )

    # then those changed and everything else stayed
    payload = result["data"]["technicianUpdate"]
    assert payload["errors"] == []
    assert payload["technician"] == {
        **before,
        "skills": [{"skill": "plumbing", "level": 3}],
        "homeBase": {"lat": 40.01, "lng": -105.27},
        "workingHours": [{"day": "SAT", "start": "09:00", "end": "12:00"}],
        "active": False,
    }


async def test_technician_update_can_clear_the_home_base(gql, shop):
    technician = await make_technician(gql, shop.token, homeBase={"lat": 1.0, "lng": 2.0})
    result = await gql(
        TECHNICIAN_UPDATE, {"input": {"id": technician["id"], "homeBase": None}}, token=shop.token
    )
    assert result["data"]["technicianUpdate"]["technician"]["homeBase"] is None


async def test_technicians_list_filters_by_name_skill_and_active(gql, make_company):
    # given three technicians
    tenant = await make_company()
    await make_technician(gql, tenant.token, name="Ana Gas", skills=[{"skill": "gas", "level": 4}])
    await make_technician(
        gql, tenant.token, name="Ben Volt", skills=[{"skill": "electrical", "level": 2}]
    )
    retired = await make_technician(
        gql, tenant.token, name="Cy Gas", skills=[{"skill": "gas", "level": 2}]
    )
    await gql(
        TECHNICIAN_UPDATE, {"input": {"id": retired["id"], "active": False}}, token=tenant.token
    )

    async def names(**variables: Any) -> list[str]:
        result = await gql(TECHNICIANS, variables, token=tenant.token)
        return [n["name"] for n in result["data"]["technicians"]["nodes"]]

    # when filtering, then the list narrows as asked, by name
    assert await names() == ["Ana Gas", "Ben Volt", "Cy Gas"]
    assert await names(skill="GAS") == ["Ana Gas", "Cy Gas"]
    assert await names(skill="gas", active=True) == ["Ana Gas"]
    assert await names(active=False) == ["Cy Gas"]
    assert await names(search="volt") == ["Ben Volt"]


# --- crews ---------------------------------------------------------------------------------


async def test_crew_create_with_members(gql, make_company):
    # given two technicians
    tenant = await make_company()
    zoe = await make_technician(gql, tenant.token, name="Zoe")
    adam = await make_technician(gql, tenant.token, name="Adam")

    # when the office makes them a crew (naming one twice)
    result = await gql(
        CREW_CREATE,
        {"input": {"name": " North team ", "technicianIds": [zoe["id"], adam["id"], zoe["id"]]}},
        token=tenant.token,
    )

    # then the crew lists both once, by name, and each technician shows the crew
    payload = result["data"]["crewCreate"]
    assert payload["errors"] == []
    crew = payload["crew"]
    assert crew["name"] == "North team"
    assert crew["members"] == [adam, zoe]
    assert (await read_technician(gql, tenant.token, zoe["id"]))["crews"] == [
        {"id": crew["id"], "name": "North team"}
    ]
    listed = (await gql(CREWS, token=tenant.token))["data"]["crews"]
    assert listed == [
        {"id": crew["id"], "name": "North team", "members": [{"name": "Adam"}, {"name": "Zoe"}]}
    ]


async def test_crew_create_refusals_write_nothing(gql, shop):
    # given a technician of ours
    ours = await make_technician(gql, shop.token)
    before = (await gql(CREWS, token=shop.token))["data"]["crews"]
    foreign_before = (await gql(CREWS, token=shop.other_token))["data"]["crews"]

    # when crews are made with a blank name, another company's technician, a malformed id
    attempts = [
        ({"name": " ", "technicianIds": [ours["id"]]}, ("VALIDATION", ["input", "name"])),
        (
            {"name": "Mixed", "technicianIds": [ours["id"], shop.foreign_technician]},
            ("NOT_FOUND", ["input", "technicianIds"]),
        ),
        ({"name": "Broken", "technicianIds": ["??"]}, ("VALIDATION", ["input", "technicianIds"])),
    ]
    outcomes = []
    for data, _ in attempts:
        result = await gql(CREW_CREATE, {"input": data}, token=shop.token)
        outcomes.append(errors_of(result["data"]["crewCreate"]))

    # then each is refused and no crew appeared in either company
    assert outcomes == [[expected] for _, expected in attempts]
    assert (await gql(CREWS, token=shop.token))["data"]["crews"] == before
    assert (await gql(CREWS, token=shop.other_token))["data"]["crews"] == foreign_before
