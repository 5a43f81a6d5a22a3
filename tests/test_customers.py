"""Customers, their service locations, contacts and equipment through the API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.factories import (
    make_asset,
    make_customer,
    make_location,
    new_company,
)

CUSTOMER_FIELDS = "id name email phone notes createdAt updatedAt"
CUSTOMER_CREATE = (
    "mutation ($input: CustomerCreateInput!) { customerCreate(input: $input) { customer {"
    + CUSTOMER_FIELDS
    + "} errors { code message field } } }"
)
CUSTOMER_UPDATE = (
    "mutation ($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer {"
    + CUSTOMER_FIELDS
    + "} errors { code message field } } }"
)
LOCATION_CREATE = """
mutation ($input: LocationCreateInput!) {
  locationCreate(input: $input) {
    location {
      id label street city region postalCode country lat lng accessNotes address
      customer { id }
    }
    errors { code message field }
  }
}
"""
CONTACT_CREATE = """
mutation ($input: ContactCreateInput!) {
  contactCreate(input: $input) {
    contact { id name email phone role }
    errors { code message field }
  }
}
"""
ASSET_CREATE = """
mutation ($input: AssetCreateInput!) {
  assetCreate(input: $input) {
    asset { id name make model serial installedOn location { id } }
    errors { code message field }
  }
}
"""
CUSTOMER = """
query ($id: ID!) {
  node(id: $id) {
    ... on Customer {
      id name email phone notes
      locations { id street assets { id name } }
      contacts { id name }
    }
  }
}
"""
CUSTOMERS = """
query ($first: Int, $after: String, $search: String) {
  customers(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name }
  }
}
"""


def errors_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.fixture(scope="module")
async def office(client: Any, system_engine: Any) -> SimpleNamespace:
    """A company with one customer, and a second company with one of its own."""
    gql = GraphQLClient(client)
    tenant = await new_company(system_engine)
    other = await new_company(system_engine)
    return SimpleNamespace(
        token=tenant.token,
        customer=(await make_customer(gql, tenant.token, name="Office Customer"))["id"],
        other_token=other.token,
        foreign_customer=(await make_customer(gql, other.token, name="Foreign"))["id"],
    )


async def read_customer(gql: Any, token: str, customer_id: str) -> dict:
    return (await gql(CUSTOMER, {"id": customer_id}, token=token))["data"]["node"]  # type: ignore[no-any-return]


# --- customers -----------------------------------------------------------------------------


async def test_customer_create(gql, office):
    # when the office adds a customer with every field
    result = await gql(
        CUSTOMER_CREATE,
        {
            "input": {
                "name": "  Riverside Dental ",
                "email": "front@riverside.example",
                "phone": "+1 303 555 0100",
                "notes": "Pays on 30 days",
            }
        },
        token=office.token,
    )

    # then it exists as given, trimmed
    payload = result["data"]["customerCreate"]
    assert payload["errors"] == []
    customer = payload["customer"]
    assert {k: customer[k] for k in ("name", "email", "phone", "notes")} == {
        "name": "Riverside Dental",
        "email": "front@riverside.example",
        "phone": "+1 303 555 0100",
        "notes": "Pays on 30 days",
    }
    stored = await read_customer(gql, office.token, customer["id"])
    assert stored["name"] == "Riverside Dental"
    assert stored["locations"] == [] and stored["contacts"] == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"name": "  "}, ["input", "name"], id="blank name"),
        pytest.param({"name": "x" * 201}, ["input", "name"], id="name too long"),
        pytest.param({"name": "A", "email": "not-an-email"}, ["input", "email"], id="bad email"),
        pytest.param({"name": "A", "phone": "1" * 41}, ["input", "phone"], id="phone too long"),
    ],
)
async def test_customer_create_refusals_write_nothing(gql, office, data, field):
    # given the customers as they are
    before = (await gql(CUSTOMERS, {"first": 0}, token=office.token))["data"]["customers"]

    # when a customer with one thing wrong is added
    result = await gql(CUSTOMER_CREATE, {"input": data}, token=office.token)

    # then it is refused with the field at fault and nothing was added
    payload = result["data"]["customerCreate"]
    assert payload["customer"] is None
    assert errors_of(payload) == [("VALIDATION", field)]
    after = (await gql(CUSTOMERS, {"first": 0}, token=office.token))["data"]["customers"]
    assert after["totalCount"] == before["totalCount"]


async def test_customer_update_changes_only_given_fields(gql, office):
    # given a customer with an email and notes
    customer = await make_customer(gql, office.token, email="old@example.com", notes="Keep")

    # when the office changes the name and clears the email
    result = await gql(
        CUSTOMER_UPDATE,
        {"input": {"id": customer["id"], "name": "Renamed", "email": None}},
        token=office.token,
    )

    # then those changed and the notes stayed
    payload = result["data"]["customerUpdate"]
    assert payload["errors"] == []
    updated = payload["customer"]
    assert (updated["name"], updated["email"], updated["notes"]) == ("Renamed", None, "Keep")
    assert updated["updatedAt"] >= updated["createdAt"]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        pytest.param({"name": ""}, "VALIDATION", ["input", "name"], id="blank name"),
        pytest.param({"email": "nope"}, "VALIDATION", ["input", "email"], id="bad email"),
        pytest.param({"id": "garbage"}, "VALIDATION", ["input", "id"], id="malformed id"),
        pytest.param({"id": "foreign"}, "NOT_FOUND", ["input", "id"], id="another company's"),
    ],
)
async def test_customer_update_refusals_change_nothing(gql, office, data, code, field):
    # given a customer, and another company's customer
    customer = await make_customer(gql, office.token, name="Unchanged")
    foreign_before = await read_customer(gql, office.other_token, office.foreign_customer)
    ids = {"foreign": office.foreign_customer}
    data = {k: ids.get(v, v) for k, v in data.items()}

    # when an update with one thing wrong arrives
    result = await gql(
        CUSTOMER_UPDATE, {"input": {"id": customer["id"], **data}}, token=office.token
    )

    # then it is refused and neither customer changed
    payload = result["data"]["customerUpdate"]
    assert payload["customer"] is None
    assert errors_of(payload) == [(code, field)]
    assert (await read_customer(gql, office.token, customer["id"]))["name"] == "Unchanged"
    foreign_after = await read_customer(gql, office.other_token, office.foreign_customer)
    assert foreign_after == foreign_before


async def test_customers_list_searches_and_pages_by_name(gql, make_company):
    # given four customers
    tenant = await make_company()
    for name in ("Delta Dairy", "Alpha Bakery", "Charlie Bakery", "Bravo Bikes"):
        await make_customer(gql, tenant.token, name=name)

    # when listing them two at a time, and searching
    first = (await gql(CUSTOMERS, {"first": 2}, token=tenant.token))["data"]["customers"]
    second = (
        await gql(
            CUSTOMERS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=tenant.token
        )
    )["data"]["customers"]
    found = (await gql(CUSTOMERS, {"search": "BAK"}, token=tenant.token))["data"]["customers"]

    # then they come by name, and the search finds partial words in any case
    names = [n["name"] for n in first["nodes"] + second["nodes"]]
    assert names == ["Alpha Bakery", "Bravo Bikes", "Charlie Bakery", "Delta Dairy"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    assert first["totalCount"] == 4
    assert [n["name"] for n in found["nodes"]] == ["Alpha Bakery", "Charlie Bakery"]
    assert found["totalCount"] == 2


# --- locations -----------------------------------------------------------------------------


async def test_location_create(gql, office):
    # when the office adds a full service address to a customer
    result = await gql(
        LOCATION_CREATE,
        {
            "input": {
                "customerId": office.customer,
                "label": "Warehouse",
                "street": "400 Industrial Blvd",
                "city": "Aurora",
                "region": "CO",
                "postalCode": "80011",
                "country": "us",
                "lat": 39.72,
                "lng": -104.83,
                "accessNotes": "Gate code 4411",
            }
        },
        token=office.token,
    )

    # then it is stored, with the country upper-cased and a one-line address
    payload = result["data"]["locationCreate"]
    assert payload["errors"] == []
    location = payload["location"]
    assert location == {
        "id": location["id"],
        "label": "Warehouse",
        "street": "400 Industrial Blvd",
        "city": "Aurora",
        "region": "CO",
        "postalCode": "80011",
        "country": "US",
        "lat": 39.72,
        "lng": -104.83,
        "accessNotes": "Gate code 4411",
        "address": "400 Industrial Blvd, Aurora, CO 80011",
        "customer": {"id": office.customer},
    }
    customer = await read_customer(gql, office.token, office.customer)
    assert location["id"] in [loc["id"] for loc in customer["locations"]]


async def test_location_defaults_to_the_us_without_coordinates(gql, office):
    location = await make_location(gql, office.token, office.customer)
    assert location["address"] == "1 Main Street, Denver"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        pytest.param({"lat": 39.7}, "VALIDATION", ["input"], id="lat without lng"),
        pytest.param({"lng": -104.9}, "VALIDATION", ["input"], id="lng without lat"),
        pytest.param(
            {"lat": 91.0, "lng": 0.0}, "VALIDATION", ["input", "lat"], id="lat out of range"
        ),
        pytest.param(
            {"lat": 0.0, "lng": 181.0}, "VALIDATION", ["input", "lng"], id="lng out of range"
        ),
        pytest.param({"street": " "}, "VALIDATION", ["input", "street"], id="blank street"),
        pytest.param({"city": ""}, "VALIDATION", ["input", "city"], id="blank city"),
        pytest.param({"country": "USA"}, "VALIDATION", ["input", "country"], id="bad country"),
        pytest.param(
            {"customerId": "foreign"}, "NOT_FOUND", ["input", "customerId"], id="foreign customer"
        ),
        pytest.param(
            {"customerId": "xyz"}, "VALIDATION", ["input", "customerId"], id="malformed customer"
        ),
    ],
)
async def test_location_create_refusals_write_nothing(gql, office, data, code, field):
    # given the customer's locations as they are
    before = await read_customer(gql, office.token, office.customer)
    foreign_before = await read_customer(gql, office.other_token, office.foreign_customer)
    data = {k: office.foreign_customer if v == "foreign" else v for k, v in data.items()}

    # when an address with one thing wrong is added
    result = await gql(
        LOCATION_CREATE,
        {"input": {"customerId": office.customer, "street": "1 A St", "city": "B", **data}},
        token=office.token,
    )

    # then it is refused and no location was added anywhere
    payload = result["data"]["locationCreate"]
    assert payload["location"] is None
    assert errors_of(payload) == [(code, field)]
    assert await read_customer(gql, office.token, office.customer) == before
    assert await read_customer(gql, office.other_token, office.foreign_customer) == foreign_before


# --- contacts and assets -------------------------------------------------------------------


async def test_contact_create(gql, office):
    # when the office adds a contact person
    result = await gql(
        CONTACT_CREATE,
        {
            "input": {
                "customerId": office.customer,
                "name": "Dana Reyes",
                "email": "dana@example.com",
                "phone": "555-0101",
                "role": "Facilities manager",
            }
        },
        token=office.token,
    )

    # then the customer lists them
    payload = result["data"]["contactCreate"]
    assert payload["errors"] == []
    contact = payload["contact"]
    assert contact == {
        "id": contact["id"],
        "name": "Dana Reyes",
        "email": "dana@example.com",
        "phone": "555-0101",
        "role": "Facilities manager",
    }
    customer = await read_customer(gql, office.token, office.customer)
    assert {"id": contact["id"], "name": "Dana Reyes"} in customer["contacts"]


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        pytest.param({"name": ""}, "VALIDATION", ["input", "name"], id="blank name"),
        pytest.param({"email": "dana@"}, "VALIDATION", ["input", "email"], id="bad email"),
        pytest.param(
            {"customerId": "foreign"}, "NOT_FOUND", ["input", "customerId"], id="foreign customer"
        ),
    ],
)
async def test_contact_create_refusals_write_nothing(gql, office, data, code, field):
    before = await read_customer(gql, office.token, office.customer)
    foreign_before = await read_customer(gql, office.other_token, office.foreign_customer)
    data = {k: office.foreign_customer if v == "foreign" else v for k, v in data.items()}

    result = await gql(
        CONTACT_CREATE,
        {"input": {"customerId": office.customer, "name": "Dana", **data}},
        token=office.token,
    )

    payload = result["data"]["contactCreate"]
    assert payload["contact"] is None
    assert errors_of(payload) == [(code, field)]
    assert await read_customer(gql, office.token, office.customer) == before
    assert await read_customer(gql, office.other_token, office.foreign_customer) == foreign_before


async def test_asset_create(gql, office):
    # given a location
    location = await make_location(gql, office.token, office.customer)

    # when equipment is recorded there
    result = await gql(
        ASSET_CREATE,
        {
            "input": {
                "locationId": location["id"],
                "name": "Rooftop unit 2",
                "make": "Carrier",
                "model": "48FC",
                "serial": "SN-0042",
                "installedOn": "2019-05-01",
            }
        },
        token=office.token,
    )

    # then it is at that location
    payload = result["data"]["assetCreate"]
    assert payload["errors"] == []
    asset = payload["asset"]
    assert asset == {
        "id": asset["id"],
        "name": "Rooftop unit 2",
        "make": "Carrier",
        "model": "48FC",
        "serial": "SN-0042",
        "installedOn": "2019-05-01",
        "location": {"id": location["id"]},
    }
    customer = await read_customer(gql, office.token, office.customer)
    (listed,) = [loc for loc in customer["locations"] if loc["id"] == location["id"]]
    assert listed["assets"] == [{"id": asset["id"], "name": "Rooftop unit 2"}]


async def test_asset_create_refusals_write_nothing(gql, office):
    # given a location of ours and one of another company
    ours = await make_location(gql, office.token, office.customer)
    theirs = await make_location(gql, office.other_token, office.foreign_customer)
    await make_asset(gql, office.token, ours["id"], name="Existing")

    # when equipment is recorded with a blank name, at their location, at a malformed id
    attempts = [
        ({"locationId": ours["id"], "name": " "}, ("VALIDATION", ["input", "name"])),
        ({"locationId": theirs["id"], "name": "Sneaky"}, ("NOT_FOUND", ["input", "locationId"])),
        ({"locationId": "zzz", "name": "Lost"}, ("VALIDATION", ["input", "locationId"])),
    ]
    outcomes = []
    for data, _ in attempts:
        result = await gql(ASSET_CREATE, {"input": data}, token=office.token)
        outcomes.append(errors_of(result["data"]["assetCreate"]))

    # then each is refused and no asset was added
    assert outcomes == [[expected] for _, expected in attempts]
    mine = await read_customer(gql, office.token, office.customer)
    (listed,) = [loc for loc in mine["locations"] if loc["id"] == ours["id"]]
    assert [a["name"] for a in listed["assets"]] == ["Existing"]
    foreign = await read_customer(gql, office.other_token, office.foreign_customer)
    assert all(loc["assets"] == [] for loc in foreign["locations"])
