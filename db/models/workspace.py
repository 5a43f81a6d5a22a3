"""The rest of the job workspace: notes, messages, incidents, time entries, dependencies."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from db.models.common import company_column, created_at_column, id_column, metadata

notes = Table(
    "notes",
    metadata,
    id_column(),
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("author_user_id", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    created_at_column(),
)
Index("ix_notes_job", notes.c.job_id, notes.c.id)

messages = Table(
    "messages",
    metadata,
    id_column(),
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("direction", String(10), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("recipient", Text),
    Column("body", Text, nullable=False),
    Column("author_user_id", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    created_at_column(),
    CheckConstraint("direction in ('OUTBOUND', 'INBOUND')", name="direction"),
    CheckConstraint("channel in ('SMS', 'EMAIL', 'PORTAL', 'PHONE')", name="channel"),
    CheckConstraint(
        "status in ('QUEUED', 'SENT', 'DELIVERED', 'FAILED', 'RECEIVED')", name="status"
    ),
)
Index("ix_messages_job", messages.c.job_id, messages.c.id)

incidents = Table(
    "incidents",
    metadata,
    id_column(),
    company_column(),
    Column(
        "job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("kind", String(10), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("reported_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    Column("resolution", Text),
    created_at_column(),
    CheckConstraint("kind in ('SAFETY', 'DAMAGE', 'COMPLAINT', 'OTHER')", name="kind"),
    CheckConstraint("severity in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name="severity"),
)

time_entries = Table(
    "time_entries",
    metadata,
    id_column(),
    company_column(),
    Column(
        "job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column(
        "technician_id",
        BigInteger,
        ForeignKey("technicians.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("visit_id", BigInteger, ForeignKey("visits.id", ondelete="SET NULL")),
    Column("kind", String(10), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("notes", Text),
    Column("approved_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    Column("approved_at", DateTime(timezone=True)),
    created_at_column(),
    CheckConstraint("kind in ('TRAVEL', 'WORK', 'BREAK')", name="kind"),
    CheckConstraint("ended_at > started_at", name="span"),
)
Index("ix_time_entries_technician", time_entries.c.technician_id, time_entries.c.started_at)

job_dependencies = Table(
    "job_dependencies",
    metadata,
    company_column(),
    # `job_id` waits on `depends_on_job_id`.
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column(
        "depends_on_job_id",
        BigInteger,
        ForeignKey("jobs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    created_at_column(),
    PrimaryKeyConstraint("job_id", "depends_on_job_id"),
    CheckConstraint("job_id <> depends_on_job_id", name="not_self"),
)
