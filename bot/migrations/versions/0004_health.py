"""gpucost_health: one row per replica, written by GET /healthz, so the health check proves the
database takes writes (a read-only or locked database passes ``SELECT 1``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gpucost_health",
        sa.Column("replica", sa.String(200), primary_key=True),
        sa.Column("checked_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gpucost_health")
