"""The bench's data: a throwaway database with a large tenant, filled with COPY.

`create_database` makes `opus_bench_<hex>` on the server of the admin URL and migrates it;
`fill` adds the demo company (so every query has another tenant's rows to leave out) and a
large tenant, Bench Mechanical in Denver: 50 technicians in 10 crews, a dispatcher, an admin and
a technician user with bearer tokens, customers with a location and a contact each, `jobs` jobs
(10,000 by default) with a visit, five line items and two or three timeline events each, one
board day with exactly 100 visits, a pool of visits for the status-change scenario, and one
workspace job with every tab filled.

Rows are written with asyncpg's binary COPY (`copy_records_to_table`) on a connection of the
login superuser, which row-level security does not apply to, with
`session_replication_role = replica` so neither foreign-key checks nor triggers run per row. So
everything the triggers and the API would keep is computed here: `jobs.search_text` exactly as
the `opus_job_search_text()` trigger builds it, per-job event sequences (`jobs.event_seq`), the
company's `job_seq`, stream positions of events (all published, so the outbox relay has nothing
to catch up), and every id sequence advanced past the rows written.

`extend` appends more jobs to the same tenant later (10k -> 1M for the board at scale).
"""

from __future__ import annotations

import contextlib
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from db.auth import hash_password, new_token

COMPANY = "Bench Mechanical"
TIMEZONE = "America/Denver"
TZ = ZoneInfo(TIMEZONE)
TECHNICIANS = 50
CREWS = 10
BOARD_VISITS = 100
BOARD_UNASSIGNED = 6
TRANSITION_POOL = 320
LINE_ITEMS_PER_JOB = 5
JOBS_PER_CUSTOMER = 5
FIRST_NUMBER = 1001
CHUNK = 20_000
SEED = 6

CITIES = (
    ("Denver", "CO", "80203", 39.7312, -104.9789),
    ("Aurora", "CO", "80012", 39.7000, -104.8300),
    ("Lakewood", "CO", "80226", 39.7100, -105.0800),
    ("Englewood", "CO", "80113", 39.6480, -104.9880),
    ("Arvada", "CO", "80002", 39.8030, -105.0870),
    ("Littleton", "CO", "80120", 39.6130, -105.0160),
)
STREETS = ("Larimer St", "Market St", "Tejon St", "S Downing St", "Dahlia St", "W Alameda Ave")
TITLES = (
    "Furnace not heating",
    "AC tune-up",
    "Water heater replacement",
    "Leaking shutoff valve",
    "Panel upgrade to 200A",
    "Backflow test",
    "Boiler annual service",
    "Thermostat install",
)
PRIORITIES = ("LOW", "NORMAL", "NORMAL", "NORMAL", "HIGH", "EMERGENCY")
SKILLS = ("hvac", "plumbing", "electrical", "gas", "boilers", "controls", "refrigeration")
LINE_KINDS = ("SERVICE", "MATERIAL", "MATERIAL", "LABOR", "FEE")
HOURS = json.dumps({d: ["07:00", "15:30"] for d in ("mon", "tue", "wed", "thu", "fri")})


@dataclass
class Bench:
    """What the scenarios need to know about the generated data."""

    database_url: str
    company_id: int
    demo_company_id: int | None
    dispatcher_token: str
    admin_token: str
    technician_token: str
    technician_id: int
    other_company_token: str | None
    board_day: date
    transition_day: date
    workspace_job_id: int
    transition_visit_ids: list[int]
    jobs: int
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["board_day"] = self.board_day.isoformat()
        data["transition_day"] = self.transition_day.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bench:
        data = dict(data)
        data["board_day"] = date.fromisoformat(data["board_day"])
        data["transition_day"] = date.fromisoformat(data["transition_day"])
        return cls(**data)


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def admin_url(url: str) -> str:
    """The same server's maintenance database, where CREATE/DROP DATABASE run."""
    return with_database(url, "postgres")


async def create_database(server_url: str) -> str:
    name = f"opus_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(admin_url(url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- the generator -------------------------------------------------------------------------------


