"""outbox relay: claim and mark in one statement each

Revision ID: 0004
Revises: 0003

The relay (subscriptions/relay.py) calls these on an autocommit connection, so each call is one
round trip and its own transaction. Both run as the caller (opus_app, under row-level security)
and see every company's events through `opus.system`, which their SET clause turns on for the
call only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The relay holds a session-level advisory lock from its claim to its mark, across publishing,
# so relays of every process take turns and each publishes in position order with no other
# relay publishing in between. A claim that finds nothing releases it at once. A VOLATILE
# function takes a new snapshot for each statement, so the statements after the lock see what
# every earlier holder committed.
_CLAIM = """
CREATE FUNCTION opus_relay_claim(lock_key bigint, batch integer)
RETURNS TABLE (
    id bigint, "position" bigint, company_id bigint, job_id bigint, visit_id bigint,
    type varchar, created_at timestamptz, visit_start timestamptz, technician_ids bigint[]
)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET opus.system = 'on'
AS $$
#variable_conflict use_column
BEGIN
    -- Nothing new and nothing left behind: no lock, no writes.
    IF NOT EXISTS (SELECT 1 FROM job_events WHERE position IS NULL)
       AND NOT EXISTS (
           SELECT 1 FROM job_events WHERE position IS NOT NULL AND published_at IS NULL
       ) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_lock(lock_key);
    WITH next AS (
        SELECT e.id FROM job_events e
        WHERE e.position IS NULL ORDER BY e.id LIMIT batch FOR UPDATE
    ), numbered AS (
        SELECT n.id, nextval('job_event_positions') AS position
        FROM (SELECT next.id FROM next ORDER BY next.id) n
    )
    UPDATE job_events e SET position = numbered.position
    FROM numbered WHERE e.id = numbered.id;
    -- What an earlier pass left behind (a crash, Redis down) and the new ones alike, lowest
    -- position first: nothing reaches the bus before a lower position has.
    RETURN QUERY
        WITH pending AS (
            SELECT p.id FROM job_events p
            WHERE p.position IS NOT NULL AND p.published_at IS NULL
            ORDER BY p.position LIMIT batch
        )
        SELECT e.id, e.position, e.company_id, e.job_id, e.visit_id, e.type, e.created_at,
               v.start_at,
               coalesce(array_agg(vt.technician_id) FILTER (WHERE vt.technician_id IS NOT NULL),
                        '{}')
        FROM job_events e
        LEFT JOIN visits v ON v.id = e.visit_id
        LEFT JOIN visit_technicians vt ON vt.visit_id = e.visit_id
        WHERE e.id IN (SELECT pending.id FROM pending)
        GROUP BY e.id, v.start_at
        ORDER BY e.position;
    IF NOT FOUND THEN
        PERFORM pg_advisory_unlock(lock_key);
    END IF;
END
$$
"""

# Marks what the claim returned as published and ends the turn. The session's hold is handed to
# this transaction, which keeps the lock until it commits: the next holder then sees the marks
# (released before the commit, it would publish these events again).
_MARK = """
CREATE FUNCTION opus_relay_mark(ids bigint[], lock_key bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET opus.system = 'on'
AS $$
BEGIN
    UPDATE job_events SET published_at = now() WHERE id = ANY(ids) AND published_at IS NULL;
    PERFORM pg_advisory_xact_lock(lock_key);
    PERFORM pg_advisory_unlock(lock_key);
END
$$
"""

_FUNCTIONS = ("opus_relay_claim(bigint, integer)", "opus_relay_mark(bigint[], bigint)")


def upgrade() -> None:
    op.execute(_CLAIM)
    op.execute(_MARK)
    for function in _FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO opus_app")


def downgrade() -> None:
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
