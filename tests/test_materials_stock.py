"""Inventory items, stock locations and levels, and reservations against job lines."""

from __future__ import annotations

import asyncio

from tests.factories import (
    make_job,
    make_technician,
    make_technician_user,
    make_user,
    make_visit,
)
from tests.materials_factories import (
    ERRORS,
    ITEM_CREATE,
    LOCATION_CREATE,
    RESERVE,
    STOCK_ADJUST,
    add_line,
    add_material,
    event_types,
    level,
    make_item,
    make_stock_location,
    ok,
    refused,
    reserve,
    set_stock,
    timeline,
)

ITEMS = """
query ($first: Int, $after: String, $search: String) {
  inventoryItems(first: $first, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } nodes { sku stockLevels { onHand } }
  }
}
"""
LOCATIONS = "{ stockLocations { name kind technician { name } } }"
RELEASE = f"""
mutation ($input: MaterialReleaseInput!) {{
  materialRelease(input: $input) {{ reservation {{ id quantity issued held status }} {ERRORS} }}
}}
"""
ISSUE = f"""
mutation ($input: MaterialMoveInput!) {{
  materialIssue(input: $input) {{ reservation {{ id quantity issued held status }} {ERRORS} }}
}}
"""
RETURN = f"""
mutation ($input: MaterialMoveInput!) {{
  materialReturn(input: $input) {{ reservation {{ id quantity issued held status }} {ERRORS} }}
}}
"""
LINE_RESERVATIONS = """
query ($id: ID!) {
  node(id: $id) {
    ... on LineItem {
      reservations { quantity issued status stockLocation { name } inventoryItem { sku } }
    }
  }
}
"""
READINESS = """
query ($id: ID!) { node(id: $id) { ... on Job { readiness materialReadiness { status } } } }
"""


async def _stocked_line(gql, token, on_hand="10", needed="4"):
    """A job with a material line, and a warehouse holding `on_hand` of its item."""
    job = await make_job(gql, token)
    item = await make_item(gql, token)
    warehouse = await make_stock_location(gql, token)
    await set_stock(gql, token, warehouse["id"], item["id"], on_hand)
    line = await add_material(gql, token, job["id"], item["id"], needed)
    return job, item, warehouse, line


def _level(on_hand, reserved, available):
    return {"onHand": on_hand, "reserved": reserved, "available": available}


async def _numbers(gql, token, warehouse, item):
    row = await level(gql, token, warehouse["id"], item["id"])
    return {k: row[k] for k in ("onHand", "reserved", "available")}


# --- inventory items ---------------------------------------------------------------------------


