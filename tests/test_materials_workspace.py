"""The materials tabs of the job workspace cost the same statements for 2 rows as for 40."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.factories import make_job, make_technician, make_visit
from tests.materials_factories import (
    add_material,
    make_item,
    make_purchase_order,
    make_stock_location,
    make_vendor,
    ok,
    reserve,
    set_stock,
    submit,
)

WORKSPACE = """
query ($id: ID!) {
  node(id: $id) {
    ... on Job {
      readiness
      lineItems {
        id kind total taxAmount
        inventoryItem { sku stockLevels { onHand available stockLocation { name } } }
        reservations {
          quantity held status
          stockLocation { name technician { name } } inventoryItem { sku } lineItem { id }
        }
        job { id }
      }
      materialReadiness {
        status nextVisitAt
        lines { needed reserved onOrder expectedOn status lineItem { id inventoryItem { sku } } }
      }
      purchaseOrders {
        number status total
        vendor { name } stockLocation { name levels { onHand } } job { id }
        lines { quantityOutstanding total inventoryItem { sku } lineItem { id } }
      }
      financialSummary {
        price tax total cost margin marginPercent materialsCost laborCost purchaseOrdersCost
      }
    }
  }
}
"""
TIME_ENTRY = """
mutation ($input: TimeEntryCreateInput!) {
  timeEntryCreate(input: $input) { timeEntry { id } errors { code message field } }
}
"""
APPROVE = """
mutation ($ids: [ID!]!) { timeEntriesApprove(input: {ids: $ids}) { errors { code } } }
"""
START = datetime.fromisoformat("2030-01-07T15:00:00+00:00")


async def _job_with(gql, token, rows):
    """A job with `rows` material lines (each its own item, reserved from a warehouse and a
    truck), `rows` purchase orders for them, and `rows` approved time entries."""
    job = await make_job(gql, token)
    await make_visit(gql, token, job["id"], start=START)
    technician = await make_technician(gql, token, hourlyCost="42.00")
    warehouse = await make_stock_location(gql, token)
    truck = await make_stock_location(gql, token, kind="TRUCK", technicianId=technician["id"])
    vendor = await make_vendor(gql, token)
    entries = []
    for n in range(rows):
        item = await make_item(gql, token)
        location = warehouse if n % 2 else truck
        await set_stock(gql, token, location["id"], item["id"], "3")
        line = await add_material(gql, token, job["id"], item["id"], "5")
        await reserve(gql, token, line["id"], location["id"], "2")
        order = await make_purchase_order(
            gql,
            token,
            vendor["id"],
            warehouse["id"],
            [{"inventoryItemId": item["id"], "quantity": "3", "lineItemId": line["id"]}],
            jobId=job["id"],
        )
        if n % 2:
            await submit(gql, token, order["id"])
        begin = START + timedelta(hours=n)
        entry = await ok(
            gql,
            TIME_ENTRY,
            "timeEntryCreate",
            token,
            {
                "jobId": job["id"],
                "technicianId": technician["id"],
                "kind": "WORK",
                "start": begin.isoformat(),
                "end": (begin + timedelta(minutes=30)).isoformat(),
            },
        )
        entries.append(entry["timeEntry"]["id"])
    approved = await gql(APPROVE, {"ids": entries}, token=token)
    assert approved["data"]["timeEntriesApprove"]["errors"] == []
    return job


async def test_workspace_statements_do_not_grow_with_rows(gql, make_company):
    # given two jobs of one company, with 2 and with 40 rows in every materials tab
    tenant = await make_company()
    small = await _job_with(gql, tenant.token, 2)
    large = await _job_with(gql, tenant.token, 40)

    async def statements(job):
        result = await gql(WORKSPACE, {"id": job["id"]}, token=tenant.token)
        assert "errors" not in result, result
        node = result["data"]["node"]
        rows = {
            len(node["lineItems"]),
            len(node["materialReadiness"]["lines"]),
            len(node["purchaseOrders"]),
        }
        return gql.statements, rows, node

    # when each job's workspace is opened with all its materials tabs
    small_count, small_rows, small_node = await statements(small)
    large_count, large_rows, large_node = await statements(large)

    # then both cost the same number of statements
    assert (small_rows, large_rows) == ({2}, {40})
    assert small_count == large_count
    # and the figures are those of the rows: 2 x 30 min at 42.00 = 42.00 of labor, 5 of each
    # line planned at the item's 12.50 cost (nothing issued yet)
    assert small_node["financialSummary"]["laborCost"] == "42.00"
    assert large_node["financialSummary"]["laborCost"] == "840.00"
    assert large_node["financialSummary"]["materialsCost"] == "2500.00"
    # half the lines wait for a submitted order arriving before the visit, half for a draft
    assert large_node["materialReadiness"]["status"] == "SHORT"
    assert {line["status"] for line in large_node["materialReadiness"]["lines"]} == {
        "ON_ORDER",
        "SHORT",
    }


NODE = "query ($id: ID!) { node(id: $id) { __typename id } }"
ORDER_LINES = """
query ($id: ID!) { node(id: $id) { ... on PurchaseOrder { lines { id } } } }
"""


async def test_node_finds_materials_objects_of_the_viewers_company_only(gql, make_company):
    # given one of each materials object in a company
    tenant, other = await make_company(), await make_company()
    job = await make_job(gql, tenant.token)
    item = await make_item(gql, tenant.token)
    warehouse = await make_stock_location(gql, tenant.token)
    await set_stock(gql, tenant.token, warehouse["id"], item["id"], "2")
    line = await add_material(gql, tenant.token, job["id"], item["id"], "1")
    reservation = await reserve(gql, tenant.token, line["id"], warehouse["id"], "1")
    vendor = await make_vendor(gql, tenant.token)
    order = await make_purchase_order(
        gql,
        tenant.token,
        vendor["id"],
        warehouse["id"],
        [{"inventoryItemId": item["id"], "quantity": "1"}],
    )
    order_line = (await gql(ORDER_LINES, {"id": order["id"]}, token=tenant.token))["data"]["node"][
        "lines"
    ][0]
    objects = {
        "LineItem": line["id"],
        "InventoryItem": item["id"],
        "StockLocation": warehouse["id"],
        "Reservation": reservation["id"],
        "Vendor": vendor["id"],
        "PurchaseOrder": order["id"],
        "PurchaseOrderLine": order_line["id"],
    }

    for type_name, gid in objects.items():
        # when the company asks for it, it is found; when another company does, it is null
        mine = await gql(NODE, {"id": gid}, token=tenant.token)
        theirs = await gql(NODE, {"id": gid}, token=other.token)
        assert mine["data"]["node"] == {"__typename": type_name, "id": gid}
        assert theirs["data"]["node"] is None
