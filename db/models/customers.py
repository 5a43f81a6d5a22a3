"""Customers, their service locations, contacts and the equipment (assets) at a location."""

from sqlalchemy import BigInteger, Column, Date, Float, ForeignKey, String, Table, Text

from db.models.common import (
    company_column,
    created_at_column,
    id_column,
    metadata,
    updated_at_column,
)

customers = Table(
    "customers",
    metadata,
    id_column(),
    company_column(),
    Column("name", Text, nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("notes", Text),
    created_at_column(),
    updated_at_column(),
)

locations = Table(
    "locations",
    metadata,
    id_column(),
    company_column(),
    Column(
        "customer_id",
        BigInteger,
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("label", Text),
    Column("street", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("region", Text),
    Column("postal_code", String(20)),
    Column("country", String(2), nullable=False, server_default="US"),
    Column("lat", Float),
    Column("lng", Float),
    Column("access_notes", Text),
    created_at_column(),
)

contacts = Table(
    "contacts",
    metadata,
    id_column(),
    company_column(),
    Column(
        "customer_id",
        BigInteger,
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("role", Text),
    created_at_column(),
)

assets = Table(
    "assets",
    metadata,
    id_column(),
    company_column(),
    Column(
        "location_id",
        BigInteger,
        ForeignKey("locations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("make", Text),
    Column("model", Text),
    Column("serial", Text),
    Column("installed_on", Date),
    created_at_column(),
)
