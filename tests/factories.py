"""Small factories that build test data the way a client would: through the GraphQL API.

Each returns the created object as the API shows it (a dict) and fails the test at once when
the API refuses, with the errors it gave. `new_company` and `job_seq` reach the database
directly, for module-scoped data and for checking what a refused mutation left behind.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.models import companies
from db.session import system_session
from db.tenants import create_company
from tests.conftest import Tenant

CUSTOMER_CREATE = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id name } errors { code message field } }
}
"""
LOCATION_CREATE = """
mutation ($input: LocationCreateInput!) {
  locationCreate(input: $input) {
    location { id street city address }
    errors { code message field }
  }
}
"""
CONTACT_CREATE = """
mutation ($input: ContactCreateInput!) {
  contactCreate(input: $input) { contact { id name } errors { code message field } }
}
"""
ASSET_CREATE = """
mutation ($input: AssetCreateInput!) {
  assetCreate(input: $input) { asset { id name } errors { code message field } }
}
"""
JOB_CREATE = """
mutation ($input: JobCreateInput!) {
  jobCreate(input: $input) {
    job { id number title version status tags priority }
    errors { code message field }
  }
}
"""
TECHNICIAN_CREATE = """
mutation ($input: TechnicianCreateInput!) {
  technicianCreate(input: $input) { technician { id name } errors { code message field } }
}
"""
USER_CREATE = """
mutation ($input: UserCreateInput!) {
  userCreate(input: $input) { user { id email name role } errors { code message field } }
}
"""
LOGIN = """
mutation ($input: LoginInput!) {
  login(input: $input) { token errors { code message field } }
}
"""
VISIT_CREATE = """
mutation ($input: VisitCreateInput!) {
  visitCreate(input: $input) { visit { id start end } errors { code message field } }
}
"""
PASSWORD = "a long enough password"
VISIT_DAY = datetime.fromisoformat("2030-01-07T15:00:00+00:00")


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


async def new_company(system_engine: Any, name: str | None = None) -> Tenant:
    """A company with its admin, like the `make_company` fixture, for module-scoped data."""
    label = name or unique("Company")
    async with system_session(system_engine) as db:
        company_id, user_id, token = await create_company(
            db, label, f"admin-{uuid.uuid4().hex[:10]}@example.com", PASSWORD
        )
    return Tenant(company_id, user_id, token, label)


async def job_seq(system_engine: Any, company_id: int) -> int:
    """The last job number the company handed out."""
    async with system_session(system_engine) as db:
        return int(await db.scalar(select(companies.c.job_seq).where(companies.c.id == company_id)))


async def _create(gql: Any, document: str, field: str, key: str, token: str, data: dict) -> dict:
    result = await gql(document, {"input": data}, token=token)
    assert "errors" not in result, result["errors"]
    payload = result["data"][field]
    assert payload["errors"] == [], payload["errors"]
    return payload[key]  # type: ignore[no-any-return]


async def make_customer(gql: Any, token: str, **overrides: Any) -> dict:
    data = {"name": unique("Customer"), **overrides}
    return await _create(gql, CUSTOMER_CREATE, "customerCreate", "customer", token, data)


async def make_location(gql: Any, token: str, customer_id: str, **overrides: Any) -> dict:
    data = {"customerId": customer_id, "street": "1 Main Street", "city": "Denver", **overrides}
    return await _create(gql, LOCATION_CREATE, "locationCreate", "location", token, data)


async def make_contact(gql: Any, token: str, customer_id: str, **overrides: Any) -> dict:
    data = {"customerId": customer_id, "name": unique("Contact"), **overrides}
    return await _create(gql, CONTACT_CREATE, "contactCreate", "contact", token, data)


async def make_asset(gql: Any, token: str, location_id: str, **overrides: Any) -> dict:
    data = {"locationId": location_id, "name": unique("Boiler"), **overrides}
    return await _create(gql, ASSET_CREATE, "assetCreate", "asset", token, data)


async def make_job(gql: Any, token: str, customer_id: str | None = None, **overrides: Any) -> dict:
    """A job; for a new customer of its own unless `customer_id` is given."""
    if customer_id is None:
        customer_id = (await make_customer(gql, token))["id"]
    data = {"customerId": customer_id, "title": unique("Job"), **overrides}
    return await _create(gql, JOB_CREATE, "jobCreate", "job", token, data)


async def make_technician(gql: Any, token: str, **overrides: Any) -> dict:
    data = {"name": unique("Technician"), **overrides}
    return await _create(gql, TECHNICIAN_CREATE, "technicianCreate", "technician", token, data)


async def make_user(gql: Any, admin_token: str, role: str = "DISPATCHER", **overrides: Any) -> dict:
    """A user of the admin's company, signed in: the user's fields plus its `token`."""
    data = {
        "email": f"{role.lower()}-{uuid.uuid4().hex[:10]}@example.com",
        "name": unique(role.title()),
        "role": role,
        "password": PASSWORD,
        **overrides,
    }
    user = await _create(gql, USER_CREATE, "userCreate", "user", admin_token, data)
    signed_in = await gql(LOGIN, {"input": {"email": data["email"], "password": data["password"]}})
    assert signed_in["data"]["login"]["errors"] == [], signed_in
    return {**user, "token": signed_in["data"]["login"]["token"]}


async def make_technician_user(gql: Any, admin_token: str) -> dict:
    """A technician who signs in: {"user", "technician", "token"}."""
    user = await make_user(gql, admin_token, role="TECHNICIAN")
    technician = await make_technician(gql, admin_token, userId=user["id"])
    return {"user": user, "technician": technician, "token": user["token"]}


async def make_visit(
    gql: Any,
    token: str,
    job_id: str,
    technician_ids: list[str] | None = None,
    start: datetime = VISIT_DAY,
    hours: float = 2,
) -> dict:
    """A visit of a job, booked even when its technicians are busy then."""
    data = {
        "jobId": job_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "technicianIds": technician_ids or [],
        "allowOverlap": True,
    }
    return await _create(gql, VISIT_CREATE, "visitCreate", "visit", token, data)
