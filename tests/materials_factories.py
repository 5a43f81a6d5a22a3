"""Factories for the materials tests: items, locations, stock, lines, reservations, purchase
orders, all through the GraphQL API (each fails the test at once when the API refuses)."""

from __future__ import annotations

from typing import Any

from tests.factories import unique

ERRORS = "errors { code message field }"
LINE_FIELDS = """
id kind description quantity unitPrice unitCost taxable taxRate position total taxAmount
inventoryItem { id sku }
"""
ITEM_CREATE = f"""
mutation ($input: InventoryItemCreateInput!) {{
  inventoryItemCreate(input: $input) {{ inventoryItem {{ id sku name unitCost unitPrice }} {ERRORS} }}
}}
"""
LOCATION_CREATE = f"""
mutation ($input: StockLocationCreateInput!) {{
  stockLocationCreate(input: $input) {{
    stockLocation {{ id name kind technician {{ id }} }} {ERRORS}
  }}
}}
"""
STOCK_ADJUST = f"""
mutation ($input: StockAdjustInput!) {{
  stockAdjust(input: $input) {{
    stockLevel {{ onHand reserved available inventoryItem {{ sku }} stockLocation {{ name }} }}
    {ERRORS}
  }}
}}
"""
LINE_ADD = f"""
mutation ($input: LineItemAddInput!) {{
  lineItemAdd(input: $input) {{ lineItem {{ {LINE_FIELDS} }} job {{ readiness }} {ERRORS} }}
}}
"""
RESERVE = f"""
mutation ($input: MaterialReserveInput!) {{
  materialReserve(input: $input) {{
    reservation {{ id quantity issued held status lineItem {{ id }} }} {ERRORS}
  }}
}}
"""
VENDOR_CREATE = f"""
mutation ($input: VendorCreateInput!) {{
  vendorCreate(input: $input) {{ vendor {{ id name email }} {ERRORS} }}
}}
"""
PO_FIELDS = """
id number status expectedOn version total
lines { id quantityOrdered quantityReceived quantityOutstanding unitCost lineItem { id } }
"""
PO_CREATE = f"""
mutation ($input: PurchaseOrderCreateInput!) {{
  purchaseOrderCreate(input: $input) {{ purchaseOrder {{ {PO_FIELDS} }} {ERRORS} }}
}}
"""
PO_SUBMIT = f"""
mutation ($input: PurchaseOrderSubmitInput!) {{
  purchaseOrderSubmit(input: $input) {{ purchaseOrder {{ {PO_FIELDS} }} {ERRORS} }}
}}
"""
PO_RECEIVE = f"""
mutation ($input: PurchaseOrderReceiveInput!) {{
  purchaseOrderReceive(input: $input) {{ purchaseOrder {{ {PO_FIELDS} }} {ERRORS} }}
}}
"""
STOCK_LEVELS = """
{ stockLocations { id name levels { onHand reserved available inventoryItem { id sku } } } }
"""
TIMELINE = """
query ($id: ID!) {
  node(id: $id) { ... on Job { timeline(first: 100) { totalCount nodes { type payload } } } }
}
"""


async def ok(gql: Any, document: str, field: str, token: str, data: dict[str, Any]) -> dict:
    """Run a mutation that must succeed; its payload."""
    result = await gql(document, {"input": data}, token=token)
    assert "errors" not in result, result["errors"]
    payload = result["data"][field]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def refused(gql: Any, document: str, field: str, token: str, data: dict[str, Any]) -> dict:
    """Run a mutation that must be refused; its single error."""
    result = await gql(document, {"input": data}, token=token)
    assert "errors" not in result, result["errors"]
    errors = result["data"][field]["errors"]
    assert len(errors) == 1, result
    return errors[0]


async def make_item(gql: Any, token: str, **overrides: Any) -> dict:
    data = {
        "sku": unique("SKU").replace(" ", "-"),
        "name": "Capacitor 45/5 uF",
        "unitCost": "12.50",
        "unitPrice": "39.00",
        **overrides,
    }
    return (await ok(gql, ITEM_CREATE, "inventoryItemCreate", token, data))["inventoryItem"]


