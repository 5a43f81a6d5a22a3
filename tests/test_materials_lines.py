"""Line items of a job and its financial summary, through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.factories import make_job, make_technician, make_user
from tests.materials_factories import (
    ERRORS,
    LINE_ADD,
    LINE_FIELDS,
    add_line,
    add_material,
    event_types,
    level,
    make_item,
    make_purchase_order,
    make_stock_location,
    make_vendor,
    ok,
    receive,
    refused,
    reserve,
    set_stock,
    submit,
    timeline,
)

LINES = f"""
query ($id: ID!) {{ node(id: $id) {{ ... on Job {{ lineItems {{ {LINE_FIELDS} }} }} }} }}
"""
LINE_UPDATE = f"""
mutation ($input: LineItemUpdateInput!) {{
  lineItemUpdate(input: $input) {{ lineItem {{ {LINE_FIELDS} }} {ERRORS} }}
}}
"""
LINE_REMOVE = f"""
mutation ($input: LineItemRemoveInput!) {{
  lineItemRemove(input: $input) {{ removedLineItemId job {{ lineItems {{ id }} }} {ERRORS} }}
}}
"""
LINES_REORDER = f"""
mutation ($input: LineItemsReorderInput!) {{
  lineItemsReorder(input: $input) {{ job {{ lineItems {{ id position }} }} {ERRORS} }}
}}
"""
ISSUE = f"""
mutation ($input: MaterialMoveInput!) {{
  materialIssue(input: $input) {{ reservation {{ id issued }} {ERRORS} }}
}}
"""
JOB_CANCEL = """
mutation ($id: ID!) { jobCancel(input: {id: $id, reason: "Customer withdrew"}) { errors { code } } }
"""
TIME_ENTRY = """
mutation ($input: TimeEntryCreateInput!) {
  timeEntryCreate(input: $input) { timeEntry { id } errors { code message } }
}
"""
APPROVE = """
mutation ($ids: [ID!]!) { timeEntriesApprove(input: {ids: $ids}) { errors { code } } }
"""
SUMMARY = """
query ($id: ID!) {
  node(id: $id) {
    ... on Job {
      financialSummary {
        price tax total cost margin marginPercent materialsCost laborCost purchaseOrdersCost
      }
    }
  }
}
"""


async def _lines(gql, token, job_id):
    result = await gql(LINES, {"id": job_id}, token=token)
    assert "errors" not in result, result
    return result["data"]["node"]["lineItems"]


# --- lineItemAdd -------------------------------------------------------------------------------


async def test_a_stocked_material_line_takes_the_items_name_and_prices(gql, make_company):
    # given a job and an inventory item
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token, name="Contactor 40A", unitCost="18.20")

    # when a service line and a material line for the item are added
    service = await add_line(
        gql, tenant.token, job["id"], description="Diagnose", unitPrice="89", taxable=False
    )
    material = await add_material(gql, tenant.token, job["id"], item["id"], "2")

    # then the material line is priced and costed as the item, totals computed in cents
    assert material["description"] == "Contactor 40A"
    assert (material["unitPrice"], material["unitCost"]) == ("39.00", "18.20")
    assert material["inventoryItem"]["id"] == item["id"]
    assert (material["total"], material["taxAmount"]) == ("78.00", "0.00")
    assert (service["total"], service["position"], material["position"]) == ("89.00", 1, 2)
    # and the job lists them in order, each addition on its timeline
    assert [line["id"] for line in await _lines(gql, tenant.token, job["id"])] == [
        service["id"],
        material["id"],
    ]
    assert (await event_types(gql, tenant.token, job["id"])).count("line_item.added") == 2


async def test_tax_on_a_taxable_line(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)

    line = await add_line(
        gql, tenant.token, job["id"], quantity="2", unitPrice="39", taxRate="0.0825"
    )

    # 78.00 x 8.25 % = 6.435, rounded half up
    assert (line["total"], line["taxAmount"], line["taxable"]) == ("78.00", "6.44", True)


async def test_line_add_refusals_write_nothing(gql, make_company):
    # given a job, another company's item and a cancelled job
    tenant, other = await make_company(), await make_company()
    job = await make_job(gql, tenant.token)
    foreign_item = await make_item(gql, other.token)
    cancelled = await make_job(gql, tenant.token)
    await gql(JOB_CANCEL, {"id": cancelled["id"]}, token=tenant.token)
    technician = await make_user(gql, tenant.token, role="TECHNICIAN")
    base = {"jobId": job["id"], "kind": "SERVICE", "description": "Diagnose", "quantity": "1"}
    cases = [
        ({"description": "  "}, tenant.token, ("VALIDATION", ["input", "description"])),
        ({"quantity": "0"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        ({"quantity": "1.0005"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        ({"unitPrice": "-1"}, tenant.token, ("VALIDATION", ["input", "unitPrice"])),
        ({"taxRate": "1.5"}, tenant.token, ("VALIDATION", ["input", "taxRate"])),
        ({"quantity": "NaN"}, tenant.token, ("VALIDATION", ["input", "quantity"])),
        (
            {"inventoryItemId": foreign_item["id"]},
            tenant.token,
            ("VALIDATION", ["input", "inventoryItemId"]),
        ),
        (
            {"kind": "MATERIAL", "inventoryItemId": foreign_item["id"]},
            tenant.token,
            ("NOT_FOUND", ["input", "inventoryItemId"]),
        ),
        ({"jobId": cancelled["id"]}, tenant.token, ("INVALID_TRANSITION", ["input", "jobId"])),
        ({}, other.token, ("NOT_FOUND", ["input", "jobId"])),
        ({}, technician["token"], ("FORBIDDEN", None)),
    ]
    before = await timeline(gql, tenant.token, job["id"])

    for overrides, token, expected in cases:
        # when the line is refused
        error = await refused(gql, LINE_ADD, "lineItemAdd", token, {**base, **overrides})
        # then with a code and the field at fault
        assert (error["code"], error["field"]) == expected, (overrides, error)

    # and nothing was written
    assert await _lines(gql, tenant.token, job["id"]) == []
    assert await timeline(gql, tenant.token, job["id"]) == before


# --- lineItemUpdate ----------------------------------------------------------------------------


async def test_update_changes_only_given_fields_and_says_which(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    line = await add_line(gql, tenant.token, job["id"], unitPrice="100", taxRate="0.05")

    payload = await ok(
        gql,
        LINE_UPDATE,
        "lineItemUpdate",
        tenant.token,
        {"id": line["id"], "quantity": "3", "description": "Diagnose and repair"},
    )

    updated = payload["lineItem"]
    assert (updated["quantity"], updated["description"], updated["unitPrice"]) == (
        "3.000",
        "Diagnose and repair",
        "100.00",
    )
    assert (updated["total"], updated["taxAmount"]) == ("300.00", "15.00")
    events = await timeline(gql, tenant.token, job["id"])
    assert events[-1]["type"] == "line_item.updated"
    assert events[-1]["payload"]["fields"] == ["description", "quantity"]


async def test_update_refusals(gql, make_company):
    tenant, other = await make_company(), await make_company()
    job = await make_job(gql, tenant.token)
    line = await add_line(gql, tenant.token, job["id"])
    cases = [
        ({"id": line["id"], "description": ""}, tenant.token, "VALIDATION"),
        ({"id": line["id"], "quantity": None}, tenant.token, "VALIDATION"),
        ({"id": line["id"], "taxRate": "1"}, tenant.token, "VALIDATION"),
        ({"id": line["id"], "taxable": None}, tenant.token, "VALIDATION"),
        ({"id": job["id"], "quantity": "2"}, tenant.token, "VALIDATION"),
        ({"id": line["id"], "quantity": "2"}, other.token, "NOT_FOUND"),
    ]
    for data, token, code in cases:
        assert (await refused(gql, LINE_UPDATE, "lineItemUpdate", token, data))["code"] == code

    assert (await _lines(gql, tenant.token, job["id"]))[0] == line


# --- lineItemRemove ----------------------------------------------------------------------------


async def test_removing_a_line_releases_its_stock(gql, make_company):
    # given a material line with 3 of 10 units reserved
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    await set_stock(gql, tenant.token, warehouse["id"], item["id"], "10")
    line = await add_material(gql, tenant.token, job["id"], item["id"], "3")
    await reserve(gql, tenant.token, line["id"], warehouse["id"], "3")

    # when the line is removed
    payload = await ok(gql, LINE_REMOVE, "lineItemRemove", tenant.token, {"id": line["id"]})

    # then it is gone, its stock available again, and the timeline says so
    assert payload["removedLineItemId"] == line["id"]
    assert payload["job"]["lineItems"] == []
    assert await level(gql, tenant.token, warehouse["id"], item["id"]) == {
        "onHand": "10.000",
        "reserved": "0.000",
        "available": "10.000",
        "inventoryItem": {"id": item["id"], "sku": item["sku"]},
    }
    removed = (await timeline(gql, tenant.token, job["id"]))[-1]
    assert removed["type"] == "line_item.removed"
    assert removed["payload"]["releasedQuantity"] == "3"


async def test_a_line_with_issued_stock_cannot_be_removed(gql, make_company):
    # given a line with stock issued to it
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    await set_stock(gql, tenant.token, warehouse["id"], item["id"], "5")
    line = await add_material(gql, tenant.token, job["id"], item["id"], "2")
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "2")
    await ok(
        gql,
        ISSUE,
        "materialIssue",
        tenant.token,
        {"reservationId": reservation["id"], "quantity": "1"},
    )
    before = await timeline(gql, tenant.token, job["id"])

    # when removing it is attempted
    error = await refused(gql, LINE_REMOVE, "lineItemRemove", tenant.token, {"id": line["id"]})

    # then it is refused, and the line and its stock are untouched
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "id"])
    assert len(await _lines(gql, tenant.token, job["id"])) == 1
    assert (await level(gql, tenant.token, warehouse["id"], item["id"]))["reserved"] == "1.000"
    assert await timeline(gql, tenant.token, job["id"]) == before


async def test_remove_an_unknown_line(gql, make_company):
    tenant, other = await make_company(), await make_company()
    line = await add_line(gql, tenant.token, (await make_job(gql, tenant.token))["id"])

    error = await refused(gql, LINE_REMOVE, "lineItemRemove", other.token, {"id": line["id"]})

    assert error["code"] == "NOT_FOUND"


# --- lineItemsReorder --------------------------------------------------------------------------


async def test_reorder_lines(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    a, b, c = [await add_line(gql, tenant.token, job["id"], description=name) for name in "abc"]

    payload = await ok(
        gql,
        LINES_REORDER,
        "lineItemsReorder",
        tenant.token,
        {"jobId": job["id"], "lineItemIds": [c["id"], a["id"], b["id"]]},
    )

    assert payload["job"]["lineItems"] == [
        {"id": c["id"], "position": 1},
        {"id": a["id"], "position": 2},
        {"id": b["id"], "position": 3},
    ]
    events = await timeline(gql, tenant.token, job["id"])
    assert events[-1]["type"] == "line_item.reordered"
    assert events[-1]["payload"]["lineItemIds"] == [c["id"], a["id"], b["id"]]


async def test_reorder_must_name_exactly_the_jobs_lines(gql, make_company):
    tenant = await make_company()
    job, other_job = await make_job(gql, tenant.token), await make_job(gql, tenant.token)
    a, b = [await add_line(gql, tenant.token, job["id"], description=name) for name in "ab"]
    stranger = await add_line(gql, tenant.token, other_job["id"])

    for ids in ([a["id"]], [a["id"], a["id"], b["id"]], [b["id"], a["id"], stranger["id"]]):
        error = await refused(
            gql,
            LINES_REORDER,
            "lineItemsReorder",
            tenant.token,
            {"jobId": job["id"], "lineItemIds": ids},
        )
        assert (error["code"], error["field"]) == ("VALIDATION", ["input", "lineItemIds"])

    assert [line["id"] for line in await _lines(gql, tenant.token, job["id"])] == [a["id"], b["id"]]


# --- financial summary -------------------------------------------------------------------------


async def test_financial_summary_matches_hand_computed_figures(gql, make_company):
    # given a job with a service, a stocked material (3 issued), a non-stock material and a fee
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token, unitCost="12.50", unitPrice="39.00")
    warehouse = await make_stock_location(gql, tenant.token)
    await set_stock(gql, tenant.token, warehouse["id"], item["id"], "10")
    await add_line(gql, tenant.token, job["id"], unitPrice="189", unitCost="50", taxable=False)
    stocked = await add_material(gql, tenant.token, job["id"], item["id"], "2")
    await ok(
        gql,
        LINE_UPDATE,
        "lineItemUpdate",
        tenant.token,
        {"id": stocked["id"], "taxRate": "0.0825"},
    )
    reservation = await reserve(gql, tenant.token, stocked["id"], warehouse["id"], "3")
    await ok(
        gql,
        ISSUE,
        "materialIssue",
        tenant.token,
        {"reservationId": reservation["id"], "quantity": "3"},
    )
    await add_line(
        gql,
        tenant.token,
        job["id"],
        kind="MATERIAL",
        description="Copper pipe, per ft",
        quantity="1.5",
        unitPrice="10",
        unitCost="4",
        taxRate="0.0825",
    )
    await add_line(
        gql, tenant.token, job["id"], kind="FEE", description="Trip", unitPrice="25", taxable=False
    )
    # and approved time: 2.5 h at 40.00/h and 45 min at 36.00/h, plus an unapproved hour and a break
    ava = await make_technician(gql, tenant.token, hourlyCost="40.00")
    bo = await make_technician(gql, tenant.token, hourlyCost="36.00")
    start = datetime.fromisoformat("2030-01-07T15:00:00+00:00")
    approved = []
    for tech, begin, minutes, kind in (
        (ava, start, 150, "WORK"),
        (bo, start, 45, "TRAVEL"),
        (ava, start + timedelta(hours=3), 30, "BREAK"),
    ):
        entry = await ok(
            gql,
            TIME_ENTRY,
            "timeEntryCreate",
            tenant.token,
            {
                "jobId": job["id"],
                "technicianId": tech["id"],
                "kind": kind,
                "start": begin.isoformat(),
                "end": (begin + timedelta(minutes=minutes)).isoformat(),
            },
        )
        approved.append(entry["timeEntry"]["id"])
    await ok(
        gql,
        TIME_ENTRY,
        "timeEntryCreate",
        tenant.token,
        {
            "jobId": job["id"],
            "technicianId": bo["id"],
            "kind": "WORK",
            "start": (start + timedelta(hours=5)).isoformat(),
            "end": (start + timedelta(hours=6)).isoformat(),
        },
    )
    assert (await gql(APPROVE, {"ids": approved}, token=tenant.token))["data"][
        "timeEntriesApprove"
    ]["errors"] == []
    # and a purchase order for the job: 4 x 5.00 received for no line, and 1 x 99.00 for the line
    vendor = await make_vendor(gql, tenant.token)
    order = await make_purchase_order(
        gql,
        tenant.token,
        vendor["id"],
        warehouse["id"],
        [
            {"inventoryItemId": item["id"], "quantity": "4", "unitCost": "5.00"},
            {
                "inventoryItemId": item["id"],
                "quantity": "1",
                "unitCost": "99.00",
                "lineItemId": stocked["id"],
            },
        ],
        jobId=job["id"],
    )
    await submit(gql, tenant.token, order["id"])
    await receive(
        gql,
        tenant.token,
        order["id"],
        [(order["lines"][0]["id"], "4"), (order["lines"][1]["id"], "1")],
    )

    # when the summary is read
    result = await gql(SUMMARY, {"id": job["id"]}, token=tenant.token)

    # then, by hand:
    # price 189 + 78 + 15 + 25 = 307.00; tax 78 x 8.25 % = 6.435 -> 6.44, 15 x 8.25 % = 1.24
    # materials 3 issued x 12.50 + 1.5 x 4.00 = 43.50; labor 2.5 x 40 + 0.75 x 36 = 127.00
    #   (the break, the unapproved hour and the service line's unit cost are not costs)
    # purchase orders 4 x 5.00 = 20.00 (the tied line is reserved stock, a cost once issued)
    # cost 190.50, margin 116.50, 116.50 / 307 = 37.95 %
    assert result["data"]["node"]["financialSummary"] == {
        "price": "307.00",
        "tax": "7.68",
        "total": "314.68",
        "cost": "190.50",
        "margin": "116.50",
        "marginPercent": "37.95",
        "materialsCost": "43.50",
        "laborCost": "127.00",
        "purchaseOrdersCost": "20.00",
    }


async def test_an_empty_job_earns_nothing(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)

    result = await gql(SUMMARY, {"id": job["id"]}, token=tenant.token)

    assert result["data"]["node"]["financialSummary"] == {
        "price": "0.00",
        "tax": "0.00",
        "total": "0.00",
        "cost": "0.00",
        "margin": "0.00",
        "marginPercent": None,
        "materialsCost": "0.00",
        "laborCost": "0.00",
        "purchaseOrdersCost": "0.00",
    }
