"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 05:30:14.810238
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), server_default="UTC", nullable=False),
        sa.Column("job_seq", sa.Integer(), server_default="1000", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
    )
    op.create_table(
        "crews",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_crews_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
    )
    op.create_index(op.f("ix_crews_company_id"), "crews", ["company_id"], unique=False)
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_customers_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_company_id"), "customers", ["company_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role in ('admin', 'dispatcher', 'office', 'technician')", name=op.f("ck_users_role")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_users_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_company_id"), "users", ["company_id"], unique=False)
    op.create_index(
        "uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_contacts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_contacts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_company_id"), "contacts", ["company_id"], unique=False)
    op.create_index(op.f("ix_contacts_customer_id"), "contacts", ["customer_id"], unique=False)
    op.create_table(
        "locations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("street", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), server_default="US", nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("access_notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_locations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_locations_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_index(op.f("ix_locations_company_id"), "locations", ["company_id"], unique=False)
    op.create_index(op.f("ix_locations_customer_id"), "locations", ["customer_id"], unique=False)
    op.create_table(
        "technicians",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column(
            "skills",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lng", sa.Float(), nullable=True),
        sa.Column(
            "working_hours",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "hourly_cost", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column("color", sa.String(length=9), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_technicians_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_technicians_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technicians")),
        sa.UniqueConstraint("user_id", name=op.f("uq_technicians_user_id")),
    )
    op.create_index(op.f("ix_technicians_company_id"), "technicians", ["company_id"], unique=False)
    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="session", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_tokens_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tokens_company_id"), "tokens", ["company_id"], unique=False)
    op.create_table(
        "assets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("make", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("serial", sa.Text(), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_assets_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_assets_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(op.f("ix_assets_company_id"), "assets", ["company_id"], unique=False)
    op.create_index(op.f("ix_assets_location_id"), "assets", ["location_id"], unique=False)
    op.create_table(
        "crew_members",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("crew_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_crew_members_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crew_id"],
            ["crews.id"],
            name=op.f("fk_crew_members_crew_id_crews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_crew_members_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("crew_id", "technician_id", name=op.f("pk_crew_members")),
    )
    op.create_index(
        op.f("ix_crew_members_company_id"), "crew_members", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_crew_members_technician_id"), "crew_members", ["technician_id"], unique=False
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), server_default="", nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("priority", sa.String(length=12), server_default="NORMAL", nullable=False),
        sa.Column("status", sa.String(length=12), server_default="UNSCHEDULED", nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), server_default="DIRECT", nullable=False),
        sa.Column("source_reference", sa.Text(), nullable=True),
        sa.Column(
            "billing_type", sa.String(length=20), server_default="FIXED_PRICE", nullable=False
        ),
        sa.Column("estimated_duration_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "required_skills", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("tags", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "billing_type in ('FIXED_PRICE', 'TIME_AND_MATERIALS', 'AGREEMENT', 'WARRANTY',"
            " 'NO_CHARGE')",
            name=op.f("ck_jobs_billing_type"),
        ),
        sa.CheckConstraint(
            "priority in ('LOW', 'NORMAL', 'HIGH', 'EMERGENCY')", name=op.f("ck_jobs_priority")
        ),
        sa.CheckConstraint(
            "source in ('QUOTE', 'BOOKING_REQUEST', 'LEAD', 'AGREEMENT_VISIT', 'DIRECT')",
            name=op.f("ck_jobs_source"),
        ),
        sa.CheckConstraint(
            "status in ('UNSCHEDULED', 'SCHEDULED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED',"
            " 'INVOICED', 'CANCELLED')",
            name=op.f("ck_jobs_status"),
        ),
        sa.CheckConstraint("estimated_duration_minutes >= 0", name=op.f("ck_jobs_duration")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_jobs_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_jobs_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_jobs_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_jobs_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("company_id", "number", name="uq_jobs_company_number"),
    )
    op.create_index(
        "ix_jobs_company_created",
        "jobs",
        ["company_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(op.f("ix_jobs_company_id"), "jobs", ["company_id"], unique=False)
    op.create_index("ix_jobs_company_status", "jobs", ["company_id", "status"], unique=False)
    op.create_index(op.f("ix_jobs_customer_id"), "jobs", ["customer_id"], unique=False)
    op.create_index(op.f("ix_jobs_location_id"), "jobs", ["location_id"], unique=False)
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
                CREATE INDEX ix_jobs_search_text ON jobs USING gin (search_text gin_trgm_ops);
            END IF;
        END $$
        """
    )
    op.create_index("ix_jobs_tags", "jobs", ["tags"], unique=False, postgresql_using="gin")
    op.create_table(
        "job_assets",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_job_assets_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_job_assets_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_assets_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "asset_id", name=op.f("pk_job_assets")),
    )
    op.create_index(op.f("ix_job_assets_asset_id"), "job_assets", ["asset_id"], unique=False)
    op.create_index(op.f("ix_job_assets_company_id"), "job_assets", ["company_id"], unique=False)
    op.create_table(
        "job_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_job_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_job_events_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_events_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
        sa.UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),
        sa.UniqueConstraint("position", name=op.f("uq_job_events_position")),
    )
    op.create_index(op.f("ix_job_events_company_id"), "job_events", ["company_id"], unique=False)
    op.create_index(
        "ix_job_events_company_position", "job_events", ["company_id", "position"], unique=False
    )
    op.create_index(
        "ix_job_events_unpublished",
        "job_events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("position IS NULL"),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrival_window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrival_window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="SCHEDULED", nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("last_lng", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status in ('SCHEDULED', 'EN_ROUTE', 'ARRIVED', 'WORKING', 'PAUSED', 'DEPARTED',"
            " 'COMPLETED', 'CANCELLED')",
            name=op.f("ck_visits_status"),
        ),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_visits_window")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_visits_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_visits_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_company_id"), "visits", ["company_id"], unique=False)
    op.create_index("ix_visits_company_start", "visits", ["company_id", "start_at"], unique=False)
    op.create_index(op.f("ix_visits_job_id"), "visits", ["job_id"], unique=False)
    op.create_table(
        "visit_technicians",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_visit_technicians_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_visit_technicians_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_technicians_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "technician_id", name=op.f("pk_visit_technicians")),
    )
    op.create_index(
        op.f("ix_visit_technicians_company_id"), "visit_technicians", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_visit_technicians_technician_id"),
        "visit_technicians",
        ["technician_id"],
        unique=False,
    )

    _create_search_triggers()
    _secure_tables()


def downgrade() -> None:
    _drop_security()
    op.drop_index(op.f("ix_visit_technicians_technician_id"), table_name="visit_technicians")
    op.drop_index(op.f("ix_visit_technicians_company_id"), table_name="visit_technicians")
    op.drop_table("visit_technicians")
    op.drop_index(op.f("ix_visits_job_id"), table_name="visits")
    op.drop_index("ix_visits_company_start", table_name="visits")
    op.drop_index(op.f("ix_visits_company_id"), table_name="visits")
    op.drop_table("visits")
    op.drop_index(
        "ix_job_events_unpublished",
        table_name="job_events",
        postgresql_where=sa.text("position IS NULL"),
    )
    op.drop_index("ix_job_events_company_position", table_name="job_events")
    op.drop_index(op.f("ix_job_events_company_id"), table_name="job_events")
    op.drop_table("job_events")
    op.drop_index(op.f("ix_job_assets_company_id"), table_name="job_assets")
    op.drop_index(op.f("ix_job_assets_asset_id"), table_name="job_assets")
    op.drop_table("job_assets")
    op.drop_index("ix_jobs_tags", table_name="jobs", postgresql_using="gin")
    op.execute("DROP INDEX IF EXISTS ix_jobs_search_text")
    op.drop_index(op.f("ix_jobs_location_id"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_customer_id"), table_name="jobs")
    op.drop_index("ix_jobs_company_status", table_name="jobs")
    op.drop_index(op.f("ix_jobs_company_id"), table_name="jobs")
    op.drop_index("ix_jobs_company_created", table_name="jobs")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_crew_members_technician_id"), table_name="crew_members")
    op.drop_index(op.f("ix_crew_members_company_id"), table_name="crew_members")
    op.drop_table("crew_members")
    op.drop_index(op.f("ix_assets_location_id"), table_name="assets")
    op.drop_index(op.f("ix_assets_company_id"), table_name="assets")
    op.drop_table("assets")
    op.drop_index(op.f("ix_tokens_company_id"), table_name="tokens")
    op.drop_table("tokens")
    op.drop_index(op.f("ix_technicians_company_id"), table_name="technicians")
    op.drop_table("technicians")
    op.drop_index(op.f("ix_locations_customer_id"), table_name="locations")
    op.drop_index(op.f("ix_locations_company_id"), table_name="locations")
    op.drop_table("locations")
    op.drop_index(op.f("ix_contacts_customer_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_company_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_index(op.f("ix_users_company_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_customers_company_id"), table_name="customers")
    op.drop_table("customers")
    op.drop_index(op.f("ix_crews_company_id"), table_name="crews")
    op.drop_table("crews")
    op.drop_table("companies")


TENANT_TABLES = (
    "users",
    "tokens",
    "technicians",
    "crews",
    "crew_members",
    "customers",
    "locations",
    "contacts",
    "assets",
    "jobs",
    "job_assets",
    "job_events",
    "visits",
    "visit_technicians",
)

# A row is visible when it belongs to the company set for the transaction, or when trusted
# system code (sign-in, the outbox relay, the CLI) has said so explicitly. Neither set: no rows.
TENANT_PREDICATE = (
    "({column} = nullif(current_setting('opus.company_id', true), '')::bigint"
    " OR current_setting('opus.system', true) = 'on')"
)


def _secure_tables() -> None:
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opus_app') THEN
                CREATE ROLE opus_app NOLOGIN NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )
    op.execute("GRANT opus_app TO CURRENT_USER")
    op.execute("GRANT USAGE ON SCHEMA public TO opus_app")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO opus_app")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO opus_app")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO opus_app"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO opus_app"
    )
    for table, column in [("companies", "id"), *((t, "company_id") for t in TENANT_TABLES)]:
        predicate = TENANT_PREDICATE.format(column=column)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING {predicate} WITH CHECK {predicate}"
        )


def _create_search_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION opus_job_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_text := lower(concat_ws(' ',
                'J-' || NEW.number, NEW.title, NEW.scope,
                (SELECT c.name FROM customers c WHERE c.id = NEW.customer_id),
                (SELECT concat_ws(' ', l.label, l.street, l.city, l.region, l.postal_code)
                   FROM locations l WHERE l.id = NEW.location_id)));
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER jobs_search_text BEFORE INSERT OR UPDATE OF number, title, scope, "
        "customer_id, location_id ON jobs FOR EACH ROW EXECUTE FUNCTION opus_job_search_text()"
    )
    # A renamed customer or moved address must still be found by the jobs that name it.
    op.execute(
        """
        CREATE FUNCTION opus_refresh_job_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'customers' THEN
                UPDATE jobs SET title = title WHERE customer_id = NEW.id;
            ELSE
                UPDATE jobs SET title = title WHERE location_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER customers_refresh_job_search AFTER UPDATE OF name ON customers "
        "FOR EACH ROW EXECUTE FUNCTION opus_refresh_job_search_text()"
    )
    op.execute(
        "CREATE TRIGGER locations_refresh_job_search AFTER UPDATE OF label, street, city, "
        "region, postal_code ON locations "
        "FOR EACH ROW EXECUTE FUNCTION opus_refresh_job_search_text()"
    )


def _drop_security() -> None:
    for table in ("companies", *TENANT_TABLES):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute("DROP TRIGGER IF EXISTS customers_refresh_job_search ON customers")
    op.execute("DROP TRIGGER IF EXISTS locations_refresh_job_search ON locations")
    op.execute("DROP TRIGGER IF EXISTS jobs_search_text ON jobs")
    op.execute("DROP FUNCTION IF EXISTS opus_refresh_job_search_text()")
    op.execute("DROP FUNCTION IF EXISTS opus_job_search_text()")
