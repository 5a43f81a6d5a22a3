"""Visits: a job's schedule entries, their crew and their dispatch status."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from db.models.common import (
    company_column,
    created_at_column,
    id_column,
    metadata,
    updated_at_column,
)

DISPATCH_STATUSES = (
    "SCHEDULED",
    "EN_ROUTE",
    "ARRIVED",
    "WORKING",
    "PAUSED",
    "DEPARTED",
    "COMPLETED",
    "CANCELLED",
)

visits = Table(
    "visits",
    metadata,
    id_column(),
    company_column(),
    Column(
        "job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("start_at", DateTime(timezone=True), nullable=False),
    Column("end_at", DateTime(timezone=True), nullable=False),
    Column("arrival_window_start", DateTime(timezone=True)),
    Column("arrival_window_end", DateTime(timezone=True)),
    Column("status", String(12), nullable=False, server_default="SCHEDULED"),
    Column("status_changed_at", DateTime(timezone=True)),
    Column("status_reason", Text),
    Column("last_lat", Float),
    Column("last_lng", Float),
    Column("version", Integer, nullable=False, server_default="1"),
    # Set when the visit was first projected to miss its arrival window, so the
    # visit.running_late event is raised once.
    Column("late_alerted_at", DateTime(timezone=True)),
    created_at_column(),
    updated_at_column(),
    CheckConstraint("end_at > start_at", name="window"),
    CheckConstraint(
        "status in (" + ", ".join(repr(s) for s in DISPATCH_STATUSES) + ")", name="status"
    ),
)
Index("ix_visits_company_start", visits.c.company_id, visits.c.start_at)

visit_technicians = Table(
    "visit_technicians",
    metadata,
    company_column(),
    Column("visit_id", BigInteger, ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
    Column(
        "technician_id",
        BigInteger,
        ForeignKey("technicians.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    PrimaryKeyConstraint("visit_id", "technician_id"),
)
