"""Proof of the work: documents and photos, signatures, quality checks."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from db.models.common import company_column, created_at_column, id_column, metadata

documents = Table(
    "documents",
    metadata,
    id_column(),
    company_column(),
    Column("job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("filename", Text, nullable=False),
    # Detected from the bytes, never taken from the client.
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("thumbnail_key", Text),
    Column("caption", Text),
    Column("uploaded_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    created_at_column(),
    CheckConstraint("kind in ('PHOTO', 'DOCUMENT', 'PERMIT', 'SIGNATURE', 'OTHER')", name="kind"),
)
Index("ix_documents_job", documents.c.job_id, documents.c.id)

signatures = Table(
    "signatures",
    metadata,
    id_column(),
    company_column(),
    Column(
        "job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("visit_id", BigInteger, ForeignKey("visits.id", ondelete="SET NULL")),
    Column("signer_name", Text, nullable=False),
    Column("signer_role", Text),
    Column("purpose", Text, nullable=False),
    Column("document_id", BigInteger, ForeignKey("documents.id"), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    created_at_column(),
)

quality_checks = Table(
    "quality_checks",
    metadata,
    id_column(),
    company_column(),
    Column(
        "job_id", BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("inspector_user_id", BigInteger, ForeignKey("users.id", ondelete="SET NULL")),
    Column("result", String(4), nullable=False),
    Column("score", Integer),
    Column("notes", Text),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    created_at_column(),
    CheckConstraint("result in ('PASS', 'FAIL')", name="result"),
    CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
)
