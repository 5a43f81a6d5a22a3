"""Shared column helpers for tables that belong to a company (tenant)."""

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, MetaData, func

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def id_column() -> Column[int]:
    return Column("id", BigInteger, primary_key=True, autoincrement=True)


def company_column() -> Column[int]:
    return Column(
        "company_id",
        BigInteger,
        ForeignKey("companies.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def created_at_column() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Column[Any]:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())
