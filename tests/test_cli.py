"""The `opus` command, run as a real process against real PostgreSQL databases.

Each test gets a database of its own (`opus_cli_<hex>`, migrated, dropped afterwards): these
tests load the demo company and migrate down to an empty schema, which a database shared with
other tests must not see.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from db.auth import authenticate
from db.demo import DEMO_COMPANY, DEMO_TIMEZONE
from db.engine import async_url, create_engine
from db.migrate import upgrade
from db.models.jobs import JOB_STATUSES
from db.session import RequestDB
from schema.ids import from_global_id

# The server's maintenance database, as in conftest.py; test databases are made beside it.
ADMIN_URL = os.environ.get("OPUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "opus"
OPUS = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "web.cli"]
ACTIVE_VISIT_STATUSES = {"EN_ROUTE", "ARRIVED", "WORKING", "PAUSED", "DEPARTED"}


def opus(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OPUS, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def env_for(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPUS_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return {**env, **extra}


async def _server_sql(statement: str) -> None:
    engine = create_async_engine(
        async_url(ADMIN_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def own_database_url() -> AsyncIterator[str]:
    """A freshly created and migrated database of this test's own (not the shared test run's)."""
    name = f"opus_cli_{secrets.token_hex(6)}"
    await _server_sql(f"CREATE DATABASE {name}")
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _server_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def query(url: str, statement: str, **params: Any) -> list[Any]:
    engine = create_engine(url, app_role=False, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(statement), params)).all())
    finally:
        await engine.dispose()


async def viewer_of(url: str, token: str) -> Any:
    """Who the API would take a bearer token for (as the row-level-secured app role)."""
    engine = create_engine(url, pool_size=1)
    db = RequestDB(engine)
    try:
        return await authenticate(db, token)
    finally:
        await db.close()
        await engine.dispose()


async def test_tenant_create_prints_global_ids_and_a_working_token(own_database_url: str) -> None:
    # when
    result = opus(
        "tenant",
        "create",
        "Acme Heating & Air",
        "--admin-email",
        "Owner@Acme.test",
        "--admin-password",
        "correct horse battery",
        env=env_for(own_database_url),
    )

    # then: one JSON object on stdout
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"companyId", "userId", "token"}
    company = from_global_id(created["companyId"])
    user = from_global_id(created["userId"])
    assert company is not None and company[0] == "Company"
    assert user is not None and user[0] == "User"
    company_id, user_id = company[1], user[1]

    # and the token is stored hashed, for that admin of that company
    digest = hashlib.sha256(created["token"].encode()).digest()
    rows = await query(
        own_database_url,
        "SELECT t.company_id, t.user_id, t.revoked_at, u.role, u.email, c.name FROM tokens t "
        "JOIN users u ON u.id = t.user_id JOIN companies c ON c.id = t.company_id "
        "WHERE t.token_hash = :digest",
        digest=digest,
    )
    assert [tuple(r) for r in rows] == [
        (company_id, user_id, None, "admin", "Owner@Acme.test", "Acme Heating & Air")
    ]
    viewer = await viewer_of(own_database_url, created["token"])
    assert viewer is not None
    assert (viewer.user_id, viewer.company_id, viewer.role) == (user_id, company_id, "admin")


async def test_tenant_create_refuses_an_email_taken_in_any_case(own_database_url: str) -> None:
    # given
    env = env_for(own_database_url)
    first = opus(
        "tenant",
        "create",
        "First",
        "--admin-email",
        "boss@shared.test",
        "--admin-password",
        "long enough",
        env=env,
    )
    assert first.returncode == 0, first.stderr

    # when
    second = opus(
        "tenant",
        "create",
        "Second",
        "--admin-email",
        "BOSS@shared.test",
        "--admin-password",
        "long enough",
        env=env,
    )

    # then: a one-line message, no traceback, and no second company
    assert second.returncode == 1
    assert second.stdout == ""
    assert "already exists" in second.stderr
    assert "Traceback" not in second.stderr
    assert await query(own_database_url, "SELECT name FROM companies") == [("First",)]


async def demo_counts(url: str) -> dict[str, Any]:
    today = datetime.now(ZoneInfo(DEMO_TIMEZONE)).date()
    (counts,) = await query(
        url,
        """
        SELECT
            (SELECT count(*) FROM companies WHERE name = :company) AS companies,
            (SELECT count(*) FROM users) AS users,
            (SELECT count(*) FROM jobs) AS jobs,
            (SELECT count(*) FROM customers) AS customers,
            (SELECT count(*) FROM locations) AS locations,
            (SELECT count(*) FROM assets) AS assets,
            (SELECT count(*) FROM technicians WHERE user_id IS NOT NULL) AS technicians,
            (SELECT count(*) FROM crews) AS crews,
            (SELECT count(*) FROM visits) AS visits,
            (SELECT count(*) FROM job_events) AS events,
            (SELECT count(*) FROM jobs j WHERE NOT EXISTS (
                SELECT 1 FROM job_events e WHERE e.job_id = j.id AND e.type = 'job.created'
            )) AS jobs_without_created_event,
            (SELECT array_agg(DISTINCT status) FROM jobs) AS statuses,
            (SELECT array_agg(v.status) FROM visits v
              WHERE (v.start_at AT TIME ZONE :tz)::date = :today) AS statuses_today,
            (SELECT count(*) FROM visits v
              WHERE (v.start_at AT TIME ZONE :tz)::date = :today
                AND NOT EXISTS (SELECT 1 FROM visit_technicians vt WHERE vt.visit_id = v.id)
            ) AS unassigned_today,
            (SELECT min(number) FROM jobs) AS first_number,
            (SELECT max(number) FROM jobs) AS last_number,
            (SELECT job_seq FROM companies WHERE name = :company) AS job_seq
        """,
        company=DEMO_COMPANY,
        tz=DEMO_TIMEZONE,
        today=today,
    )
    return dict(counts._mapping)


async def test_demo_loads_once_and_prints_fresh_tokens_every_time(own_database_url: str) -> None:
    env = env_for(own_database_url)

    # when
    first = opus("demo", env=env)
    assert first.returncode == 0, first.stderr
    after_first = await demo_counts(own_database_url)
    second = opus("demo", env=env)
    assert second.returncode == 0, second.stderr
    after_second = await demo_counts(own_database_url)

    # then: the same company, loaded once
    assert after_first == after_second
    counts = after_first
    assert counts["companies"] == 1
    assert counts["jobs"] >= 120
    assert counts["customers"] >= 40
    assert counts["technicians"] >= 8
    assert counts["crews"] >= 2
    assert counts["assets"] > counts["locations"] > counts["customers"]
    assert set(counts["statuses"]) == set(JOB_STATUSES)
    assert counts["jobs_without_created_event"] == 0
    assert counts["events"] > 3 * counts["jobs"]
    assert counts["first_number"] == 1001
    assert counts["last_number"] == counts["job_seq"] == 1000 + counts["jobs"]

    # and today's board has visits done, under way, booked and waiting for a technician
    today = counts["statuses_today"]
    assert "COMPLETED" in today and "SCHEDULED" in today
    assert len(ACTIVE_VISIT_STATUSES & set(today)) >= 3
    assert counts["unassigned_today"] >= 2

    # and every user of every role is printed with a password and a working, fresh token
    users_first, users_second = json.loads(first.stdout), json.loads(second.stdout)
    assert [u["email"] for u in users_first] == [u["email"] for u in users_second]
    assert {u["role"] for u in users_first} == {"admin", "dispatcher", "office", "technician"}
    assert sum(u["role"] == "technician" for u in users_first) >= 8
    assert all(u["password"] for u in users_first)
    assert {u["token"] for u in users_first}.isdisjoint(u["token"] for u in users_second)
    dispatcher = next(u for u in users_second if u["role"] == "dispatcher")
    viewer = await viewer_of(own_database_url, dispatcher["token"])
    assert viewer is not None and viewer.email == dispatcher["email"]


async def test_db_downgrade_to_base_then_upgrade_again(own_database_url: str) -> None:
    env = env_for(own_database_url)
    tables = (
        "SELECT to_regclass('public.jobs') IS NOT NULL, "
        "(SELECT count(*) FROM pg_policies WHERE policyname = 'tenant_isolation')"
    )

    # when
    down = opus("db", "downgrade", "base", env=env)

    # then
    assert down.returncode == 0, down.stderr
    assert [tuple(r) for r in await query(own_database_url, tables)] == [(False, 0)]

    # when
    up = opus("db", "upgrade", env=env)

    # then
    assert up.returncode == 0, up.stderr
    ((has_jobs, policies),) = await query(own_database_url, tables)
    assert has_jobs and policies > 10


def test_serve_refuses_several_workers_without_redis_in_embedded_mode(tmp_path: Path) -> None:
    # when
    result = opus(
        "serve", "--workers", "2", env=env_for(None, OPUS_DATA_DIR=str(tmp_path / "data"))
    )

    # then: refused before anything was started
    assert result.returncode == 1
    assert "REDIS_URL" in result.stderr
    assert not (tmp_path / "data").exists()


def test_embedded_postgres_refuses_a_data_folder_with_spaces(tmp_path: Path) -> None:
    result = opus("db", "upgrade", env=env_for(None, OPUS_DATA_DIR=str(tmp_path / "my data")))

    assert result.returncode == 1
    assert "must not contain spaces" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_postgres_without_database_url(tmp_path: Path) -> None:
    # given: no DATABASE_URL, and a data folder under pytest's private (0700) temporary folder,
    # which pgserver must open up when it runs the server as its own OS user under root
    data_dir = tmp_path / "opus-data"
    env = env_for(None, OPUS_DATA_DIR=str(data_dir))

    # when
    upgraded = opus("db", "upgrade", env=env)
    demo = opus("demo", env=env)

    # then
    assert upgraded.returncode == 0, upgraded.stderr
    assert demo.returncode == 0, demo.stderr
    users = json.loads(demo.stdout)
    assert {u["role"] for u in users} == {"admin", "dispatcher", "office", "technician"}
    assert (data_dir / "pg" / "PG_VERSION").read_text().strip() == "16"
