"""The installation id (migration 0005) that keeps deployments' bus channels apart."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import create_engine
from db.installation import installation_id
from db.migrate import downgrade, upgrade
from tests.live import private_database


async def test_each_database_has_one_id_of_its_own_that_the_api_reads_but_cannot_change() -> None:
    async with private_database() as first, private_database() as second:
        engines = [create_engine(url, pool_size=1) for url in (first, second)]
        try:
            ours = await installation_id(engines[0])
            assert await installation_id(engines[0]) == ours  # stable
            assert await installation_id(engines[1]) != ours  # another deployment
            async with engines[0].connect() as conn:
                with pytest.raises(DBAPIError, match="permission denied"):
                    await conn.execute(text("UPDATE opus_installation SET id = gen_random_uuid()"))
        finally:
            for engine in engines:
                await engine.dispose()


async def test_migration_0005_downgrades_and_upgrades() -> None:
    async with private_database() as url:
        conn = await asyncpg.connect(url)
        try:
            exists = "SELECT to_regclass('opus_installation') IS NOT NULL"
            await asyncio.to_thread(downgrade, url, "0004")
            assert await conn.fetchval(exists) is False
            await asyncio.to_thread(upgrade, url)
            assert await conn.fetchval("SELECT count(*) FROM opus_installation") == 1
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute("INSERT INTO opus_installation DEFAULT VALUES")
        finally:
            await conn.close()
