"""The Python baselines: one hand-written asyncpg statement per scenario, JSON built by
PostgreSQL and passed through as bytes (the limit for Python), and a plain Starlette JSON
endpoint (the limit for the trivial query). Run by the bench as

    uvicorn bench.baseline:app_from_env --factory

with BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_COMPANY_ID, BENCH_BOARD_DAY (and the
workspace job, actor) in the environment. It connects as the login user (no row-level security
role, as PostGraphile does) and filters by company in every statement.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.data import TZ
from bench.scenarios import SQL_BOARD, SQL_JOBS_PAGE, SQL_TRANSITION, SQL_WORKSPACE, day_bounds

JSON_TYPE = "application/json"


def create_app(env: dict[str, str] | None = None) -> Starlette:
    env = dict(os.environ if env is None else env)
    url = env["BENCH_DATABASE_URL"]
    company_id = int(env["BENCH_COMPANY_ID"])
    board_day = date.fromisoformat(env["BENCH_BOARD_DAY"])
    workspace_job = int(env["BENCH_WORKSPACE_JOB_ID"])
    actor_id = int(env["BENCH_ACTOR_ID"])
    actor_name = env["BENCH_ACTOR_NAME"]
    lo, hi = day_bounds(None, board_day)  # type: ignore[arg-type]
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(
            url, min_size=4, max_size=16, server_settings={"TimeZone": "UTC", "jit": "off"}
        )
        redis_url = env.get("BENCH_REDIS_URL")
        if redis_url:
            import redis.asyncio as redis

            state["redis"] = redis.from_url(redis_url)
        try:
            yield
        finally:
            await state["pool"].close()
            if "redis" in state:
                await state["redis"].aclose()

    def json_body(text: str) -> Response:
        return Response(
            text.encode(),
            media_type=JSON_TYPE,
            headers={"Server-Timing": 'db;desc="1 statements"'},
        )

    async def plain(request: Request) -> Response:
        return JSONResponse({"data": {"__typename": "Query"}})

    async def board(request: Request) -> Response:
        return json_body(
            await state["pool"].fetchval(SQL_BOARD, company_id, lo, hi, board_day.isoformat())
        )

    async def jobs_page(request: Request) -> Response:
        return json_body(await state["pool"].fetchval(SQL_JOBS_PAGE, company_id, 100))

    async def workspace(request: Request) -> Response:
        return json_body(await state["pool"].fetchval(SQL_WORKSPACE, company_id, workspace_job))

    async def transition(request: Request) -> Response:
        data = json.loads(await request.body())
        row = await state["pool"].fetchrow(
            SQL_TRANSITION,
            company_id,
            data["visit"],
            data["to"],
            data["from"],
            actor_id,
            actor_name,
        )
        if "redis" in state and row["messages"]:
            for message in json.loads(row["messages"]):
                await state["redis"].publish(f"company:{company_id}:board", json.dumps(message))
        return json_body(row["body"])

    return Starlette(
        routes=[
            Route("/plain", plain, methods=["GET", "POST"]),
            Route("/board", board, methods=["POST"]),
            Route("/jobs", jobs_page, methods=["POST"]),
            Route("/workspace", workspace, methods=["POST"]),
            Route("/transition", transition, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    return create_app()


__all__ = ["TZ", "app_from_env", "create_app"]
