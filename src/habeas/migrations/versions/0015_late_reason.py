"""ledger: an event's late_reason, why it was recorded past its late window (§12.2)

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07

A nullable column added in place (ALTER TABLE ADD COLUMN on both engines), so the
event table keeps its append-only triggers and no row is rewritten. Leaves carry
`late_reason` only when it is set: every leaf recorded before this revision keeps
its bytes (habeas.ledger.leaf.envelope).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('event', sa.Column('late_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    # Dropping a column rewrites the table on SQLite; batch mode copies the rows, which
    # the append-only triggers would refuse as updates, so they are lifted around it.
    from habeas.migrations.append_only import allow_rewrites, forbid_rewrites

    allow_rewrites('event')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('late_reason')
    forbid_rewrites('event')
