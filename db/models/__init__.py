"""Every table of the service, one module per area; `metadata` is what Alembic compares against."""

from db.models.closeout import documents, quality_checks, signatures
from db.models.common import metadata
from db.models.crew import crew_members, crews, technicians
from db.models.customers import assets, contacts, customers, locations
from db.models.dispatch import visit_technicians, visits
from db.models.jobs import job_assets, job_events, jobs
from db.models.materials import (
    inventory_items,
    line_items,
    purchase_order_lines,
    purchase_orders,
    reservations,
    stock_levels,
    stock_locations,
    vendors,
)
from db.models.tenants import companies, tokens, users
from db.models.workspace import incidents, job_dependencies, messages, notes, time_entries

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
    inventory_items,
    line_items,
    stock_locations,
    stock_levels,
    reservations,
    vendors,
    purchase_orders,
    purchase_order_lines,
    documents,
    signatures,
    quality_checks,
    notes,
    messages,
    incidents,
    time_entries,
    job_dependencies,
)

__all__ = [
    "TENANT_TABLES",
    "assets",
    "companies",
    "contacts",
    "crew_members",
    "crews",
    "customers",
    "documents",
    "incidents",
    "inventory_items",
    "job_assets",
    "job_dependencies",
    "job_events",
    "jobs",
    "line_items",
    "locations",
    "messages",
    "metadata",
    "notes",
    "purchase_order_lines",
    "purchase_orders",
    "quality_checks",
    "reservations",
    "signatures",
    "stock_levels",
    "stock_locations",
    "technicians",
    "time_entries",
    "tokens",
    "users",
    "vendors",
    "visit_technicians",
    "visits",
]
