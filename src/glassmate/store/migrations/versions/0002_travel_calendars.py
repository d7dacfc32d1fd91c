"""travel calendars

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 21:03:55.346544
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "travel_calendars",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("ics", sa.Text(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("travel_calendars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_travel_calendars_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("travel_calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_travel_calendars_owner"))

    op.drop_table("travel_calendars")
