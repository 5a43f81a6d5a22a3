"""API engines: every pooled connection runs as opus_app, whatever its first transaction did."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import APP_ROLE, create_engine
from tests.conftest import ADMIN_URL


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    made = create_engine(ADMIN_URL, pool_size=1)
    yield made
    await made.dispose()


async def test_role_survives_a_first_transaction_that_rolls_back(engine: AsyncEngine) -> None:
    # Given a fresh connection whose first transaction rolls back (a failed request, /readyz)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT current_user")) == APP_ROLE
        await conn.rollback()

    # When the pool hands it out again, then it still runs as the app role (row-level security)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT current_user")) == APP_ROLE


async def test_role_survives_a_switch_to_autocommit(engine: AsyncEngine) -> None:
    # Given a fresh connection switched to autocommit first (the outbox relay does)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        assert await conn.scalar(text("SELECT current_user")) == APP_ROLE

    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT current_user")) == APP_ROLE
