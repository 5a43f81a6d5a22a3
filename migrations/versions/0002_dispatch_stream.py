"""dispatch: event stream positions, late alerts, visit event index

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE job_event_positions")
    op.execute("GRANT USAGE, SELECT ON SEQUENCE job_event_positions TO opus_app")
    op.add_column("visits", sa.Column("late_alerted_at", sa.DateTime(timezone=True)))
    op.create_index("ix_job_events_job_position", "job_events", ["job_id", "position"])
    op.create_index("ix_job_events_visit", "job_events", ["visit_id", "seq"])
    op.create_index(
        "ix_job_events_positioned_unpublished",
        "job_events",
        ["position"],
        postgresql_where=sa.text("position IS NOT NULL AND published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_job_events_positioned_unpublished", table_name="job_events")
    op.drop_index("ix_job_events_visit", table_name="job_events")
    op.drop_index("ix_job_events_job_position", table_name="job_events")
    op.drop_column("visits", "late_alerted_at")
    op.execute("DROP SEQUENCE job_event_positions")
