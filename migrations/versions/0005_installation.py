"""installation: one random id per database, naming this deployment's bus channels

Revision ID: 0005
Revises: 0004

Redis pub/sub channels are global to a Redis server, whatever database number a client
selects, so two deployments sharing one Redis would hear each other's `company:1:board`. Every
process of a deployment reads this id at start-up and prefixes its channels with it: processes
on the same database share channels however they reach it, and nothing else does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE opus_installation (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            created_at timestamptz NOT NULL DEFAULT now(),
            -- One row, ever.
            only_one boolean NOT NULL DEFAULT true UNIQUE CHECK (only_one)
        )
        """
    )
    op.execute("INSERT INTO opus_installation DEFAULT VALUES")
    # The API reads it; nobody changes it (default privileges would grant writes too).
    op.execute("REVOKE ALL ON opus_installation FROM opus_app")
    op.execute("GRANT SELECT ON opus_installation TO opus_app")


def downgrade() -> None:
    op.execute("DROP TABLE opus_installation")
