"""Engine creation and the database URL forms the service accepts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# The role every API connection switches to. It has no BYPASSRLS and owns nothing, so row-level
# security applies to it even when the login user is a superuser (as in tests and embedded mode).
APP_ROLE = "opus_app"


def async_url(url: str) -> str:
    """Turn the standard `postgresql://user@host:port/db` form into the asyncpg driver URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, app_role: bool = True) -> AsyncEngine:
    """An engine for the API. With `app_role`, every pooled connection runs as APP_ROLE."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": "opus", "jit": "off"}},
    )
    if app_role:

        @event.listens_for(engine.sync_engine, "connect")
        def _set_role(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET ROLE {APP_ROLE}")
            cursor.close()
            # The driver ran SET ROLE in a transaction of its own: committed, it lasts for the
            # connection's life, and a first transaction that rolls back (or a switch to
            # autocommit) cannot undo it.
            dbapi_connection.commit()

    return engine
