"""Technicians (the field workforce) and crews (named teams of technicians)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from db.models.common import (
    company_column,
    created_at_column,
    id_column,
    metadata,
    updated_at_column,
)

technicians = Table(
    "technicians",
    metadata,
    id_column(),
    company_column(),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="SET NULL"), unique=True),
    Column("name", Text, nullable=False),
    Column("email", String(320)),
    Column("phone", String(40)),
    # [{"skill": "hvac", "level": 3}, ...]; levels 1 (trainee) to 5 (master).
    Column("skills", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("home_lat", Float),
    Column("home_lng", Float),
    # {"mon": ["07:00", "15:30"], ...}; a missing day is a day off.
    Column("working_hours", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("hourly_cost", Numeric(10, 2), nullable=False, server_default="0"),
    Column("color", String(9)),
    Column("active", Boolean, nullable=False, server_default="true"),
    created_at_column(),
    updated_at_column(),
)

crews = Table(
    "crews",
    metadata,
    id_column(),
    company_column(),
    Column("name", Text, nullable=False),
    created_at_column(),
)

crew_members = Table(
    "crew_members",
    metadata,
    company_column(),
    Column("crew_id", BigInteger, ForeignKey("crews.id", ondelete="CASCADE"), nullable=False),
    Column(
        "technician_id",
        BigInteger,
        ForeignKey("technicians.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    PrimaryKeyConstraint("crew_id", "technician_id"),
)
