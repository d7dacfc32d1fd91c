"""the baseline's tables that a database stamped as the baseline lacks

Until this revision, a database made before migrations was stamped as the baseline whatever it held, so one made
by a version from before meetings existed was left without `meetings` and `voiceprints` (meetings failed, and
the retention task logged an error every round). This creates whichever of the baseline's tables are missing,
with their indexes, by running the baseline revision's upgrade, which skips the tables that exist. A database
migrated from empty has them all: nothing happens. Later revisions do not change the baseline's tables, so the
baseline's definitions are still the current ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

from alembic import op
from alembic.script import ScriptDirectory

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    config = op.get_context().config
    assert config is not None  # migrations run through alembic's commands (store/migrate.py, the alembic CLI)
    baseline = ScriptDirectory.from_config(config).get_revision("0001")
    assert baseline is not None
    baseline.module.upgrade()


def downgrade() -> None:
    pass  # the tables belong to the baseline; downgrading past 0001 drops them