async def test_inventory_items_page_by_sku_and_search(gql, make_company):
    tenant = await make_company()
    for sku, name in (
        ("CAP-45", "Capacitor 45/5"),
        ("CON-40", "Contactor 40A"),
        ("CAP-35", "Capacitor 35/5"),
    ):
        await make_item(gql, tenant.token, sku=sku, name=name)

    first = (await gql(ITEMS, {"first": 2}, token=tenant.token))["data"]["inventoryItems"]
    rest = await gql(
        ITEMS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=tenant.token
    )
    found = await gql(ITEMS, {"search": "capacitor 45"}, token=tenant.token)

    assert [n["sku"] for n in first["nodes"]] == ["CAP-35", "CAP-45"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    assert [n["sku"] for n in rest["data"]["inventoryItems"]["nodes"]] == ["CON-40"]
    assert [n["sku"] for n in found["data"]["inventoryItems"]["nodes"]] == ["CAP-45"]


async def test_inventory_item_refusals(gql, make_company):
    tenant, other = await make_company(), await make_company()
    await make_item(gql, tenant.token, sku="CAP-45")
    technician = await make_user(gql, tenant.token, role="TECHNICIAN")
    cases = [
        ({"sku": "CAP-45", "name": "Again"}, tenant.token, ("CONFLICT", ["input", "sku"])),
        ({"sku": " ", "name": "No SKU"}, tenant.token, ("VALIDATION", ["input", "sku"])),
        (
            {"sku": "X-1", "name": "Cheap", "unitCost": "-0.01"},
            tenant.token,
            ("VALIDATION", ["input", "unitCost"]),
        ),
        ({"sku": "X-1", "name": "Tech"}, technician["token"], ("FORBIDDEN", None)),
    ]
    for data, token, expected in cases:
        error = await refused(gql, ITEM_CREATE, "inventoryItemCreate", token, data)
        assert (error["code"], error["field"]) == expected, data

    # the same SKU is free in another company, and nothing else was created here
    await make_item(gql, other.token, sku="CAP-45")
    assert (await gql(ITEMS, token=tenant.token))["data"]["inventoryItems"]["totalCount"] == 1


# --- stock locations and levels ----------------------------------------------------------------


async def test_warehouses_and_trucks(gql, make_company):
    tenant = await make_company()
    tess = await make_technician(gql, tenant.token, name="Tess")
    await make_stock_location(gql, tenant.token, name="Main warehouse")
    truck = await make_stock_location(
        gql, tenant.token, name="Truck 7", kind="TRUCK", technicianId=tess["id"]
    )
    cases = [
        ({"name": "Truck 8", "kind": "TRUCK"}, ("VALIDATION", ["input", "technicianId"])),
        (
            {"name": "Yard", "kind": "WAREHOUSE", "technicianId": tess["id"]},
            ("VALIDATION", ["input", "technicianId"]),
        ),
        ({"name": "", "kind": "WAREHOUSE"}, ("VALIDATION", ["input", "name"])),
        (
            {"name": "Truck 9", "kind": "TRUCK", "technicianId": truck["id"]},
            ("VALIDATION", ["input", "technicianId"]),
        ),
    ]
    for data, expected in cases:
        error = await refused(gql, LOCATION_CREATE, "stockLocationCreate", tenant.token, data)
        assert (error["code"], error["field"]) == expected, data

    result = await gql(LOCATIONS, token=tenant.token)
    assert result["data"]["stockLocations"] == [
        {"name": "Main warehouse", "kind": "WAREHOUSE", "technician": None},
        {"name": "Truck 7", "kind": "TRUCK", "technician": {"name": "Tess"}},
    ]


async def test_stock_adjust_sets_counts_and_receives(gql, make_company):
    tenant = await make_company()
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)

    counted = await set_stock(gql, tenant.token, warehouse["id"], item["id"], "7")
    received = await set_stock(gql, tenant.token, warehouse["id"], item["id"], "5", mode="RECEIVE")
    recounted = await set_stock(gql, tenant.token, warehouse["id"], item["id"], "11.5")

    assert (counted["onHand"], received["onHand"], recounted["onHand"]) == (
        "7.000",
        "12.000",
        "11.500",
    )
    assert recounted["available"] == "11.500"
    assert recounted["stockLocation"]["name"] == warehouse["name"]


