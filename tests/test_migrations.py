"""The latest migrations go down and up again, leaving what the code expects."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from db.migrate import downgrade, upgrade
from tests.live import private_database


async def test_migrations_since_0003_downgrade_and_upgrade_again() -> None:
    async with private_database() as url:
        conn = await asyncpg.connect(url)
        try:
            # A parameter, not a ::regprocedure literal: that is resolved once, when the
            # statement is prepared, and the function gets a new oid when it is recreated.
            def claim_result() -> Any:
                return conn.fetchval(
                    "SELECT pg_get_function_result(to_regprocedure($1))",
                    "opus_relay_claim(bigint, integer)",
                )

            columns = (
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'job_events'"
                " AND column_name LIKE 'previous_%'"
            )
            assert "previous_technician_ids" in await claim_result()
            assert await conn.fetchval(columns) == 2

            await asyncio.to_thread(downgrade, url, "0005")
            assert "previous_" not in await claim_result()
            assert await conn.fetchval(columns) == 0

            await asyncio.to_thread(downgrade, url, "0003")
            await asyncio.to_thread(upgrade, url)
            assert "previous_visit_start" in await claim_result()
            assert await conn.fetchval(columns) == 2
            assert await conn.fetchval(
                "SELECT has_function_privilege('opus_app',"
                " 'opus_relay_claim(bigint, integer)', 'EXECUTE')"
            )
        finally:
            await conn.close()