class Ids:
    """Next free id per table (above whatever the demo wrote)."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


SEQUENCED = (
    "users",
    "tokens",
    "technicians",
    "crews",
    "customers",
    "locations",
    "contacts",
    "jobs",
    "job_events",
    "visits",
    "line_items",
    "notes",
    "messages",
    "incidents",
    "time_entries",
    "documents",
    "signatures",
    "quality_checks",
)


def search_text(
    number: int, title: str, scope: str, customer: str, location: tuple[Any, ...]
) -> str:
    """What the jobs_search_text trigger stores (concat_ws skips NULLs, keeps empty strings)."""
    address = " ".join(p for p in location if p is not None)
    return " ".join(p for p in (f"J-{number}", title, scope, customer, address)).lower()


class Generator:
    def __init__(self, conn: asyncpg.Connection, ids: Ids, company_id: int, rng: random.Random):
        self.conn = conn
        self.ids = ids
        self.company_id = company_id
        self.rng = rng
        self.position = 0
        self.counts: dict[str, int] = {}

    async def copy(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=columns)
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def next_position(self) -> int:
        self.position += 1
        return self.position


JOB_COLUMNS = [
    "id", "company_id", "number", "title", "scope", "customer_id", "location_id", "contact_id",
    "priority", "status", "source", "billing_type", "estimated_duration_minutes",
    "required_skills", "tags", "version", "event_seq", "search_text", "created_at", "updated_at",
]  # fmt: skip
VISIT_COLUMNS = [
    "id", "company_id", "job_id", "start_at", "end_at", "arrival_window_start",
    "arrival_window_end", "status", "status_changed_at", "version", "created_at", "updated_at",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "company_id", "job_id", "visit_id", "seq", "type", "payload", "actor_user_id",
    "actor_name", "created_at", "position", "published_at",
]  # fmt: skip
LINE_COLUMNS = [
    "id", "company_id", "job_id", "position", "kind", "description", "quantity", "unit_price",
    "unit_cost", "taxable", "tax_rate", "created_at", "updated_at",
]  # fmt: skip


def _gid(type_name: str, db_id: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


@dataclass
class Tenant:
    company_id: int
    dispatcher_user_id: int
    dispatcher_name: str
    technician_ids: list[int]
    customers: list[
        tuple[int, str, int, tuple[Any, ...], int]
    ]  # id, name, location, address, contact
    first_job_number: int


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def _tenant(gen: Generator, customers_count: int) -> Tenant:
    rng, ids, cid = gen.rng, gen.ids, gen.company_id
    now = datetime.now(UTC)
    password = hash_password("bench-password")
    user_rows = []
    dispatcher = ids.take("users")
    user_rows.append(
        (dispatcher, cid, "dispatch@bench.example", "Dana Dispatch", "dispatcher", password)
    )
    admin = ids.take("users")
    user_rows.append((admin, cid, "admin@bench.example", "Alex Admin", "admin", password))
    tech_ids = [ids.take("technicians") for _ in range(TECHNICIANS)]
    tech_user_ids = [ids.take("users") for _ in range(TECHNICIANS)]
    for n, user_id in enumerate(tech_user_ids):
        user_rows.append(
            (
                user_id,
                cid,
                f"tech{n + 1}@bench.example",
                f"Tech {n + 1:02d}",
                "technician",
                password,
            )
        )
    await gen.copy(
        "users", ["id", "company_id", "email", "name", "role", "password_hash"], user_rows
    )
    tech_rows = []
    for n, (tech_id, user_id) in enumerate(zip(tech_ids, tech_user_ids, strict=True)):
        city = CITIES[n % len(CITIES)]
        skills = [{"skill": s, "level": rng.randint(1, 5)} for s in rng.sample(SKILLS, 3)]
        tech_rows.append(
            (
                tech_id, cid, user_id, f"Tech {n + 1:02d}", f"tech{n + 1}@bench.example",
                f"303-555-{1000 + n:04d}", json.dumps(skills), city[3] + rng.uniform(-0.05, 0.05),
                city[4] + rng.uniform(-0.05, 0.05), HOURS, Decimal(f"{rng.randint(30, 60)}.00"),
                f"#{rng.randrange(0x1000000):06x}", True, now, now,
            )
        )  # fmt: skip
    await gen.copy(
        "technicians",
        [
            "id", "company_id", "user_id", "name", "email", "phone", "skills", "home_lat",
            "home_lng", "working_hours", "hourly_cost", "color", "active", "created_at",
            "updated_at",
        ],
        tech_rows,
    )  # fmt: skip
    crew_rows, member_rows = [], []
    for n in range(CREWS):
        crew_id = ids.take("crews")
        crew_rows.append((crew_id, cid, f"Crew {n + 1}"))
        per = TECHNICIANS // CREWS
        member_rows += [(cid, crew_id, t) for t in tech_ids[n * per : (n + 1) * per]]
    await gen.copy("crews", ["id", "company_id", "name"], crew_rows)
    await gen.copy("crew_members", ["company_id", "crew_id", "technician_id"], member_rows)
    tenant = Tenant(cid, dispatcher, "Dana Dispatch", tech_ids, [], FIRST_NUMBER)
    await _customers(gen, tenant, customers_count)
    return tenant


async def _customers(gen: Generator, tenant: Tenant, count: int) -> None:
    rng, ids, cid = gen.rng, gen.ids, gen.company_id
    now = datetime.now(UTC)
    first = ids.take("customers", count)
    first_location = ids.take("locations", count)
    first_contact = ids.take("contacts", count)
    customers, locations, contacts = [], [], []
    for n in range(count):
        customer_id, location_id, contact_id = first + n, first_location + n, first_contact + n
        name = f"Customer {customer_id}"
        city, region, postal, lat, lng = CITIES[n % len(CITIES)]
        street = f"{100 + n % 9000} {STREETS[n % len(STREETS)]}"
        label = "Home" if n % 3 else None
        customers.append(
            (customer_id, cid, name, f"c{customer_id}@example.com", "720-555-0100", None, now, now)
        )
        locations.append(
            (location_id, cid, customer_id, label, street, city, region, postal, "US",
             lat + rng.uniform(-0.08, 0.08), lng + rng.uniform(-0.08, 0.08),
             "Gate code 1234" if n % 7 == 0 else None, now)
        )  # fmt: skip
        contacts.append(
            (
                contact_id,
                cid,
                customer_id,
                f"Contact {customer_id}",
                None,
                "720-555-0199",
                None,
                now,
            )
        )
        tenant.customers.append(
            (customer_id, name, location_id, (label, street, city, region, postal), contact_id)
        )
    await gen.copy(
        "customers",
        ["id", "company_id", "name", "email", "phone", "notes", "created_at", "updated_at"],
        customers,
    )
    await gen.copy(
        "locations",
        [
            "id", "company_id", "customer_id", "label", "street", "city", "region",
            "postal_code", "country", "lat", "lng", "access_notes", "created_at",
        ],
        locations,
    )  # fmt: skip
    await gen.copy(
        "contacts",
        ["id", "company_id", "customer_id", "name", "email", "phone", "role", "created_at"],
        contacts,
    )


@dataclass
class JobPlan:
    """Visits to give particular jobs: (job index) -> (day, status, technicians)."""

    special: dict[int, tuple[date, str, list[int], int]]  # day, status, crew, minute offset
    workspace: int = -1


async def _jobs(
    gen: Generator,
    tenant: Tenant,
    count: int,
    first_number: int,
    board_day: date,
    span_days: int,
    plan: JobPlan,
) -> dict[int, tuple[int, int]]:
    """`count` jobs with a visit, line items and events; returns {job index: (job id, visit id)}
    for the planned ones."""
    rng, ids, cid = gen.rng, gen.ids, gen.company_id
    techs = tenant.technician_ids
    actor, actor_name = tenant.dispatcher_user_id, tenant.dispatcher_name
    planned: dict[int, tuple[int, int]] = {}
    for chunk_start in range(0, count, CHUNK):
        n_jobs = min(CHUNK, count - chunk_start)
        job_rows, visit_rows, crew_rows, line_rows, event_rows = [], [], [], [], []
        first_job = ids.take("jobs", n_jobs)
        first_visit = ids.take("visits", n_jobs)
        first_line = ids.take("line_items", n_jobs * LINE_ITEMS_PER_JOB)
        for k in range(n_jobs):
            index = chunk_start + k
            job_id, visit_id, number = first_job + k, first_visit + k, first_number + index
            customer_id, customer, location_id, address, contact_id = tenant.customers[
                index // JOBS_PER_CUSTOMER % len(tenant.customers)
            ]
            title = TITLES[index % len(TITLES)]
            scope = f"{title}. Check and report."
            if index in plan.special:
                day, status, crew, minute = plan.special[index]
            else:
                # Any day of the last `span_days` but the planned ones (board and pool days are
                # kept out: those hold exactly what the plan puts there).
                day = board_day - timedelta(days=rng.randint(3, span_days))
                status, minute = "COMPLETED", rng.randrange(0, 480, 15)
                crew = rng.sample(techs, rng.choice((1, 1, 2)))
            start = _local(day, 7) + timedelta(minutes=minute)
            end = start + timedelta(hours=2)
            created = start - timedelta(days=rng.randint(1, 20), minutes=rng.randrange(1440))
            done = status == "COMPLETED"
            job_status = (
                "COMPLETED" if done else ("IN_PROGRESS" if status != "SCHEDULED" else "SCHEDULED")
            )
            events = [
                ("job.created", None, {"number": f"J-{number}", "title": title, "status": "UNSCHEDULED"}, created),
                ("visit.created", visit_id, {"visitId": _gid("Visit", visit_id), "to": "SCHEDULED",
                  "start": start.isoformat(), "end": end.isoformat(),
                  "technicianIds": [_gid("Technician", t) for t in crew]}, created + timedelta(minutes=1)),
            ]  # fmt: skip
            if done:
                events.append(
                    ("visit.completed", visit_id, {"visitId": _gid("Visit", visit_id), "from": "DEPARTED", "to": "COMPLETED"}, end)
                )  # fmt: skip
            updated = events[-1][3]
            job_rows.append(
                (job_id, cid, number, title, scope, customer_id, location_id, contact_id,
                 PRIORITIES[index % len(PRIORITIES)], job_status, "DIRECT", "FIXED_PRICE",
                 120, [SKILLS[index % len(SKILLS)]], ["bench"] if index % 4 == 0 else [],
                 1, len(events), search_text(number, title, scope, customer, address),
                 created, updated)
            )  # fmt: skip
            visit_rows.append(
                (visit_id, cid, job_id, start, end, start - timedelta(minutes=30),
                 start + timedelta(minutes=30), status, created, 1, created, updated)
            )  # fmt: skip
            crew_rows += [(cid, visit_id, t) for t in crew]
            for seq, (kind, v_id, payload, at) in enumerate(events, start=1):
                event_rows.append(
                    (ids.take("job_events"), cid, job_id, v_id, seq, kind, json.dumps(payload),
                     actor, actor_name, at, gen.next_position(), at)
                )  # fmt: skip
            for p in range(LINE_ITEMS_PER_JOB):
                kind = LINE_KINDS[p]
                line_rows.append(
                    (first_line + k * LINE_ITEMS_PER_JOB + p, cid, job_id, p + 1, kind,
                     f"{kind.title()} line {p + 1}", Decimal(rng.randint(1, 4)),
                     Decimal(f"{rng.randint(10, 400)}.00"), Decimal(f"{rng.randint(5, 200)}.00"),
                     kind != "LABOR", Decimal("0.0825"), created, created)
                )  # fmt: skip
            if index in plan.special:
                planned[index] = (job_id, visit_id)
        await gen.copy("jobs", JOB_COLUMNS, job_rows)
        await gen.copy("visits", VISIT_COLUMNS, visit_rows)
        await gen.copy("visit_technicians", ["company_id", "visit_id", "technician_id"], crew_rows)
        await gen.copy("line_items", LINE_COLUMNS, line_rows)
        await gen.copy("job_events", EVENT_COLUMNS, event_rows)
    return planned


def _board_plan(
    rng: random.Random, techs: list[int], count: int, board_day: date, pool_day: date
) -> JobPlan:
    """Which jobs have their visit on the board day and in the status-change pool."""
    chosen = rng.sample(range(count), BOARD_VISITS + TRANSITION_POOL + 1)
    special: dict[int, tuple[date, str, list[int], int]] = {}
    statuses = ("SCHEDULED",) * 6 + ("EN_ROUTE", "ARRIVED", "WORKING", "DEPARTED")
    for n, index in enumerate(chosen[:BOARD_VISITS]):
        crew = [] if n < BOARD_UNASSIGNED else [techs[n % len(techs)]]
        if n % 10 == 9 and crew:
            crew.append(techs[(n + 17) % len(techs)])
        special[index] = (
            board_day,
            statuses[n % len(statuses)],
            crew,
            (n // len(techs)) * 150 + n % 4 * 15,
        )
    for n, index in enumerate(chosen[BOARD_VISITS : BOARD_VISITS + TRANSITION_POOL]):
        special[index] = (pool_day, "SCHEDULED", [techs[n % len(techs)]], (n // len(techs)) * 60)
    # The workspace job: scheduled this week, with tabs filled in afterwards.
    special[chosen[-1]] = (board_day - timedelta(days=1), "WORKING", techs[:2], 0)
    return JobPlan(special, chosen[-1])


async def _workspace(gen: Generator, tenant: Tenant, job_id: int, others: list[int]) -> None:
    """Every tab of one job, so the workspace query has rows in each."""
    ids, cid, rng = gen.ids, gen.company_id, gen.rng
    now = datetime.now(UTC)
    author = tenant.dispatcher_user_id
    notes = [
        (
            ids.take("notes"),
            cid,
            job_id,
            f"Note {n}: customer called about access.",
            author,
            now - timedelta(hours=n),
        )
        for n in range(12)
    ]
    await gen.copy(
        "notes", ["id", "company_id", "job_id", "body", "author_user_id", "created_at"], notes
    )
    messages = [
        (ids.take("messages"), cid, job_id, "OUTBOUND" if n % 2 else "INBOUND", "SMS",
         "DELIVERED" if n % 2 else "RECEIVED", "720-555-0100", f"Message {n}", author, now - timedelta(hours=n))
        for n in range(8)
    ]  # fmt: skip
    await gen.copy(
        "messages",
        ["id", "company_id", "job_id", "direction", "channel", "status", "recipient", "body", "author_user_id", "created_at"],
        messages,
    )  # fmt: skip
    incidents = [
        (ids.take("incidents"), cid, job_id, "DAMAGE", "LOW", f"Scratched floor {n}", now - timedelta(days=1), author, now)
        for n in range(2)
    ]  # fmt: skip
    await gen.copy(
        "incidents",
        ["id", "company_id", "job_id", "kind", "severity", "description", "occurred_at", "reported_by", "created_at"],
        incidents,
    )  # fmt: skip
    entries = []
    for n in range(6):
        start = now - timedelta(hours=8 - n)
        entries.append(
            (
                ids.take("time_entries"),
                cid,
                job_id,
                tenant.technician_ids[n % 2],
                None,
                "WORK",
                start,
                start + timedelta(minutes=50),
                now,
            )
        )
    await gen.copy(
        "time_entries",
        ["id", "company_id", "job_id", "technician_id", "visit_id", "kind", "started_at", "ended_at", "created_at"],
        entries,
    )  # fmt: skip
    documents = []
    for n in range(4):
        documents.append(
            (ids.take("documents"), cid, job_id, "PHOTO", f"photo-{n}.jpg", "image/jpeg", 1000 + n,
             f"{rng.randrange(16**64):064x}", f"bench/{uuid.uuid4().hex}", None, f"Photo {n}", author, now)
        )  # fmt: skip
    await gen.copy(
        "documents",
        ["id", "company_id", "job_id", "kind", "filename", "content_type", "size_bytes", "sha256",
         "storage_key", "thumbnail_key", "caption", "uploaded_by", "created_at"],
        documents,
    )  # fmt: skip
    await gen.copy(
        "signatures",
        ["id", "company_id", "job_id", "visit_id", "signer_name", "signer_role", "purpose", "document_id", "signed_at", "created_at"],
        [(ids.take("signatures"), cid, job_id, None, "Pat Customer", "owner", "completion", documents[0][0], now, now)],
    )  # fmt: skip
    await gen.copy(
        "quality_checks",
        ["id", "company_id", "job_id", "inspector_user_id", "result", "score", "notes", "checked_at", "created_at"],
        [(ids.take("quality_checks"), cid, job_id, author, "PASS", 92, "Clean install", now, now)],
    )  # fmt: skip
    await gen.copy(
        "job_dependencies",
        ["company_id", "job_id", "depends_on_job_id", "created_at"],
        [(cid, job_id, others[0], now), (cid, others[1], job_id, now)],
    )


BULK_TABLES = [
    "jobs",
    "visits",
    "visit_technicians",
    "line_items",
    "job_events",
    "customers",
    "locations",
    "contacts",
]


@contextlib.asynccontextmanager
async def _indexes_rebuilt(conn: asyncpg.Connection, tables: list[str]) -> AsyncIterator[None]:
    """Drop the secondary indexes of `tables` (not those behind constraints) for a bulk load and
    build them again afterwards, with their exact definitions: faster than row-by-row upkeep."""
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = format('public.%I', i.indexname)::regclass)
        """,
        tables,
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    yield
    for row in rows:
        await conn.execute(row["indexdef"])


