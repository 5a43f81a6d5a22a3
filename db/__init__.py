"""Persistence: SQLAlchemy Core tables, the engine, tenancy and the embedded PostgreSQL.

Nothing in here imports the GraphQL, resolver or web layers.
"""
