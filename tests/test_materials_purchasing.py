"""Vendors, purchase orders, and a job's material readiness as orders and visits move."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.factories import make_job, make_visit
from tests.materials_factories import (
    ERRORS,
    PO_CREATE,
    PO_FIELDS,
    PO_RECEIVE,
    PO_SUBMIT,
    VENDOR_CREATE,
    add_line,
    add_material,
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

PO_CANCEL = f"""
mutation ($input: PurchaseOrderCancelInput!) {{
  purchaseOrderCancel(input: $input) {{ purchaseOrder {{ {PO_FIELDS} }} {ERRORS} }}
}}
"""
READINESS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Job {
      readiness
      materialReadiness {
        status nextVisitAt
        lines { lineItem { id } needed reserved onOrder expectedOn status }
      }
      purchaseOrders { number status vendor { name } stockLocation { name } }
    }
  }
}
"""
BLOCKED = """
query { jobs(first: 50, filter: {readiness: [SHORT, AT_RISK]}) { nodes { id readiness } } }
"""
ORDERS = """
query ($status: [PurchaseOrderStatus!]) {
  purchaseOrders(first: 10, status: $status) { totalCount nodes { number status job { id } } }
}
"""
RESCHEDULE = """
mutation ($input: VisitRescheduleInput!) { visitReschedule(input: $input) { errors { code } } }
"""
VISIT_CANCEL = """
mutation ($id: ID!) { visitCancel(input: {visitId: $id, reason: "Customer away"}) { errors { code } } }
"""
JOB_CANCEL = """
mutation ($id: ID!) { jobCancel(input: {id: $id, reason: "Customer withdrew"}) { errors { code } } }
"""
VISIT_DAY = datetime.fromisoformat("2030-01-07T15:00:00+00:00")


async def _readiness(gql, token, job_id):
    result = await gql(READINESS, {"id": job_id}, token=token)
    assert "errors" not in result, result
    return result["data"]["node"]


async def _blocked(gql, token):
    result = await gql(BLOCKED, token=token)
    return {node["id"]: node["readiness"] for node in result["data"]["jobs"]["nodes"]}


async def _readiness_changes(gql, token, job_id):
    return [
        (e["payload"]["from"], e["payload"]["to"])
        for e in await timeline(gql, token, job_id)
        if e["type"] == "job.readiness_changed"
    ]


