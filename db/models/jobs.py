"""Jobs, the assets they concern, and the job event table (timeline, outbox and webhook source)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from db.models.common import (
    company_column,
    created_at_column,
    id_column,
    metadata,
    updated_at_column,
)

JOB_STATUSES = (
    "UNSCHEDULED",
    "SCHEDULED",
    "IN_PROGRESS",
    "ON_HOLD",
    "COMPLETED",
    "INVOICED",
    "CANCELLED",
)
PRIORITIES = ("LOW", "NORMAL", "HIGH", "EMERGENCY")
SOURCES = ("QUOTE", "BOOKING_REQUEST", "LEAD", "AGREEMENT_VISIT", "DIRECT")
BILLING_TYPES = ("FIXED_PRICE", "TIME_AND_MATERIALS", "AGREEMENT", "WARRANTY", "NO_CHARGE")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


jobs = Table(
    "jobs",
    metadata,
    id_column(),
    company_column(),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("scope", Text, nullable=False, server_default=""),
    Column("customer_id", BigInteger, ForeignKey("customers.id"), nullable=False, index=True),
    Column("location_id", BigInteger, ForeignKey("locations.id"), index=True),
    Column("contact_id", BigInteger, ForeignKey("contacts.id")),
    Column("priority", String(12), nullable=False, server_default="NORMAL"),
    Column("status", String(12), nullable=False, server_default="UNSCHEDULED"),
    # The status a held job returns to is derived again on release, so only the reason is kept.
    Column("hold_reason", Text),
    Column("cancel_reason", Text),
    Column("source", String(20), nullable=False, server_default="DIRECT"),
    Column("source_reference", Text),
    Column("billing_type", String(20), nullable=False, server_default="FIXED_PRICE"),
    Column("estimated_duration_minutes", Integer),
    Column("required_skills", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # PostgreSQL's ARRAY (imported from the dialect): the tags filter needs its contains (@>).
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    # Worst material readiness of the job's lines (READY ON_ORDER AT_RISK SHORT), kept by the
    # materials resolvers so `jobs(filter: {readiness})` and the board find blocked jobs.
    Column("readiness", String(10), nullable=False, server_default="READY"),
    Column("version", Integer, nullable=False, server_default="1"),
    # Last per-job event sequence handed out (the job row is locked by every change).
    Column("event_seq", Integer, nullable=False, server_default="0"),
    # Lower-cased number, title, scope, customer name and address, kept by triggers and
    # indexed with trigrams for the free-text `search` filter.
    Column("search_text", Text, nullable=False, server_default=""),
    created_at_column(),
    updated_at_column(),
    UniqueConstraint("company_id", "number", name="uq_jobs_company_number"),
    CheckConstraint(_in("priority", PRIORITIES), name="priority"),
    CheckConstraint(_in("status", JOB_STATUSES), name="status"),
    CheckConstraint(_in("source", SOURCES), name="source"),
    CheckConstraint(_in("billing_type", BILLING_TYPES), name="billing_type"),
    CheckConstraint("estimated_duration_minutes >= 0", name="duration"),
)
Index("ix_jobs_company_created", jobs.c.company_id, jobs.c.created_at.desc(), jobs.c.id.desc())
Index("ix_jobs_company_status", jobs.c.company_id, jobs.c.status)
Index("ix_jobs_tags", jobs.c.tags, postgresql_using="gin")
Index(
    "ix_jobs_search_text",
    jobs.c.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
)

job_assets = Table(
    "job_assets",
    metadata,
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column(
        "asset_id",
        BigInteger,
        ForeignKey("assets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    PrimaryKeyConstraint("job_id", "asset_id"),
)

job_events = Table(
    "job_events",
    metadata,
    # Global order of writing; the order subscribers see is `position` (assigned at publish).
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("visit_id", BigInteger),
    Column("seq", Integer, nullable=False),
    Column("type", String(60), nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("actor_user_id", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    Column("actor_name", Text),
    created_at_column(),
    # Where the visit was before this event, when the event moved it (rescheduled to another
    # time, crew changed): the board of the day it left and the technicians taken off it must
    # hear of it too, though the visit is no longer theirs.
    Column("previous_visit_start", DateTime(timezone=True)),
    Column("previous_technician_ids", ARRAY(BigInteger)),
    # Set by the outbox relay after commit, in one serial order per database; NULL = unpublished.
    Column("position", BigInteger, unique=True),
    Column("published_at", DateTime(timezone=True)),
    UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),
)
Index(
    "ix_job_events_unpublished",
    job_events.c.id,
    postgresql_where=job_events.c.position.is_(None),
)
Index("ix_job_events_company_position", job_events.c.company_id, job_events.c.position)
Index("ix_job_events_job_position", job_events.c.job_id, job_events.c.position)
Index("ix_job_events_visit", job_events.c.visit_id, job_events.c.seq)
# Positioned but not yet confirmed published: what a crashed relay left behind.
Index(
    "ix_job_events_positioned_unpublished",
    job_events.c.position,
    postgresql_where=job_events.c.position.is_not(None) & job_events.c.published_at.is_(None),
)

# Stream positions, handed out by the outbox relay in commit-visible order.
job_event_positions = Sequence("job_event_positions", metadata=metadata)
