"""Every table of the service, one module per area; `metadata` is what Alembic compares against."""

from db.models.common import metadata
from db.models.crew import crew_members, crews, technicians
from db.models.customers import assets, contacts, customers, locations
from db.models.dispatch import visit_technicians, visits
from db.models.jobs import job_assets, job_events, jobs
from db.models.tenants import companies, tokens, users

TENANT_TABLES = (
    users,
    tokens,
    technicians,
    crews,
    crew_members,
    customers,
    locations,
    contacts,
    assets,
    jobs,
    job_assets,
    job_events,
    visits,
    visit_technicians,
)

__all__ = [
    "TENANT_TABLES",
    "assets",
    "companies",
    "contacts",
    "crew_members",
    "crews",
    "customers",
    "job_assets",
    "job_events",
    "jobs",
    "locations",
    "metadata",
    "technicians",
    "tokens",
    "users",
    "visit_technicians",
    "visits",
]
