"""The installation's id (migration 0005): what names this deployment's bus channels."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def installation_id(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        value = await conn.scalar(text("SELECT id FROM opus_installation"))
    if value is None:
        raise RuntimeError("opus_installation is empty: run `opus db upgrade`")
    return str(value)
