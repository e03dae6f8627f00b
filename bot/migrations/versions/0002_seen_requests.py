"""The replay record: signatures and event ids of requests taken in the last minutes (bot.gate).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gpucost_seen_requests",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("gpucost_seen_requests_at_idx", "gpucost_seen_requests", ["seen_at"])


def downgrade() -> None:
    op.drop_index("gpucost_seen_requests_at_idx", table_name="gpucost_seen_requests")
    op.drop_table("gpucost_seen_requests")