async def _job_waiting_for_parts(gql, token):
    """A job needing 4 of an item with 1 in stock and reserved, a visit on VISIT_DAY, and a
    draft order of 3 for the line expected two days before the visit."""
    job = await make_job(gql, token)
    item = await make_item(gql, token)
    warehouse = await make_stock_location(gql, token, name="Main warehouse")
    await set_stock(gql, token, warehouse["id"], item["id"], "1")
    line = await add_material(gql, token, job["id"], item["id"], "4")
    await reserve(gql, token, line["id"], warehouse["id"], "1")
    visit = await make_visit(gql, token, job["id"], start=VISIT_DAY)
    vendor = await make_vendor(gql, token, name="Denver Supply")
    order = await make_purchase_order(
        gql,
        token,
        vendor["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "3", "lineItemId": line["id"]}],
        expected_on="2030-01-05",
        jobId=job["id"],
    )
    return job, item, warehouse, line, visit, order


# --- vendors -----------------------------------------------------------------------------------


async def test_vendor_create_and_refusals(gql, make_company):
    tenant = await make_company()

    vendor = await make_vendor(gql, tenant.token, name="Denver Supply", email="orders@ds.example")
    no_name = await refused(gql, VENDOR_CREATE, "vendorCreate", tenant.token, {"name": " "})
    bad_email = await refused(
        gql, VENDOR_CREATE, "vendorCreate", tenant.token, {"name": "X", "email": "nope"}
    )

    assert (vendor["name"], vendor["email"]) == ("Denver Supply", "orders@ds.example")
    assert (no_name["code"], no_name["field"]) == ("VALIDATION", ["input", "name"])
    assert (bad_email["code"], bad_email["field"]) == ("VALIDATION", ["input", "email"])


# --- purchase orders ---------------------------------------------------------------------------


async def test_purchase_orders_are_drafts_numbered_per_company(gql, make_company):
    tenant, other = await make_company(), await make_company()
    job, item, warehouse, line, _visit, order = await _job_waiting_for_parts(gql, tenant.token)
    other_item = await make_item(gql, other.token)
    other_vendor = await make_vendor(gql, other.token)
    other_warehouse = await make_stock_location(gql, other.token)

    second = await make_purchase_order(
        gql,
        tenant.token,
        (await make_vendor(gql, tenant.token))["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "2", "unitCost": "7.25"}],
    )
    elsewhere = await make_purchase_order(
        gql,
        other.token,
        other_vendor["id"],
        other_warehouse["id"],
        [{"inventoryItemId": other_item["id"], "quantity": "1"}],
    )

    assert (order["number"], order["status"], order["version"]) == ("P-5001", "DRAFT", 1)
    assert order["lines"][0]["lineItem"] == {"id": line["id"]}
    # the line's unit cost defaults to the item's (12.50 x 3)
    assert (order["lines"][0]["unitCost"], order["total"]) == ("12.50", "37.50")
    assert (second["number"], second["total"]) == ("P-5002", "14.50")
    assert elsewhere["number"] == "P-5001"
    assert [e["type"] for e in await timeline(gql, tenant.token, job["id"])][-1] == (
        "purchase_order.created"
    )


async def test_purchase_order_create_refusals_write_nothing(gql, make_company):
    tenant, other = await make_company(), await make_company()
    job, item, warehouse, line, _visit, _order = await _job_waiting_for_parts(gql, tenant.token)
    vendor = await make_vendor(gql, tenant.token)
    other_item = await make_item(gql, tenant.token)
    other_job = await make_job(gql, tenant.token)
    stranger_line = await add_material(gql, tenant.token, other_job["id"], item["id"], "1")
    foreign_location = await make_stock_location(gql, other.token)
    base = {
        "vendorId": vendor["id"],
        "stockLocationId": warehouse["id"],
        "expectedOn": "2030-01-05",
    }
    good = {"inventoryItemId": item["id"], "quantity": "1"}
    cases: list[tuple[dict[str, Any], tuple[str, list[str]]]] = [
        ({"lines": []}, ("VALIDATION", ["input", "lines"])),
        (
            {"lines": [{**good, "lineItemId": line["id"]}]},
            ("VALIDATION", ["input", "lines", "0", "lineItemId"]),
        ),
        (
            {"jobId": job["id"], "lines": [good, {**good, "lineItemId": stranger_line["id"]}]},
            ("NOT_FOUND", ["input", "lines", "1", "lineItemId"]),
        ),
        (
            {
                "jobId": job["id"],
                "lines": [{**good, "inventoryItemId": other_item["id"], "lineItemId": line["id"]}],
            },
            ("VALIDATION", ["input", "lines", "0", "lineItemId"]),
        ),
        (
            {"lines": [{**good, "quantity": "-2"}]},
            ("VALIDATION", ["input", "lines", "0", "quantity"]),
        ),
        ({"vendorId": job["id"], "lines": [good]}, ("VALIDATION", ["input", "vendorId"])),
        (
            {"stockLocationId": foreign_location["id"], "lines": [good]},
            ("NOT_FOUND", ["input", "stockLocationId"]),
        ),
    ]
    for data, expected in cases:
        error = await refused(gql, PO_CREATE, "purchaseOrderCreate", tenant.token, {**base, **data})
        assert (error["code"], error["field"]) == expected, data

    # then no number was used up
    created = await make_purchase_order(gql, tenant.token, vendor["id"], warehouse["id"], [good])
    assert created["number"] == "P-5002"


async def test_submit_orders_a_draft_once(gql, make_company):
    tenant = await make_company()
    _job, _item, _warehouse, _line, _visit, order = await _job_waiting_for_parts(gql, tenant.token)

    stale = await refused(
        gql,
        PO_SUBMIT,
        "purchaseOrderSubmit",
        tenant.token,
        {"id": order["id"], "expectedVersion": 7},
    )
    submitted = await submit(gql, tenant.token, order["id"])
    again = await refused(gql, PO_SUBMIT, "purchaseOrderSubmit", tenant.token, {"id": order["id"]})

    assert stale["code"] == "VERSION_CONFLICT"
    assert (submitted["status"], submitted["version"]) == ("ORDERED", 2)
    assert (again["code"], again["field"]) == ("INVALID_TRANSITION", ["input", "id"])


# --- readiness ---------------------------------------------------------------------------------


async def test_readiness_moves_as_orders_are_submitted_and_received_and_visits_move(
    gql, make_company
):
    # given a job short of 3 parts, with a draft order for them
    tenant = await make_company()
    job, item, warehouse, line, visit, order = await _job_waiting_for_parts(gql, tenant.token)
    shown = await _readiness(gql, tenant.token, job["id"])
    assert (shown["readiness"], shown["materialReadiness"]["status"]) == ("SHORT", "SHORT")
    assert job["id"] in await _blocked(gql, tenant.token)

    # when the order is submitted: expected the 5th, the visit is the 7th
    await submit(gql, tenant.token, order["id"])
    shown = await _readiness(gql, tenant.token, job["id"])
    assert shown["readiness"] == "ON_ORDER"
    assert shown["materialReadiness"] == {
        "status": "ON_ORDER",
        "nextVisitAt": VISIT_DAY.isoformat(),
        "lines": [
            {
                "lineItem": {"id": line["id"]},
                "needed": "4.000",
                "reserved": "1.000",
                "onOrder": "3.000",
                "expectedOn": "2030-01-05",
                "status": "ON_ORDER",
            }
        ],
    }
    assert shown["purchaseOrders"] == [
        {
            "number": "P-5001",
            "status": "ORDERED",
            "vendor": {"name": "Denver Supply"},
            "stockLocation": {"name": "Main warehouse"},
        }
    ]
    assert job["id"] not in await _blocked(gql, tenant.token)

    # when the visit moves before the expected date: the parts arrive too late
    earlier = VISIT_DAY - timedelta(days=4)
    result = await gql(
        RESCHEDULE,
        {
            "input": {
                "visitId": visit["id"],
                "start": earlier.isoformat(),
                "end": (earlier + timedelta(hours=2)).isoformat(),
            }
        },
        token=tenant.token,
    )
    assert result["data"]["visitReschedule"]["errors"] == []
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "AT_RISK"
    assert (await _blocked(gql, tenant.token))[job["id"]] == "AT_RISK"

    # when 2 of 3 arrive: reserved for the line, still one to come
    partly = await receive(gql, tenant.token, order["id"], [(order["lines"][0]["id"], "2")])
    assert (partly["status"], partly["lines"][0]["quantityOutstanding"]) == (
        "PARTIALLY_RECEIVED",
        "1.000",
    )
    line_status = (await _readiness(gql, tenant.token, job["id"]))["materialReadiness"]["lines"][0]
    assert (line_status["reserved"], line_status["onOrder"], line_status["status"]) == (
        "3.000",
        "1.000",
        "AT_RISK",
    )

    # when the last one arrives: the job is ready
    done = await receive(gql, tenant.token, order["id"], [(order["lines"][0]["id"], "1")])
    assert done["status"] == "RECEIVED"
    shown = await _readiness(gql, tenant.token, job["id"])
    assert (shown["readiness"], shown["materialReadiness"]["status"]) == ("READY", "READY")
    assert job["id"] not in await _blocked(gql, tenant.token)
    # and the stock came into the warehouse, all of it held for the job
    assert await level(gql, tenant.token, warehouse["id"], item["id"]) == {
        "onHand": "4.000",
        "reserved": "4.000",
        "available": "0.000",
        "inventoryItem": {"id": item["id"], "sku": item["sku"]},
    }

    # then every move of readiness is on the job's timeline, tied to the next visit
    assert await _readiness_changes(gql, tenant.token, job["id"]) == [
        ("READY", "SHORT"),
        ("SHORT", "ON_ORDER"),
        ("ON_ORDER", "AT_RISK"),
        ("AT_RISK", "READY"),
    ]
    at_risk = [
        e
        for e in await timeline(gql, tenant.token, job["id"])
        if e["type"] == "job.readiness_changed"
    ][2]
    assert at_risk["payload"]["blockedByParts"] is True
    assert at_risk["payload"]["lines"] == [
        {"lineItemId": line["id"], "description": line["description"], "status": "AT_RISK"}
    ]


async def test_readiness_follows_cancelled_visits_and_orders(gql, make_company):
    # given an order arriving after the visit
    tenant = await make_company()
    job, _item, _warehouse, _line, visit, order = await _job_waiting_for_parts(gql, tenant.token)
    await submit(gql, tenant.token, order["id"])
    later = VISIT_DAY - timedelta(days=3)
    await gql(
        RESCHEDULE,
        {
            "input": {
                "visitId": visit["id"],
                "start": later.isoformat(),
                "end": (later + timedelta(hours=1)).isoformat(),
            }
        },
        token=tenant.token,
    )
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "AT_RISK"

    # when the visit is called off, nothing is missed any more
    result = await gql(VISIT_CANCEL, {"id": visit["id"]}, token=tenant.token)
    assert result["data"]["visitCancel"]["errors"] == []
    shown = await _readiness(gql, tenant.token, job["id"])
    assert (shown["readiness"], shown["materialReadiness"]["nextVisitAt"]) == ("ON_ORDER", None)

    # when the order is cancelled, the job is short again
    cancelled = await ok(
        gql, PO_CANCEL, "purchaseOrderCancel", tenant.token, {"id": order["id"], "reason": "Late"}
    )
    assert cancelled["purchaseOrder"]["status"] == "CANCELLED"
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "SHORT"
    assert (await _readiness_changes(gql, tenant.token, job["id"]))[-3:] == [
        ("ON_ORDER", "AT_RISK"),
        ("AT_RISK", "ON_ORDER"),
        ("ON_ORDER", "SHORT"),
    ]


async def test_a_new_visit_before_the_delivery_puts_the_job_at_risk(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    line = await add_material(gql, tenant.token, job["id"], item["id"], "2")
    order = await make_purchase_order(
        gql,
        tenant.token,
        (await make_vendor(gql, tenant.token))["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "2", "lineItemId": line["id"]}],
        expected_on="2030-01-10",
        jobId=job["id"],
    )
    await submit(gql, tenant.token, order["id"])
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "ON_ORDER"

    await make_visit(gql, tenant.token, job["id"], start=VISIT_DAY)

    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "AT_RISK"


# --- receiving and cancelling ------------------------------------------------------------------


async def test_receive_refusals_write_nothing(gql, make_company):
    tenant = await make_company()
    job, item, warehouse, _line, _visit, order = await _job_waiting_for_parts(gql, tenant.token)
    line_id = order["lines"][0]["id"]
    draft = await refused(
        gql,
        PO_RECEIVE,
        "purchaseOrderReceive",
        tenant.token,
        {"purchaseOrderId": order["id"], "lines": [{"lineId": line_id, "quantity": "1"}]},
    )
    assert draft["code"] == "INVALID_TRANSITION"
    await submit(gql, tenant.token, order["id"])
    other = await make_purchase_order(
        gql,
        tenant.token,
        (await make_vendor(gql, tenant.token))["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "1"}],
    )
    before = await timeline(gql, tenant.token, job["id"])
    cases = [
        ([], ("VALIDATION", ["input", "lines"])),
        (
            [{"lineId": line_id, "quantity": "3.5"}],
            ("VALIDATION", ["input", "lines", "0", "quantity"]),
        ),
        (
            [{"lineId": line_id, "quantity": "1"}, {"lineId": line_id, "quantity": "1"}],
            ("VALIDATION", ["input", "lines", "1", "lineId"]),
        ),
        (
            [{"lineId": other["lines"][0]["id"], "quantity": "1"}],
            ("NOT_FOUND", ["input", "lines", "0", "lineId"]),
        ),
    ]
    for lines, expected in cases:
        error = await refused(
            gql,
            PO_RECEIVE,
            "purchaseOrderReceive",
            tenant.token,
            {"purchaseOrderId": order["id"], "lines": lines},
        )
        assert (error["code"], error["field"]) == expected, lines

    assert (await level(gql, tenant.token, warehouse["id"], item["id"]))["onHand"] == "1.000"
    assert await timeline(gql, tenant.token, job["id"]) == before


async def test_goods_for_no_job_become_available_stock(gql, make_company):
    tenant = await make_company()
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    order = await make_purchase_order(
        gql,
        tenant.token,
        (await make_vendor(gql, tenant.token))["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "6"}],
    )
    await submit(gql, tenant.token, order["id"])

    received = await receive(gql, tenant.token, order["id"], [(order["lines"][0]["id"], "6")])

    assert received["status"] == "RECEIVED"
    row = await level(gql, tenant.token, warehouse["id"], item["id"])
    assert (row["onHand"], row["reserved"], row["available"]) == ("6.000", "0.000", "6.000")


async def test_cancel_refusals_and_the_orders_list(gql, make_company):
    tenant = await make_company()
    job, _item, _warehouse, _line, _visit, order = await _job_waiting_for_parts(gql, tenant.token)
    await submit(gql, tenant.token, order["id"])
    await receive(gql, tenant.token, order["id"], [(order["lines"][0]["id"], "3")])

    received = await refused(
        gql, PO_CANCEL, "purchaseOrderCancel", tenant.token, {"id": order["id"]}
    )
    unknown = await refused(gql, PO_CANCEL, "purchaseOrderCancel", tenant.token, {"id": job["id"]})

    assert received["code"] == "INVALID_TRANSITION"
    assert unknown["code"] == "VALIDATION"
    listed = await gql(ORDERS, {"status": ["RECEIVED"]}, token=tenant.token)
    assert listed["data"]["purchaseOrders"] == {
        "totalCount": 1,
        "nodes": [{"number": "P-5001", "status": "RECEIVED", "job": {"id": job["id"]}}],
    }
    none_open = await gql(ORDERS, {"status": ["ORDERED", "DRAFT"]}, token=tenant.token)
    assert none_open["data"]["purchaseOrders"]["totalCount"] == 0


async def test_lines_other_than_stocked_materials_do_not_count_for_readiness(gql, make_company):
    tenant = await make_company()
    job = await make_job(gql, tenant.token)
    await add_line(
        gql, tenant.token, job["id"], kind="MATERIAL", description="Sealant", quantity="1"
    )
    await add_line(gql, tenant.token, job["id"], kind="LABOR", description="Install", quantity="2")

    shown = await _readiness(gql, tenant.token, job["id"])

    assert (shown["readiness"], shown["materialReadiness"]["lines"]) == ("READY", [])


async def test_cancelling_the_job_takes_away_the_visit_parts_had_to_beat(gql, make_company):
    # given a job whose parts arrive after its visit
    tenant = await make_company()
    job, _item, _warehouse, _line, visit, order = await _job_waiting_for_parts(gql, tenant.token)
    await submit(gql, tenant.token, order["id"])
    earlier = VISIT_DAY - timedelta(days=4)
    await gql(
        RESCHEDULE,
        {
            "input": {
                "visitId": visit["id"],
                "start": earlier.isoformat(),
                "end": (earlier + timedelta(hours=1)).isoformat(),
            }
        },
        token=tenant.token,
    )
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "AT_RISK"

    # when the job is cancelled, and with it the visit
    result = await gql(JOB_CANCEL, {"id": job["id"]}, token=tenant.token)
    assert result["data"]["jobCancel"]["errors"] == []

    # then nothing is at risk any more: the parts are simply on order
    assert (await _readiness(gql, tenant.token, job["id"]))["readiness"] == "ON_ORDER"
    assert job["id"] not in await _blocked(gql, tenant.token)
