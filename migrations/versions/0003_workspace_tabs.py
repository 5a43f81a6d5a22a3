"""workspace tabs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:50:59.803456
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), server_default="ea", nullable=False),
        sa.Column(
            "unit_cost", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "unit_price", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_inventory_items_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint("company_id", "sku", name="uq_inventory_items_company_sku"),
    )
    op.create_index(
        op.f("ix_inventory_items_company_id"), "inventory_items", ["company_id"], unique=False
    )
    op.create_table(
        "vendors",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_vendors_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
    )
    op.create_index(op.f("ix_vendors_company_id"), "vendors", ["company_id"], unique=False)
    op.create_table(
        "stock_locations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind in ('WAREHOUSE', 'TRUCK')", name=op.f("ck_stock_locations_kind")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_stock_locations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_stock_locations_technician_id_technicians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_locations")),
    )
    op.create_index(
        op.f("ix_stock_locations_company_id"), "stock_locations", ["company_id"], unique=False
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("thumbnail_key", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind in ('PHOTO', 'DOCUMENT', 'PERMIT', 'SIGNATURE', 'OTHER')",
            name=op.f("ck_documents_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_documents_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_documents_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_documents_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_company_id"), "documents", ["company_id"], unique=False)
    op.create_index("ix_documents_job", "documents", ["job_id", "id"], unique=False)
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind in ('SAFETY', 'DAMAGE', 'COMPLAINT', 'OTHER')", name=op.f("ck_incidents_kind")
        ),
        sa.CheckConstraint(
            "severity in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name=op.f("ck_incidents_severity")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_incidents_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_incidents_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["users.id"],
            name=op.f("fk_incidents_reported_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["users.id"],
            name=op.f("fk_incidents_resolved_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_company_id"), "incidents", ["company_id"], unique=False)
    op.create_index(op.f("ix_incidents_job_id"), "incidents", ["job_id"], unique=False)
    op.create_table(
        "job_dependencies",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("depends_on_job_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "job_id <> depends_on_job_id", name=op.f("ck_job_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_job_dependencies_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_job_id"],
            ["jobs.id"],
            name=op.f("fk_job_dependencies_depends_on_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_job_dependencies_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "depends_on_job_id", name=op.f("pk_job_dependencies")),
    )
    op.create_index(
        op.f("ix_job_dependencies_company_id"), "job_dependencies", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_job_dependencies_depends_on_job_id"),
        "job_dependencies",
        ["depends_on_job_id"],
        unique=False,
    )
    op.create_table(
        "line_items",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column(
            "unit_price", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "unit_cost", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column("taxable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=4), server_default="0", nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=True),
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
            "kind in ('SERVICE', 'MATERIAL', 'LABOR', 'FEE')", name=op.f("ck_line_items_kind")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_line_items_quantity")),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name=op.f("ck_line_items_tax_rate")),
        sa.CheckConstraint("unit_price >= 0 AND unit_cost >= 0", name=op.f("ck_line_items_money")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_line_items_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name=op.f("fk_line_items_inventory_item_id_inventory_items"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_line_items_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_items")),
    )
    op.create_index(op.f("ix_line_items_company_id"), "line_items", ["company_id"], unique=False)
    op.create_index("ix_line_items_job", "line_items", ["job_id", "position"], unique=False)
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "channel in ('SMS', 'EMAIL', 'PORTAL', 'PHONE')", name=op.f("ck_messages_channel")
        ),
        sa.CheckConstraint(
            "direction in ('OUTBOUND', 'INBOUND')", name=op.f("ck_messages_direction")
        ),
        sa.CheckConstraint(
            "status in ('QUEUED', 'SENT', 'DELIVERED', 'FAILED', 'RECEIVED')",
            name=op.f("ck_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_messages_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_messages_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_company_id"), "messages", ["company_id"], unique=False)
    op.create_index("ix_messages_job", "messages", ["job_id", "id"], unique=False)
    op.create_table(
        "notes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_notes_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_notes_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_notes_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_company_id"), "notes", ["company_id"], unique=False)
    op.create_index("ix_notes_job", "notes", ["job_id", "id"], unique=False)
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("stock_location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="DRAFT", nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
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
            "status in ('DRAFT', 'ORDERED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CANCELLED')",
            name=op.f("ck_purchase_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_purchase_orders_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_purchase_orders_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stock_location_id"],
            ["stock_locations.id"],
            name=op.f("fk_purchase_orders_stock_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_purchase_orders_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("company_id", "number", name="uq_purchase_orders_company_number"),
    )
    op.create_index(
        op.f("ix_purchase_orders_company_id"), "purchase_orders", ["company_id"], unique=False
    )
    op.create_index(op.f("ix_purchase_orders_job_id"), "purchase_orders", ["job_id"], unique=False)
    op.create_table(
        "quality_checks",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("inspector_user_id", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("result in ('PASS', 'FAIL')", name=op.f("ck_quality_checks_result")),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_quality_checks_score")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_quality_checks_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"],
            ["users.id"],
            name=op.f("fk_quality_checks_inspector_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_quality_checks_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checks")),
    )
    op.create_index(
        op.f("ix_quality_checks_company_id"), "quality_checks", ["company_id"], unique=False
    )
    op.create_index(op.f("ix_quality_checks_job_id"), "quality_checks", ["job_id"], unique=False)
    op.create_table(
        "stock_levels",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_location_id", sa.BigInteger(), nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("on_hand", sa.Numeric(precision=12, scale=3), server_default="0", nullable=False),
        sa.Column(
            "reserved", sa.Numeric(precision=12, scale=3), server_default="0", nullable=False
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand", name=op.f("ck_stock_levels_reserved")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_stock_levels_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name=op.f("fk_stock_levels_inventory_item_id_inventory_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_levels_stock_location_id_stock_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "stock_location_id", "inventory_item_id", name=op.f("pk_stock_levels")
        ),
    )
    op.create_index(
        op.f("ix_stock_levels_company_id"), "stock_levels", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_stock_levels_inventory_item_id"),
        "stock_levels",
        ["inventory_item_id"],
        unique=False,
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("line_item_id", sa.BigInteger(), nullable=True),
        sa.Column("quantity_ordered", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column(
            "quantity_received",
            sa.Numeric(precision=12, scale=3),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "unit_cost", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.CheckConstraint(
            "quantity_ordered > 0", name=op.f("ck_purchase_order_lines_quantity_ordered")
        ),
        sa.CheckConstraint(
            "quantity_received >= 0 AND quantity_received <= quantity_ordered",
            name=op.f("ck_purchase_order_lines_received"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_purchase_order_lines_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name=op.f("fk_purchase_order_lines_inventory_item_id_inventory_items"),
        ),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["line_items.id"],
            name=op.f("fk_purchase_order_lines_line_item_id_line_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
    )
    op.create_index(
        op.f("ix_purchase_order_lines_company_id"),
        "purchase_order_lines",
        ["company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_purchase_order_lines_line_item_id"),
        "purchase_order_lines",
        ["line_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_purchase_order_lines_purchase_order_id"),
        "purchase_order_lines",
        ["purchase_order_id"],
        unique=False,
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("line_item_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_location_id", sa.BigInteger(), nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("issued", sa.Numeric(precision=12, scale=3), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="RESERVED", nullable=False),
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
            "status in ('RESERVED', 'RELEASED')", name=op.f("ck_reservations_status")
        ),
        sa.CheckConstraint(
            "issued >= 0 AND issued <= quantity", name=op.f("ck_reservations_issued")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservations_quantity")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_reservations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name=op.f("fk_reservations_inventory_item_id_inventory_items"),
        ),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["line_items.id"],
            name=op.f("fk_reservations_line_item_id_line_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_location_id"],
            ["stock_locations.id"],
            name=op.f("fk_reservations_stock_location_id_stock_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index(
        op.f("ix_reservations_company_id"), "reservations", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_reservations_line_item_id"), "reservations", ["line_item_id"], unique=False
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=True),
        sa.Column("signer_name", sa.Text(), nullable=False),
        sa.Column("signer_role", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_signatures_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_signatures_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_signatures_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_signatures_visit_id_visits"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    op.create_index(op.f("ix_signatures_company_id"), "signatures", ["company_id"], unique=False)
    op.create_index(op.f("ix_signatures_job_id"), "signatures", ["job_id"], unique=False)
    op.create_table(
        "time_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind in ('TRAVEL', 'WORK', 'BREAK')", name=op.f("ck_time_entries_kind")
        ),
        sa.CheckConstraint("ended_at > started_at", name=op.f("ck_time_entries_span")),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_time_entries_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_time_entries_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_time_entries_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_time_entries_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_time_entries_visit_id_visits"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    op.create_index(
        op.f("ix_time_entries_company_id"), "time_entries", ["company_id"], unique=False
    )
    op.create_index(op.f("ix_time_entries_job_id"), "time_entries", ["job_id"], unique=False)
    op.create_index(
        "ix_time_entries_technician", "time_entries", ["technician_id", "started_at"], unique=False
    )
    op.add_column(
        "companies", sa.Column("po_seq", sa.Integer(), server_default="5000", nullable=False)
    )
    op.add_column(
        "jobs", sa.Column("readiness", sa.String(length=10), server_default="READY", nullable=False)
    )

    _secure_tables()


def downgrade() -> None:
    for table in NEW_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.drop_column("jobs", "readiness")
    op.drop_column("companies", "po_seq")
    op.drop_index("ix_time_entries_technician", table_name="time_entries")
    op.drop_index(op.f("ix_time_entries_job_id"), table_name="time_entries")
    op.drop_index(op.f("ix_time_entries_company_id"), table_name="time_entries")
    op.drop_table("time_entries")
    op.drop_index(op.f("ix_signatures_job_id"), table_name="signatures")
    op.drop_index(op.f("ix_signatures_company_id"), table_name="signatures")
    op.drop_table("signatures")
    op.drop_index(op.f("ix_reservations_line_item_id"), table_name="reservations")
    op.drop_index(op.f("ix_reservations_company_id"), table_name="reservations")
    op.drop_table("reservations")
    op.drop_index(
        op.f("ix_purchase_order_lines_purchase_order_id"), table_name="purchase_order_lines"
    )
    op.drop_index(op.f("ix_purchase_order_lines_line_item_id"), table_name="purchase_order_lines")
    op.drop_index(op.f("ix_purchase_order_lines_company_id"), table_name="purchase_order_lines")
    op.drop_table("purchase_order_lines")
    op.drop_index(op.f("ix_stock_levels_inventory_item_id"), table_name="stock_levels")
    op.drop_index(op.f("ix_stock_levels_company_id"), table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_index(op.f("ix_quality_checks_job_id"), table_name="quality_checks")
    op.drop_index(op.f("ix_quality_checks_company_id"), table_name="quality_checks")
    op.drop_table("quality_checks")
    op.drop_index(op.f("ix_purchase_orders_job_id"), table_name="purchase_orders")
    op.drop_index(op.f("ix_purchase_orders_company_id"), table_name="purchase_orders")
    op.drop_table("purchase_orders")
    op.drop_index("ix_notes_job", table_name="notes")
    op.drop_index(op.f("ix_notes_company_id"), table_name="notes")
    op.drop_table("notes")
    op.drop_index("ix_messages_job", table_name="messages")
    op.drop_index(op.f("ix_messages_company_id"), table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_line_items_job", table_name="line_items")
    op.drop_index(op.f("ix_line_items_company_id"), table_name="line_items")
    op.drop_table("line_items")
    op.drop_index(op.f("ix_job_dependencies_depends_on_job_id"), table_name="job_dependencies")
    op.drop_index(op.f("ix_job_dependencies_company_id"), table_name="job_dependencies")
    op.drop_table("job_dependencies")
    op.drop_index(op.f("ix_incidents_job_id"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_company_id"), table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("ix_documents_job", table_name="documents")
    op.drop_index(op.f("ix_documents_company_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_stock_locations_company_id"), table_name="stock_locations")
    op.drop_table("stock_locations")
    op.drop_index(op.f("ix_vendors_company_id"), table_name="vendors")
    op.drop_table("vendors")
    op.drop_index(op.f("ix_inventory_items_company_id"), table_name="inventory_items")
    op.drop_table("inventory_items")


NEW_TABLES = (
    "inventory_items",
    "line_items",
    "stock_locations",
    "stock_levels",
    "reservations",
    "vendors",
    "purchase_orders",
    "purchase_order_lines",
    "documents",
    "signatures",
    "quality_checks",
    "notes",
    "messages",
    "incidents",
    "time_entries",
    "job_dependencies",
)

# The same wall as 0001: rows of the transaction's company, or trusted system code.
TENANT_PREDICATE = (
    "(company_id = nullif(current_setting('opus.company_id', true), '')::bigint"
    " OR current_setting('opus.system', true) = 'on')"
)


def _secure_tables() -> None:
    for table in NEW_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO opus_app")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING {TENANT_PREDICATE} WITH CHECK {TENANT_PREDICATE}"
        )
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO opus_app")
