"""travel bookings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 22:51:56.052036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "travel_bookings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("booking", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("assumed", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner", "text_sha256", name="uq_travel_bookings_owner_text"),
    )
    with op.batch_alter_table("travel_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_travel_bookings_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("travel_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_travel_bookings_owner"))

    op.drop_table("travel_bookings")
