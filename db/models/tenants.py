"""Companies (tenants), their users and the bearer tokens users sign in with."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
)

from db.models.common import company_column, created_at_column, id_column, metadata

ROLES = ("admin", "dispatcher", "office", "technician")

companies = Table(
    "companies",
    metadata,
    id_column(),
    Column("name", Text, nullable=False),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    # Last job number handed out; the next job takes job_seq + 1 under the row lock.
    Column("job_seq", Integer, nullable=False, server_default="1000"),
    Column("po_seq", Integer, nullable=False, server_default="5000"),
    created_at_column(),
)

users = Table(
    "users",
    metadata,
    id_column(),
    company_column(),
    Column("email", String(320), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    created_at_column(),
    CheckConstraint("role in ('admin', 'dispatcher', 'office', 'technician')", name="role"),
)
# Sign-in is by email alone, so an email is unique across companies.
Index("uq_users_email_lower", func.lower(users.c.email), unique=True)

tokens = Table(
    "tokens",
    metadata,
    id_column(),
    company_column(),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # sha256 of the random token: a database leak does not leak working tokens.
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("kind", String(20), nullable=False, server_default="session"),
    created_at_column(),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)
