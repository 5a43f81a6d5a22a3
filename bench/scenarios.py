"""What each scenario asks of each system: our GraphQL documents, PostGraphile's equivalents and
the hand-written SQL of the asyncpg baseline (bench/baseline.py).

The three systems return the same rows in the same order; the shapes differ where the systems'
schemas differ (PostGraphile's generated names, its integer job numbers, its address parts where
we have `address`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bench.data import TZ, Bench
from bench.load import Check, graphql_check, graphql_request, http_request

OURS, POSTGRAPHILE, ASYNCPG, STARLETTE = "opus", "postgraphile", "asyncpg", "starlette"

# --- our documents --------------------------------------------------------------------------------

BOARD = """
query Board($date: Date!) {
  dispatchBoard(date: $date) {
    date
    lanes {
      technician { id name color }
      visits { ...Card }
    }
    unassigned { ...Card }
  }
}
fragment Card on Visit {
  id status start end arrivalWindowStart arrivalWindowEnd version
  technicians { id name }
  job {
    id number title status priority readiness
    customer { id name phone }
    location { id address lat lng }
  }
}
"""

JOBS_PAGE = """
query Jobs($first: Int!) {
  jobs(first: $first) {
    nodes {
      id number title status priority createdAt
      customer { id name email phone }
      location { id address city lat lng }
      lineItems { id kind description quantity unitPrice }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WORKSPACE = """
query Workspace($id: ID!) {
  node(id: $id) {
    ... on Job {
      id number title scope status priority holdReason cancelReason source sourceReference
      billingType estimatedDurationMinutes requiredSkills tags version createdAt updatedAt
      customer {
        id name email phone
        locations { id address }
        contacts { id name phone }
      }
      location { id address lat lng accessNotes }
      contact { id name email phone }
      assets { id name make model }
      visits { id status start end version technicians { id name } }
      timeline(first: 20) {
        totalCount
        nodes { id sequence type at actorName payload }
        pageInfo { hasNextPage endCursor }
      }
      notes(first: 20) { totalCount nodes { id body createdAt author { id name } } }
      messages(first: 20) { nodes { id direction channel status recipient body createdAt } }
      incidents(first: 20) { nodes { id kind severity description occurredAt } }
      timeEntries(first: 20) { nodes { id kind start end technician { id name } } }
      documents(first: 20) { nodes { id kind filename contentType sizeBytes caption } }
      signatures(first: 20) { nodes { id signerName signerRole purpose signedAt } }
      qualityChecks(first: 20) { nodes { id result score notes checkedAt } }
      dependsOn { id number title status }
      dependents { id number title status }
    }
  }
}
"""

TRIVIAL = "{ __typename }"

TRANSITION = """
mutation Press($input: VisitTransitionInput!) {
  visitTransition(input: $input) {
    visit { id status version }
    event { id sequence type }
    errors { code message }
  }
}
"""

# --- PostGraphile's equivalents (its generated schema over the same tables) -----------------------

PG_CARD = """
fragment Card on Visit {
  id status startAt endAt arrivalWindowStart arrivalWindowEnd version
  visitTechniciansByVisitId(orderBy: PRIMARY_KEY_ASC) { nodes { technicianByTechnicianId { id name } } }
  jobByJobId {
    id number title status priority readiness
    customerByCustomerId { id name phone }
    locationByLocationId { id street city region postalCode lat lng }
  }
}
"""

PG_BOARD = (
    """
query Board($company: BigInt!, $lo: Datetime!, $hi: Datetime!) {
  allTechnicians(condition: {companyId: $company, active: true}, orderBy: [NAME_ASC, ID_ASC]) {
    nodes { id name color dayVisits(lo: $lo, hi: $hi) { nodes { ...Card } } }
  }
  unassignedVisits(company: $company, lo: $lo, hi: $hi) { nodes { ...Card } }
}
"""
    + PG_CARD
)

# Functions PostGraphile turns into `Technician.dayVisits` and `Query.unassignedVisits` (the
# way PostGraphile is extended); created in the bench database only.
PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION technicians_day_visits(t technicians, lo timestamptz, hi timestamptz)
RETURNS SETOF visits LANGUAGE sql STABLE AS $$
  SELECT v.* FROM visits v JOIN visit_technicians vt ON vt.visit_id = v.id
  WHERE vt.technician_id = t.id AND v.company_id = t.company_id
    AND v.start_at >= lo AND v.start_at < hi AND v.status <> 'CANCELLED'
  ORDER BY v.start_at, v.id
$$;
CREATE OR REPLACE FUNCTION unassigned_visits(company bigint, lo timestamptz, hi timestamptz)
RETURNS SETOF visits LANGUAGE sql STABLE AS $$
  SELECT v.* FROM visits v
  WHERE v.company_id = company AND v.start_at >= lo AND v.start_at < hi
    AND v.status <> 'CANCELLED'
    AND NOT EXISTS (SELECT 1 FROM visit_technicians vt WHERE vt.visit_id = v.id)
  ORDER BY v.start_at, v.id
$$;
"""

PG_JOBS_PAGE = """
query Jobs($company: BigInt!, $first: Int!) {
  allJobs(condition: {companyId: $company}, first: $first, orderBy: [CREATED_AT_DESC, ID_DESC]) {
    nodes {
      id number title status priority createdAt
      customerByCustomerId { id name email phone }
      locationByLocationId { id street city region postalCode lat lng }
      lineItemsByJobId(orderBy: [POSITION_ASC, ID_ASC]) {
        nodes { id kind description quantity unitPrice }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PG_WORKSPACE = """
query Workspace($id: BigInt!) {
  jobById(id: $id) {
    id number title scope status priority holdReason cancelReason source sourceReference
    billingType estimatedDurationMinutes requiredSkills tags version createdAt updatedAt
    customerByCustomerId {
      id name email phone
      locationsByCustomerId(orderBy: ID_ASC) { nodes { id street city region postalCode } }
      contactsByCustomerId(orderBy: ID_ASC) { nodes { id name phone } }
    }
    locationByLocationId { id street city region postalCode lat lng accessNotes }
    contactByContactId { id name email phone }
    jobAssetsByJobId { nodes { assetByAssetId { id name make model } } }
    visitsByJobId(orderBy: [START_AT_ASC, ID_ASC]) {
      nodes {
        id status startAt endAt version
        visitTechniciansByVisitId { nodes { technicianByTechnicianId { id name } } }
      }
    }
    jobEventsByJobId(first: 20, orderBy: SEQ_ASC) {
      totalCount
      nodes { id seq type createdAt actorName payload }
      pageInfo { hasNextPage endCursor }
    }
    notesByJobId(first: 20, orderBy: ID_DESC) {
      totalCount nodes { id body createdAt userByAuthorUserId { id name } }
    }
    messagesByJobId(first: 20, orderBy: ID_ASC) {
      nodes { id direction channel status recipient body createdAt }
    }
    incidentsByJobId(first: 20, orderBy: ID_DESC) {
      nodes { id kind severity description occurredAt }
    }
    timeEntriesByJobId(first: 20, orderBy: ID_ASC) {
      nodes { id kind startedAt endedAt technicianByTechnicianId { id name } }
    }
    documentsByJobId(first: 20, orderBy: ID_DESC) {
      nodes { id kind filename contentType sizeBytes caption }
    }
    signaturesByJobId(first: 20, orderBy: ID_ASC) {
      nodes { id signerName signerRole purpose signedAt }
    }
    qualityChecksByJobId(first: 20, orderBy: ID_DESC) { nodes { id result score notes checkedAt } }
    jobDependenciesByJobId { nodes { jobByDependsOnJobId { id number title status } } }
    jobDependenciesByDependsOnJobId { nodes { jobByJobId { id number title status } } }
  }
}
"""

# --- the asyncpg baseline: one statement per scenario, JSON built by PostgreSQL -------------------


# Relay global id, as resolvers/ids.py makes it.
def _gid(type_name: str, column: str) -> str:
    return f"encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64')"


def _address(alias: str) -> str:
    return (
        f"concat_ws(', ', nullif({alias}.street, ''), nullif({alias}.city, ''), "
        f"nullif(concat_ws(' ', nullif({alias}.region, ''), nullif({alias}.postal_code, '')), ''))"
    )


SQL_CARD = f"""
json_build_object(
  'id', {_gid("Visit", "v.id")}, 'status', v.status, 'start', v.start_at, 'end', v.end_at,
  'arrivalWindowStart', v.arrival_window_start, 'arrivalWindowEnd', v.arrival_window_end,
  'version', v.version,
  'technicians', coalesce((
      SELECT json_agg(json_build_object('id', {_gid("Technician", "t.id")}, 'name', t.name)
                      ORDER BY t.name, t.id)
      FROM visit_technicians vt JOIN technicians t ON t.id = vt.technician_id
      WHERE vt.visit_id = v.id AND t.company_id = $1), '[]'),
  'job', (
      SELECT json_build_object(
        'id', {_gid("Job", "j.id")}, 'number', 'J-' || j.number, 'title', j.title,
        'status', j.status, 'priority', j.priority, 'readiness', j.readiness,
        'customer', (SELECT json_build_object('id', {_gid("Customer", "c.id")}, 'name', c.name,
                                              'phone', c.phone)
                     FROM customers c WHERE c.id = j.customer_id AND c.company_id = $1),
        'location', (SELECT json_build_object('id', {_gid("Location", "l.id")},
                                              'address', {_address("l")}, 'lat', l.lat,
                                              'lng', l.lng)
                     FROM locations l WHERE l.id = j.location_id AND l.company_id = $1))
      FROM jobs j WHERE j.id = v.job_id AND j.company_id = $1)
)"""

SQL_BOARD = f"""
WITH day AS (
  SELECT v.*, {SQL_CARD} AS card FROM visits v
  WHERE v.company_id = $1 AND v.start_at >= $2 AND v.start_at < $3 AND v.status <> 'CANCELLED'
), crew AS (
  SELECT vt.visit_id, vt.technician_id FROM visit_technicians vt
  WHERE vt.company_id = $1 AND vt.visit_id IN (SELECT id FROM day)
)
SELECT json_build_object('data', json_build_object('dispatchBoard', json_build_object(
  'date', $4::text,
  'lanes', coalesce((
    SELECT json_agg(json_build_object(
      'technician', json_build_object('id', {_gid("Technician", "t.id")}, 'name', t.name,
                                      'color', t.color),
      'visits', coalesce((SELECT json_agg(d.card ORDER BY d.start_at, d.id)
                          FROM day d JOIN crew ON crew.visit_id = d.id
                          WHERE crew.technician_id = t.id), '[]')
    ) ORDER BY t.name, t.id)
    FROM technicians t
    WHERE t.company_id = $1 AND (t.active OR t.id IN (SELECT technician_id FROM crew))), '[]'),
  'unassigned', coalesce((
    SELECT json_agg(d.card ORDER BY d.start_at, d.id) FROM day d
    WHERE NOT EXISTS (SELECT 1 FROM crew WHERE crew.visit_id = d.id)), '[]')
)))::text
"""

SQL_JOBS_PAGE = f"""
WITH page AS (
  SELECT j.* FROM jobs j WHERE j.company_id = $1
  ORDER BY j.created_at DESC, j.id DESC LIMIT $2 + 1
), shown AS (
  SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT $2
)
SELECT json_build_object('data', json_build_object('jobs', json_build_object(
  'nodes', coalesce((
    SELECT json_agg(json_build_object(
      'id', {_gid("Job", "j.id")}, 'number', 'J-' || j.number, 'title', j.title,
      'status', j.status, 'priority', j.priority, 'createdAt', j.created_at,
      'customer', (SELECT json_build_object('id', {_gid("Customer", "c.id")}, 'name', c.name,
                                            'email', c.email, 'phone', c.phone)
                   FROM customers c WHERE c.id = j.customer_id AND c.company_id = $1),
      'location', (SELECT json_build_object('id', {_gid("Location", "l.id")},
                                            'address', {_address("l")}, 'city', l.city,
                                            'lat', l.lat, 'lng', l.lng)
                   FROM locations l WHERE l.id = j.location_id AND l.company_id = $1),
      'lineItems', coalesce((
        SELECT json_agg(json_build_object('id', {_gid("LineItem", "li.id")}, 'kind', li.kind,
                                          'description', li.description,
                                          'quantity', li.quantity::text,
                                          'unitPrice', li.unit_price::text)
                        ORDER BY li.position, li.id)
        FROM line_items li WHERE li.job_id = j.id AND li.company_id = $1), '[]')
    ) ORDER BY j.created_at DESC, j.id DESC) FROM shown j), '[]'),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM page) > $2,
    'endCursor', (SELECT encode(convert_to(json_build_array(created_at, id)::text, 'UTF8'),
                                'base64')
                  FROM shown ORDER BY created_at, id LIMIT 1))
)))::text
"""


def _tab(table: str, fields: str, order: str, alias: str = "x") -> str:
    return f"""json_build_object('nodes', coalesce((
      SELECT json_agg({fields} ORDER BY {order})
      FROM (SELECT * FROM {table} {alias} WHERE {alias}.job_id = j.id AND {alias}.company_id = $1
            ORDER BY {order} LIMIT 20) {alias}), '[]'))"""


SQL_WORKSPACE = f"""
SELECT json_build_object('data', json_build_object('node', (
  SELECT json_build_object(
    'id', {_gid("Job", "j.id")}, 'number', 'J-' || j.number, 'title', j.title, 'scope', j.scope,
    'status', j.status, 'priority', j.priority, 'holdReason', j.hold_reason,
    'cancelReason', j.cancel_reason, 'source', j.source, 'sourceReference', j.source_reference,
    'billingType', j.billing_type, 'estimatedDurationMinutes', j.estimated_duration_minutes,
    'requiredSkills', j.required_skills, 'tags', j.tags, 'version', j.version,
    'createdAt', j.created_at, 'updatedAt', j.updated_at,
    'customer', (
      SELECT json_build_object(
        'id', {_gid("Customer", "c.id")}, 'name', c.name, 'email', c.email, 'phone', c.phone,
        'locations', coalesce((SELECT json_agg(json_build_object(
                                 'id', {_gid("Location", "l.id")}, 'address', {_address("l")})
                               ORDER BY l.id)
                               FROM locations l WHERE l.customer_id = c.id AND l.company_id = $1),
                              '[]'),
        'contacts', coalesce((SELECT json_agg(json_build_object(
                                'id', {_gid("Contact", "k.id")}, 'name', k.name, 'phone', k.phone)
                              ORDER BY k.id)
                              FROM contacts k WHERE k.customer_id = c.id AND k.company_id = $1),
                             '[]'))
      FROM customers c WHERE c.id = j.customer_id AND c.company_id = $1),
    'location', (SELECT json_build_object('id', {_gid("Location", "l.id")},
                                          'address', {_address("l")}, 'lat', l.lat, 'lng', l.lng,
                                          'accessNotes', l.access_notes)
                 FROM locations l WHERE l.id = j.location_id AND l.company_id = $1),
    'contact', (SELECT json_build_object('id', {_gid("Contact", "k.id")}, 'name', k.name,
                                         'email', k.email, 'phone', k.phone)
                FROM contacts k WHERE k.id = j.contact_id AND k.company_id = $1),
    'assets', coalesce((SELECT json_agg(json_build_object('id', {_gid("Asset", "a.id")},
                                                          'name', a.name, 'make', a.make,
                                                          'model', a.model) ORDER BY a.id)
                        FROM job_assets ja JOIN assets a ON a.id = ja.asset_id
                        WHERE ja.job_id = j.id AND a.company_id = $1), '[]'),
    'visits', coalesce((
      SELECT json_agg(json_build_object(
        'id', {_gid("Visit", "v.id")}, 'status', v.status, 'start', v.start_at,
        'end', v.end_at, 'version', v.version,
        'technicians', coalesce((
          SELECT json_agg(json_build_object('id', {_gid("Technician", "t.id")}, 'name', t.name)
                          ORDER BY t.name, t.id)
          FROM visit_technicians vt JOIN technicians t ON t.id = vt.technician_id
          WHERE vt.visit_id = v.id AND t.company_id = $1), '[]')
      ) ORDER BY v.start_at, v.id)
      FROM visits v WHERE v.job_id = j.id AND v.company_id = $1), '[]'),
    'timeline', json_build_object(
      'totalCount', (SELECT count(*) FROM job_events e WHERE e.job_id = j.id AND e.company_id = $1),
      'nodes', coalesce((
        SELECT json_agg(json_build_object('id', {_gid("JobEvent", "e.id")}, 'sequence', e.seq,
                                          'type', e.type, 'at', e.created_at,
                                          'actorName', e.actor_name, 'payload', e.payload)
                        ORDER BY e.seq)
        FROM (SELECT * FROM job_events e WHERE e.job_id = j.id AND e.company_id = $1
              ORDER BY e.seq LIMIT 20) e), '[]'),
      'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) FROM job_events e WHERE e.job_id = j.id) > 20,
        'endCursor', (SELECT encode(convert_to(json_build_array(max(seq))::text, 'UTF8'), 'base64')
                      FROM (SELECT seq FROM job_events e WHERE e.job_id = j.id
                            ORDER BY seq LIMIT 20) s))),
    'notes', json_build_object(
      'totalCount', (SELECT count(*) FROM notes n WHERE n.job_id = j.id AND n.company_id = $1),
      'nodes', coalesce((
        SELECT json_agg(json_build_object(
          'id', {_gid("Note", "n.id")}, 'body', n.body, 'createdAt', n.created_at,
          'author', (SELECT json_build_object('id', {_gid("User", "u.id")}, 'name', u.name)
                     FROM users u WHERE u.id = n.author_user_id AND u.company_id = $1))
          ORDER BY n.id DESC)
        FROM (SELECT * FROM notes n WHERE n.job_id = j.id AND n.company_id = $1
              ORDER BY n.id DESC LIMIT 20) n), '[]')),
    'messages', {_tab("messages", f"json_build_object('id', {_gid('Message', 'x.id')}, 'direction', x.direction, 'channel', x.channel, 'status', x.status, 'recipient', x.recipient, 'body', x.body, 'createdAt', x.created_at)", "x.id")},
    'incidents', {_tab("incidents", f"json_build_object('id', {_gid('Incident', 'x.id')}, 'kind', x.kind, 'severity', x.severity, 'description', x.description, 'occurredAt', x.occurred_at)", "x.id DESC")},
    'timeEntries', {_tab("time_entries", f"json_build_object('id', {_gid('TimeEntry', 'x.id')}, 'kind', x.kind, 'start', x.started_at, 'end', x.ended_at, 'technician', (SELECT json_build_object('id', {_gid('Technician', 't.id')}, 'name', t.name) FROM technicians t WHERE t.id = x.technician_id))", "x.id")},
    'documents', {_tab("documents", f"json_build_object('id', {_gid('Document', 'x.id')}, 'kind', x.kind, 'filename', x.filename, 'contentType', x.content_type, 'sizeBytes', x.size_bytes, 'caption', x.caption)", "x.id DESC")},
    'signatures', {_tab("signatures", f"json_build_object('id', {_gid('Signature', 'x.id')}, 'signerName', x.signer_name, 'signerRole', x.signer_role, 'purpose', x.purpose, 'signedAt', x.signed_at)", "x.id")},
    'qualityChecks', {_tab("quality_checks", f"json_build_object('id', {_gid('QualityCheck', 'x.id')}, 'result', x.result, 'score', x.score, 'notes', x.notes, 'checkedAt', x.checked_at)", "x.id DESC")},
    'dependsOn', coalesce((SELECT json_agg(json_build_object('id', {_gid("Job", "o.id")},
                                                             'number', 'J-' || o.number,
                                                             'title', o.title, 'status', o.status)
                                           ORDER BY o.number)
                           FROM job_dependencies d JOIN jobs o ON o.id = d.depends_on_job_id
                           WHERE d.job_id = j.id AND d.company_id = $1), '[]'),
    'dependents', coalesce((SELECT json_agg(json_build_object('id', {_gid("Job", "o.id")},
                                                              'number', 'J-' || o.number,
                                                              'title', o.title, 'status', o.status)
                                            ORDER BY o.number)
                            FROM job_dependencies d JOIN jobs o ON o.id = d.job_id
                            WHERE d.depends_on_job_id = j.id AND d.company_id = $1), '[]')
  )
  FROM jobs j WHERE j.id = $2 AND j.company_id = $1)))::text
"""

# A status press in one statement: the visit, the job's event sequence and status, both events
# (visit.<status> and job.status_changed), positioned for the stream; the endpoint then
# publishes the message to Redis.
SQL_TRANSITION = f"""
WITH v AS (
  UPDATE visits SET status = $3::text, status_changed_at = now(), version = version + 1,
                    updated_at = now()
  WHERE id = $2::bigint AND company_id = $1::bigint AND status = $4::text
  RETURNING id, job_id, company_id, status, version
), j AS (
  UPDATE jobs SET event_seq = jobs.event_seq + 2,
                  status = CASE WHEN $3::text = 'SCHEDULED' THEN 'SCHEDULED' ELSE 'IN_PROGRESS' END,
                  version = jobs.version + 1, updated_at = now()
  FROM v WHERE jobs.id = v.job_id
  RETURNING jobs.id, jobs.event_seq
), e AS (
  INSERT INTO job_events (company_id, job_id, visit_id, seq, type, payload, actor_user_id,
                          actor_name, created_at, position, published_at)
  SELECT v.company_id, v.job_id, v.id, j.event_seq - 1, 'visit.' || lower($3::text),
         jsonb_build_object('visitId', {_gid("Visit", "v.id")}, 'from', $4::text, 'to', $3::text),
         $5::bigint, $6::text, now(), nextval('job_event_positions'), now()
  FROM v JOIN j ON j.id = v.job_id
  UNION ALL
  SELECT v.company_id, v.job_id, NULL, j.event_seq, 'job.status_changed',
         jsonb_build_object('to', CASE WHEN $3::text = 'SCHEDULED' THEN 'SCHEDULED' ELSE 'IN_PROGRESS' END),
         $5::bigint, $6::text, now(), nextval('job_event_positions'), now()
  FROM v JOIN j ON j.id = v.job_id
  RETURNING id, job_id, seq, type, position
)
SELECT json_build_object('data', json_build_object('visitTransition', json_build_object(
  'visit', (SELECT json_build_object('id', {_gid("Visit", "v.id")}, 'status', v.status,
                                     'version', v.version) FROM v),
  'event', (SELECT json_build_object('id', {_gid("JobEvent", "e.id")}, 'sequence', e.seq,
                                     'type', e.type) FROM e WHERE e.type LIKE 'visit.%'),
  'errors', '[]'::json)))::text AS body,
  (SELECT json_agg(json_build_object('id', e.id, 'position', e.position, 'jobId', e.job_id,
                                     'type', e.type)) FROM e)::text AS messages
"""


# --- scenarios --------------------------------------------------------------------------------------


@dataclass
class Target:
    """How one system is asked: a request factory and a response check."""

    make_request: Callable[[int, int], bytes]
    check: Check | None = graphql_check


@dataclass
class Scenario:
    name: str
    description: str
    targets: dict[str, Target] = field(default_factory=dict)


def day_bounds(bench: Bench, day: Any) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=TZ)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=TZ)


def _fixed(data: bytes) -> Callable[[int, int], bytes]:
    return lambda _client, _n: data


def _baseline(path: str) -> bytes:
    return http_request(path, b"{}", {"Content-Type": "application/json"})


class TransitionPool:
    """Alternates EN_ROUTE and SCHEDULED on a pool of visits, each client on visits of its own,
    so presses never collide; state survives across systems and rounds (a visit is always left
    as the next press expects it)."""

    def __init__(self, visit_ids: list[int], clients: int) -> None:
        self.by_client = [visit_ids[c::clients] for c in range(clients)]
        self.presses = [0] * clients

    def next(self, client: int) -> tuple[int, str, str]:
        n = self.presses[client]
        self.presses[client] += 1
        visits = self.by_client[client]
        visit = visits[(n // 2) % len(visits)]
        return (visit, "EN_ROUTE", "SCHEDULED") if n % 2 == 0 else (visit, "SCHEDULED", "EN_ROUTE")


def build(bench: Bench, clients: int) -> dict[str, Scenario]:
    from bench.data import _gid

    token = bench.dispatcher_token
    lo, hi = day_bounds(bench, bench.board_day)
    company = str(bench.company_id)
    scenarios: dict[str, Scenario] = {}

    board = Scenario(
        "board", "dispatchBoard for a day with 100 visits: job, customer, location, crew"
    )
    board.targets[OURS] = Target(
        _fixed(graphql_request(BOARD, {"date": bench.board_day.isoformat()}, token))
    )
    board.targets[POSTGRAPHILE] = Target(
        _fixed(
            graphql_request(
                PG_BOARD, {"company": company, "lo": lo.isoformat(), "hi": hi.isoformat()}
            )
        )
    )
    board.targets[ASYNCPG] = Target(_fixed(_baseline("/board")))
    scenarios["board"] = board

    jobs_page = Scenario("jobs_page", "jobs(first: 100) with customer and location")
    jobs_page.targets[OURS] = Target(_fixed(graphql_request(JOBS_PAGE, {"first": 100}, token)))
    jobs_page.targets[POSTGRAPHILE] = Target(
        _fixed(graphql_request(PG_JOBS_PAGE, {"company": company, "first": 100}))
    )
    jobs_page.targets[ASYNCPG] = Target(_fixed(_baseline("/jobs")))
    scenarios["jobs_page"] = jobs_page

    workspace = Scenario("workspace", "node(id) of one job with every workspace tab")
    workspace.targets[OURS] = Target(
        _fixed(graphql_request(WORKSPACE, {"id": _gid("Job", bench.workspace_job_id)}, token))
    )
    workspace.targets[POSTGRAPHILE] = Target(
        _fixed(graphql_request(PG_WORKSPACE, {"id": str(bench.workspace_job_id)}))
    )
    workspace.targets[ASYNCPG] = Target(_fixed(_baseline("/workspace")))
    scenarios["workspace"] = workspace

    trivial = Scenario("trivial", "{ __typename }, authenticated; plain Starlette JSON endpoint")
    trivial.targets[OURS] = Target(_fixed(graphql_request(TRIVIAL, None, token)))
    trivial.targets[POSTGRAPHILE] = Target(_fixed(graphql_request(TRIVIAL)))
    trivial.targets[STARLETTE] = Target(_fixed(http_request("/plain")), None)
    scenarios["trivial"] = trivial

    pool = TransitionPool(bench.transition_visit_ids, clients)

    def press(client: int, _n: int) -> bytes:
        visit, to, _ = pool.next(client)
        return graphql_request(
            TRANSITION, {"input": {"visitId": _gid("Visit", visit), "to": to}}, token
        )

    def press_baseline(client: int, _n: int) -> bytes:
        visit, to, current = pool.next(client)
        body = json.dumps({"visit": visit, "to": to, "from": current}).encode()
        return http_request("/transition", body, {"Content-Type": "application/json"})

    transition = Scenario(
        "transition", "visitTransition EN_ROUTE <-> SCHEDULED, events written and published"
    )
    transition.targets[OURS] = Target(press)
    transition.targets[ASYNCPG] = Target(press_baseline)
    scenarios["transition"] = transition
    return scenarios