async def _start_ids(conn: asyncpg.Connection) -> Ids:
    start = {}
    for table in SEQUENCED:
        start[table] = int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
    return Ids(start)


async def _finish(conn: asyncpg.Connection, ids: Ids, position: int) -> None:
    for table in SEQUENCED:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {ids.next[table] - 1})"
        )
    await conn.execute(f"SELECT setval('job_event_positions', {max(position, 1)})")


async def _issue(conn: asyncpg.Connection, company_id: int, user_id: int) -> str:
    raw, digest = new_token()
    await conn.execute(
        "INSERT INTO tokens (company_id, user_id, token_hash) VALUES ($1, $2, $3)",
        company_id,
        user_id,
        digest,
    )
    return raw


async def _load_demo(url: str) -> tuple[int | None, str | None]:
    """The demo company, as a second tenant; (its id, its dispatcher's token)."""
    from db.demo import load_demo
    from db.engine import create_engine
    from db.session import system_session

    engine = create_engine(url, pool_size=1)
    try:
        async with system_session(engine) as db:
            users = await load_demo(db)
            company_id = db.company_id
    finally:
        await engine.dispose()
    token = next((u["token"] for u in users if u["role"] == "dispatcher"), None)
    return company_id, token


async def fill(url: str, jobs: int, *, log: Any = print) -> Bench:
    """Demo company, then the large tenant with `jobs` jobs; returns what the scenarios need."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    demo_id, demo_token = await _load_demo(url)
    seconds["demo"] = time.perf_counter() - started
    rng = random.Random(SEED)
    today = datetime.now(TZ).date()
    board_day, pool_day = today + timedelta(days=7), today + timedelta(days=8)
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        ids = await _start_ids(conn)
        position = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM job_events"))
        async with conn.transaction(), _indexes_rebuilt(conn, BULK_TABLES):
            company_id = int(
                await conn.fetchval(
                    "INSERT INTO companies (name, timezone) VALUES ($1, $2) RETURNING id",
                    COMPANY,
                    TIMEZONE,
                )
            )
            gen = Generator(conn, ids, company_id, rng)
            gen.position = position
            tenant = await _tenant(gen, max(jobs // JOBS_PER_CUSTOMER, 1))
            plan = _board_plan(rng, tenant.technician_ids, jobs, board_day, pool_day)
            planned = await _jobs(gen, tenant, jobs, FIRST_NUMBER, board_day, 365, plan)
            workspace_job = planned[plan.workspace][0]
            others = [planned[i][0] for i in list(planned)[:2]]
            await _workspace(gen, tenant, workspace_job, others)
            await conn.execute(
                "UPDATE companies SET job_seq = $1 WHERE id = $2",
                FIRST_NUMBER + jobs - 1,
                company_id,
            )
            pool = sorted(planned[i][1] for i, p in plan.special.items() if p[0] == pool_day)
            tokens = {
                "dispatcher": await _issue(conn, company_id, tenant.dispatcher_user_id),
                "admin": await _issue(conn, company_id, tenant.dispatcher_user_id + 1),
            }
            tech_user = int(
                await conn.fetchval(
                    "SELECT user_id FROM technicians WHERE id = $1", tenant.technician_ids[0]
                )
            )
            tokens["technician"] = await _issue(conn, company_id, tech_user)
            await _finish(conn, ids, gen.position)
        # As after any bulk load: visibility map, hint bits and statistics now, rather than
        # autovacuum doing it in the middle of the measurements.
        await conn.execute("VACUUM (ANALYZE)")
        seconds["generate"] = time.perf_counter() - started
        log(f"bench: generated {jobs:,} jobs in {seconds['generate']:.1f} s ({gen.counts})")
    finally:
        await conn.close()
    return Bench(
        database_url=url,
        company_id=company_id,
        demo_company_id=demo_id,
        dispatcher_token=tokens["dispatcher"],
        admin_token=tokens["admin"],
        technician_token=tokens["technician"],
        technician_id=tenant.technician_ids[0],
        other_company_token=demo_token,
        board_day=board_day,
        transition_day=pool_day,
        workspace_job_id=workspace_job,
        transition_visit_ids=pool,
        jobs=jobs,
        seconds=seconds,
    )


async def extend(bench: Bench, total_jobs: int, *, log: Any = print) -> float:
    """Grow the large tenant to `total_jobs` jobs (their visits all on other days than the
    board's and the pool's); returns the seconds it took."""
    extra = total_jobs - bench.jobs
    if extra <= 0:
        return 0.0
    started = time.perf_counter()
    conn = await asyncpg.connect(bench.database_url)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        ids = await _start_ids(conn)
        position = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM job_events"))
        async with conn.transaction(), _indexes_rebuilt(conn, BULK_TABLES):
            rng = random.Random(SEED + 1)
            gen = Generator(conn, ids, bench.company_id, rng)
            gen.position = position
            techs = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM technicians WHERE company_id = $1 ORDER BY id", bench.company_id
                )
            ]
            dispatcher = await conn.fetchrow(
                "SELECT id, name FROM users WHERE company_id = $1 AND role = 'dispatcher'",
                bench.company_id,
            )
            tenant = Tenant(bench.company_id, dispatcher["id"], dispatcher["name"], techs, [], 0)
            await _customers(gen, tenant, max(extra // JOBS_PER_CUSTOMER, 1))
            first_number = FIRST_NUMBER + bench.jobs
            # Spread over the last ten years, so the board's day index stays selective.
            await _jobs(gen, tenant, extra, first_number, bench.board_day, 3650, JobPlan({}))
            await conn.execute(
                "UPDATE companies SET job_seq = $1 WHERE id = $2",
                first_number + extra - 1,
                bench.company_id,
            )
            await _finish(conn, ids, gen.position)
        # As after any bulk load: visibility map, hint bits and statistics now, rather than
        # autovacuum doing it in the middle of the measurements.
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    bench.jobs = total_jobs
    seconds = time.perf_counter() - started
    bench.seconds[f"extend_to_{total_jobs}"] = seconds
    log(f"bench: grew to {total_jobs:,} jobs in {seconds:.1f} s ({gen.counts})")
    return seconds


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