async def test_stock_adjust_refusals(gql, make_company):
    # given 4 of 10 reserved
    tenant, other = await make_company(), await make_company()
    _job, item, warehouse, line = await _stocked_line(gql, tenant.token)
    await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")
    base = {"stockLocationId": warehouse["id"], "inventoryItemId": item["id"]}
    cases = [
        ({"quantity": "3"}, tenant.token, ("CONFLICT", ["input", "quantity"])),
        ({"quantity": "-1"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        ({"quantity": "0", "mode": "RECEIVE"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        ({"quantity": "3"}, other.token, ("NOT_FOUND", ["input", "stockLocationId"])),
    ]
    for data, token, expected in cases:
        error = await refused(gql, STOCK_ADJUST, "stockAdjust", token, {**base, **data})
        assert (error["code"], error["field"]) == expected, data

    # then the level is as it was
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("10.000", "4.000", "6.000")


# --- reservations ------------------------------------------------------------------------------


async def test_reserve_holds_stock_for_the_line(gql, make_company):
    tenant = await make_company()
    job, item, warehouse, line = await _stocked_line(gql, tenant.token)

    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")

    assert (reservation["quantity"], reservation["held"], reservation["status"]) == (
        "4.000",
        "4.000",
        "RESERVED",
    )
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("10.000", "4.000", "6.000")
    shown = await gql(LINE_RESERVATIONS, {"id": line["id"]}, token=tenant.token)
    assert shown["data"]["node"]["reservations"] == [
        {
            "quantity": "4.000",
            "issued": "0.000",
            "status": "RESERVED",
            "stockLocation": {"name": warehouse["name"]},
            "inventoryItem": {"sku": item["sku"]},
        }
    ]
    events = await timeline(gql, tenant.token, job["id"])
    assert events[-2]["type"] == "material.reserved"
    assert events[-2]["payload"]["quantity"] == "4"
    # and the job, short of parts once the line was added, is ready now
    assert [e["payload"]["to"] for e in events if e["type"] == "job.readiness_changed"] == [
        "SHORT",
        "READY",
    ]


async def test_reserving_more_than_is_available_is_refused(gql, make_company):
    # given 10 on hand, 7 of them reserved
    tenant, other = await make_company(), await make_company()
    job, item, warehouse, line = await _stocked_line(gql, tenant.token, needed="12")
    await reserve(gql, tenant.token, line["id"], warehouse["id"], "7")
    service = await add_line(gql, tenant.token, job["id"])
    before = await timeline(gql, tenant.token, job["id"])
    base = {"lineItemId": line["id"], "stockLocationId": warehouse["id"]}
    cases = [
        ({"quantity": "3.001"}, tenant.token, ("INSUFFICIENT_STOCK", ["input", "quantity"])),
        ({"quantity": "0"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        (
            {"lineItemId": service["id"], "quantity": "1"},
            tenant.token,
            ("VALIDATION", ["input", "lineItemId"]),
        ),
        ({"quantity": "1"}, other.token, ("NOT_FOUND", ["input", "lineItemId"])),
    ]
    for data, token, expected in cases:
        error = await refused(gql, RESERVE, "materialReserve", token, {**base, **data})
        assert (error["code"], error["field"]) == expected, data

    # then nothing more is held and nothing was written
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("10.000", "7.000", "3.000")
    assert await timeline(gql, tenant.token, job["id"]) == before
    # while exactly what is available can still be had
    await reserve(gql, tenant.token, line["id"], warehouse["id"], "3")


async def test_an_item_never_stocked_at_a_location_is_insufficient(gql, make_company):
    tenant = await make_company()
    _job, _item, _warehouse, line = await _stocked_line(gql, tenant.token)
    truck_owner = await make_technician(gql, tenant.token)
    truck = await make_stock_location(
        gql, tenant.token, kind="TRUCK", technicianId=truck_owner["id"]
    )

    error = await refused(
        gql,
        RESERVE,
        "materialReserve",
        tenant.token,
        {"lineItemId": line["id"], "stockLocationId": truck["id"], "quantity": "1"},
    )

    assert error["code"] == "INSUFFICIENT_STOCK"
    assert error["message"] == f"Only 0 available at {truck['name']}; 1 asked."


async def test_ten_racing_reservations_on_the_last_five_units(gql, make_company):
    # given 8 on hand with 3 reserved: the last 5 units, wanted by 10 jobs at once
    tenant = await make_company()
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    await set_stock(gql, tenant.token, warehouse["id"], item["id"], "8")
    first = await make_job(gql, tenant.token)
    held = await add_material(gql, tenant.token, first["id"], item["id"], "3")
    await reserve(gql, tenant.token, held["id"], warehouse["id"], "3")
    lines = []
    for _ in range(10):
        job = await make_job(gql, tenant.token)
        lines.append(await add_material(gql, tenant.token, job["id"], item["id"], "1"))

    # when each of them reserves one unit concurrently
    results = await asyncio.gather(
        *(
            gql(
                RESERVE,
                {
                    "input": {
                        "lineItemId": line["id"],
                        "stockLocationId": warehouse["id"],
                        "quantity": "1",
                    }
                },
                token=tenant.token,
            )
            for line in lines
        )
    )

    # then exactly five win, the others are told the stock ran out
    payloads = [r["data"]["materialReserve"] for r in results]
    won = [p for p in payloads if p["errors"] == []]
    lost = [p for p in payloads if p["errors"]]
    assert len(won) == 5
    assert {p["errors"][0]["code"] for p in lost} == {"INSUFFICIENT_STOCK"}
    assert len(lost) == 5
    # and the stock was promised exactly once
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("8.000", "8.000", "0.000")


async def test_issue_return_and_release(gql, make_company):
    # given 4 reserved of 10
    tenant = await make_company()
    job, item, warehouse, line = await _stocked_line(gql, tenant.token)
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")
    rid = reservation["id"]

    # when 3 are issued: on hand and reserved both go down
    issued = await ok(
        gql, ISSUE, "materialIssue", tenant.token, {"reservationId": rid, "quantity": "3"}
    )
    assert (issued["reservation"]["issued"], issued["reservation"]["held"]) == ("3.000", "1.000")
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("7.000", "1.000", "6.000")

    # when 1 comes back: it is held for the line again
    returned = await ok(
        gql, RETURN, "materialReturn", tenant.token, {"reservationId": rid, "quantity": "1"}
    )
    assert (returned["reservation"]["issued"], returned["reservation"]["held"]) == (
        "2.000",
        "2.000",
    )
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("8.000", "2.000", "6.000")

    # when the rest is released: what was issued stays as used, the held part is free
    released = await ok(gql, RELEASE, "materialRelease", tenant.token, {"reservationId": rid})
    assert released["reservation"] == {
        "id": rid,
        "quantity": "2.000",
        "issued": "2.000",
        "held": "0.000",
        "status": "RESERVED",
    }
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("8.000", "0.000", "8.000")
    types = await event_types(gql, tenant.token, job["id"])
    assert [t for t in types if t.startswith("material.")] == [
        "material.reserved",
        "material.issued",
        "material.returned",
        "material.released",
    ]
    # and the line, needing 4 with 2 used, is short again
    readiness = await gql(READINESS, {"id": job["id"]}, token=tenant.token)
    assert readiness["data"]["node"] == {
        "readiness": "SHORT",
        "materialReadiness": {"status": "SHORT"},
    }


async def test_release_an_untouched_reservation(gql, make_company):
    tenant = await make_company()
    _job, item, warehouse, line = await _stocked_line(gql, tenant.token)
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")

    released = await ok(
        gql, RELEASE, "materialRelease", tenant.token, {"reservationId": reservation["id"]}
    )
    again = await refused(
        gql, RELEASE, "materialRelease", tenant.token, {"reservationId": reservation["id"]}
    )
    issue = await refused(
        gql,
        ISSUE,
        "materialIssue",
        tenant.token,
        {"reservationId": reservation["id"], "quantity": "1"},
    )

    assert released["reservation"]["status"] == "RELEASED"
    assert released["reservation"]["held"] == "0.000"
    assert again["code"] == issue["code"] == "INVALID_TRANSITION"
    assert await _numbers(gql, tenant.token, warehouse, item) == _level("10.000", "0.000", "10.000")


async def test_issue_and_return_refusals(gql, make_company):
    tenant, other = await make_company(), await make_company()
    job, item, warehouse, line = await _stocked_line(gql, tenant.token)
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")
    rid = reservation["id"]
    await ok(gql, ISSUE, "materialIssue", tenant.token, {"reservationId": rid, "quantity": "4"})
    before = await timeline(gql, tenant.token, job["id"])
    cases = [
        (
            ISSUE,
            "materialIssue",
            {"reservationId": rid, "quantity": "1"},
            tenant.token,
            "VALIDATION",
        ),
        (
            RETURN,
            "materialReturn",
            {"reservationId": rid, "quantity": "5"},
            tenant.token,
            "VALIDATION",
        ),
        (
            RETURN,
            "materialReturn",
            {"reservationId": rid, "quantity": "1"},
            other.token,
            "NOT_FOUND",
        ),
        (RELEASE, "materialRelease", {"reservationId": rid}, tenant.token, "INVALID_TRANSITION"),
        (RELEASE, "materialRelease", {"reservationId": line["id"]}, tenant.token, "VALIDATION"),
    ]
    for document, field, data, token, code in cases:
        assert (await refused(gql, document, field, token, data))["code"] == code, (field, data)

    assert await _numbers(gql, tenant.token, warehouse, item) == _level("6.000", "0.000", "6.000")
    assert await timeline(gql, tenant.token, job["id"]) == before


async def test_a_technician_issues_on_their_own_jobs_only(gql, make_company):
    tenant = await make_company()
    job, _item, warehouse, line = await _stocked_line(gql, tenant.token)
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "4")
    tech = await make_technician_user(gql, tenant.token)
    data = {"reservationId": reservation["id"], "quantity": "1"}

    # not assigned: the job is not theirs to see
    error = await refused(gql, ISSUE, "materialIssue", tech["token"], data)
    assert error["code"] == "NOT_FOUND"

    # assigned to a visit of the job: they record what they used
    await make_visit(gql, tenant.token, job["id"], [tech["technician"]["id"]])
    issued = await ok(gql, ISSUE, "materialIssue", tech["token"], data)
    assert issued["reservation"]["issued"] == "1.000"