async def make_stock_location(gql: Any, token: str, **overrides: Any) -> dict:
    data = {"name": unique("Warehouse"), "kind": "WAREHOUSE", **overrides}
    return (await ok(gql, LOCATION_CREATE, "stockLocationCreate", token, data))["stockLocation"]


async def set_stock(
    gql: Any, token: str, location_id: str, item_id: str, quantity: str, mode: str = "SET"
) -> dict:
    data = {
        "stockLocationId": location_id,
        "inventoryItemId": item_id,
        "quantity": quantity,
        "mode": mode,
    }
    return (await ok(gql, STOCK_ADJUST, "stockAdjust", token, data))["stockLevel"]


async def add_line(gql: Any, token: str, job_id: str, **overrides: Any) -> dict:
    data = {"jobId": job_id, "kind": "SERVICE", "description": "Diagnose", "quantity": "1"}
    data.update(overrides)
    return (await ok(gql, LINE_ADD, "lineItemAdd", token, data))["lineItem"]


async def add_material(gql: Any, token: str, job_id: str, item_id: str, quantity: str) -> dict:
    return await add_line(
        gql,
        token,
        job_id,
        kind="MATERIAL",
        description=None,
        inventoryItemId=item_id,
        quantity=quantity,
    )


async def reserve(gql: Any, token: str, line_id: str, location_id: str, quantity: str) -> dict:
    data = {"lineItemId": line_id, "stockLocationId": location_id, "quantity": quantity}
    return (await ok(gql, RESERVE, "materialReserve", token, data))["reservation"]


async def make_vendor(gql: Any, token: str, **overrides: Any) -> dict:
    data = {"name": unique("Supply House"), **overrides}
    return (await ok(gql, VENDOR_CREATE, "vendorCreate", token, data))["vendor"]


async def make_purchase_order(
    gql: Any,
    token: str,
    vendor_id: str,
    location_id: str,
    lines: list[dict[str, Any]],
    expected_on: str = "2030-01-05",
    **overrides: Any,
) -> dict:
    data = {
        "vendorId": vendor_id,
        "stockLocationId": location_id,
        "expectedOn": expected_on,
        "lines": lines,
        **overrides,
    }
    return (await ok(gql, PO_CREATE, "purchaseOrderCreate", token, data))["purchaseOrder"]


async def submit(gql: Any, token: str, order_id: str) -> dict:
    return (await ok(gql, PO_SUBMIT, "purchaseOrderSubmit", token, {"id": order_id}))[
        "purchaseOrder"
    ]


async def receive(gql: Any, token: str, order_id: str, lines: list[tuple[str, str]]) -> dict:
    data = {
        "purchaseOrderId": order_id,
        "lines": [{"lineId": line_id, "quantity": count} for line_id, count in lines],
    }
    return (await ok(gql, PO_RECEIVE, "purchaseOrderReceive", token, data))["purchaseOrder"]


async def level(gql: Any, token: str, location_id: str, item_id: str) -> dict:
    """The stock level of an item at a location, as stockLocations shows it."""
    result = await gql(STOCK_LEVELS, token=token)
    assert "errors" not in result, result
    for location in result["data"]["stockLocations"]:
        if location["id"] == location_id:
            for row in location["levels"]:
                if row["inventoryItem"]["id"] == item_id:
                    return row
    raise AssertionError(f"no stock of {item_id} at {location_id}")


async def timeline(gql: Any, token: str, job_id: str) -> list[dict]:
    result = await gql(TIMELINE, {"id": job_id}, token=token)
    assert "errors" not in result, result
    return result["data"]["node"]["timeline"]["nodes"]


async def event_types(gql: Any, token: str, job_id: str) -> list[str]:
    return [event["type"] for event in await timeline(gql, token, job_id)]
