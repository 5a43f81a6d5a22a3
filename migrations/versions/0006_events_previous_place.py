"""job events: where a visit was before the event moved it, for the boards it left

Revision ID: 0006
Revises: 0005

A visit rescheduled to another day, or given another crew, no longer matches the board of the
day it left or the technicians taken off it, yet those screens still show it. The event now
keeps the visit's previous start and crew, and the relay's claim returns them with the rest so
live filters (subscriptions/streams.py) can match either place.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_spec = importlib.util.spec_from_file_location(
    "opus_migration_0004", Path(__file__).with_name("0004_relay_functions.py")
)
assert _spec is not None and _spec.loader is not None
_RELAY = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_RELAY)
_SIGNATURE = "opus_relay_claim(bigint, integer)"

# 0004's claim, returning two more columns (a function's result type cannot be altered).
_CLAIM = _RELAY._CLAIM.replace(
    "type varchar, created_at timestamptz, visit_start timestamptz, technician_ids bigint[]",
    "type varchar, created_at timestamptz, visit_start timestamptz, technician_ids bigint[],\n"
    "    previous_visit_start timestamptz, previous_technician_ids bigint[]",
).replace(
    "                        '{}')\n        FROM job_events e",
    "                        '{}'),\n"
    "               e.previous_visit_start, e.previous_technician_ids\n"
    "        FROM job_events e",
)


def _replace_claim(sql: str) -> None:
    op.execute(f"DROP FUNCTION {_SIGNATURE}")
    op.execute(sql)
    op.execute(f"REVOKE EXECUTE ON FUNCTION {_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {_SIGNATURE} TO opus_app")


def upgrade() -> None:
    assert _CLAIM.count("previous_") == 4, "0004's claim changed shape; update this migration"
    op.execute(
        "ALTER TABLE job_events ADD COLUMN previous_visit_start timestamptz,"
        " ADD COLUMN previous_technician_ids bigint[]"
    )
    _replace_claim(_CLAIM)


def downgrade() -> None:
    _replace_claim(_RELAY._CLAIM)
    op.execute(
        "ALTER TABLE job_events DROP COLUMN previous_visit_start,"
        " DROP COLUMN previous_technician_ids"
    )
