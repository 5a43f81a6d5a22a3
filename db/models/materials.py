"""Line items, inventory, stock, reservations, vendors and purchase orders."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from db.models.common import (
    company_column,
    created_at_column,
    id_column,
    metadata,
    updated_at_column,
)

LINE_KINDS = ("SERVICE", "MATERIAL", "LABOR", "FEE")
PO_STATUSES = ("DRAFT", "ORDERED", "PARTIALLY_RECEIVED", "RECEIVED", "CANCELLED")

inventory_items = Table(
    "inventory_items",
    metadata,
    id_column(),
    company_column(),
    Column("sku", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("unit", String(16), nullable=False, server_default="ea"),
    Column("unit_cost", Numeric(12, 2), nullable=False, server_default="0"),
    Column("unit_price", Numeric(12, 2), nullable=False, server_default="0"),
    created_at_column(),
    UniqueConstraint("company_id", "sku", name="uq_inventory_items_company_sku"),
)

line_items = Table(
    "line_items",
    metadata,
    id_column(),
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("quantity", Numeric(12, 3), nullable=False),
    Column("unit_price", Numeric(12, 2), nullable=False, server_default="0"),
    Column("unit_cost", Numeric(12, 2), nullable=False, server_default="0"),
    Column("taxable", Boolean, nullable=False, server_default="true"),
    # Fraction, e.g. 0.0825 for 8.25 %.
    Column("tax_rate", Numeric(6, 4), nullable=False, server_default="0"),
    Column("inventory_item_id", BigInteger, ForeignKey("inventory_items.id")),
    created_at_column(),
    updated_at_column(),
    CheckConstraint("kind in ('SERVICE', 'MATERIAL', 'LABOR', 'FEE')", name="kind"),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("unit_price >= 0 AND unit_cost >= 0", name="money"),
    CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate"),
)
Index("ix_line_items_job", line_items.c.job_id, line_items.c.position)

stock_locations = Table(
    "stock_locations",
    metadata,
    id_column(),
    company_column(),
    Column("name", Text, nullable=False),
    Column("kind", String(10), nullable=False),
    # A truck belongs to the technician who drives it.
    Column("technician_id", BigInteger, ForeignKey("technicians.id", ondelete="SET NULL")),
    created_at_column(),
    CheckConstraint("kind in ('WAREHOUSE', 'TRUCK')", name="kind"),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    company_column(),
    Column(
        "stock_location_id",
        BigInteger,
        ForeignKey("stock_locations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "inventory_item_id",
        BigInteger,
        ForeignKey("inventory_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("on_hand", Numeric(12, 3), nullable=False, server_default="0"),
    # Held for job lines; available = on_hand - reserved.
    Column("reserved", Numeric(12, 3), nullable=False, server_default="0"),
    PrimaryKeyConstraint("stock_location_id", "inventory_item_id"),
    CheckConstraint("on_hand >= 0", name="on_hand"),
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved"),
)

reservations = Table(
    "reservations",
    metadata,
    id_column(),
    company_column(),
    Column(
        "line_item_id",
        BigInteger,
        ForeignKey("line_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("stock_location_id", BigInteger, ForeignKey("stock_locations.id"), nullable=False),
    Column("inventory_item_id", BigInteger, ForeignKey("inventory_items.id"), nullable=False),
    Column("quantity", Numeric(12, 3), nullable=False),
    # Quantity of this reservation taken out of stock for the job (issued), net of returns.
    Column("issued", Numeric(12, 3), nullable=False, server_default="0"),
    Column("status", String(10), nullable=False, server_default="RESERVED"),
    created_at_column(),
    updated_at_column(),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("issued >= 0 AND issued <= quantity", name="issued"),
    CheckConstraint("status in ('RESERVED', 'RELEASED')", name="status"),
)

vendors = Table(
    "vendors",
    metadata,
    id_column(),
    company_column(),
    Column("name", Text, nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    created_at_column(),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    id_column(),
    company_column(),
    Column("number", Integer, nullable=False),
    Column("vendor_id", BigInteger, ForeignKey("vendors.id"), nullable=False),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="SET NULL"), index=True),
    # Where received goods go (and are reserved for the job lines).
    Column("stock_location_id", BigInteger, ForeignKey("stock_locations.id"), nullable=False),
    Column("status", String(20), nullable=False, server_default="DRAFT"),
    Column("expected_on", Date),
    Column("ordered_at", DateTime(timezone=True)),
    Column("notes", Text),
    Column("version", Integer, nullable=False, server_default="1"),
    created_at_column(),
    updated_at_column(),
    UniqueConstraint("company_id", "number", name="uq_purchase_orders_company_number"),
    CheckConstraint(
        "status in ('DRAFT', 'ORDERED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CANCELLED')",
        name="status",
    ),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    id_column(),
    company_column(),
    Column(
        "purchase_order_id",
        BigInteger,
        ForeignKey("purchase_orders.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("inventory_item_id", BigInteger, ForeignKey("inventory_items.id"), nullable=False),
    Column(
        "line_item_id", BigInteger, ForeignKey("line_items.id", ondelete="SET NULL"), index=True
    ),
    Column("quantity_ordered", Numeric(12, 3), nullable=False),
    Column("quantity_received", Numeric(12, 3), nullable=False, server_default="0"),
    Column("unit_cost", Numeric(12, 2), nullable=False, server_default="0"),
    CheckConstraint("quantity_ordered > 0", name="quantity_ordered"),
    CheckConstraint(
        "quantity_received >= 0 AND quantity_received <= quantity_ordered", name="received"
    ),
)
