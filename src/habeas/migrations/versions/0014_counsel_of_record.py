"""counsel of record; who registered a court order, for whom, and how it was lifted

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07

`counsel_appearance` is the projection of `counsel.appeared` / `counsel.withdrew`
(DESIGN.md §12.1: counsel of record is a recorded link). `hold` gains who registered
the order and the sending state it binds (who may lift it), the lifting court document,
and when the lift was recorded (a lift counts from then, §12.2). Existing orders take
their registrant and state from their `hold.registered` event; `habeas replay` fills the
lift columns of orders lifted before this revision.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counsel_appearance',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('counsel', sa.String(length=64), nullable=False),
    sa.Column('counsel_name', sa.String(length=200), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('court', sa.String(length=300), nullable=True),
    sa.Column('case_number', sa.String(length=100), nullable=True),
    sa.Column('engagement', sa.String(length=300), nullable=True),
    sa.Column('appeared_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('withdrawn_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('withdrawal_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_counsel_appearance'))
    )
    with op.batch_alter_table('counsel_appearance', schema=None) as batch_op:
        batch_op.create_index('ix_counsel_appearance_counsel_status', ['counsel', 'status'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_counsel_appearance_public_id'), ['public_id'],
                              unique=False)

    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('party', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('lift_document', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('lifted_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('lift_recorded_at', habeas.db.UTCDateTime(),
                                      nullable=True))
    op.execute("UPDATE hold SET registered_by = (SELECT actor FROM event "
               "WHERE event.seq = hold.registered_seq), party = (SELECT party FROM event "
               "WHERE event.seq = hold.registered_seq)")


def downgrade() -> None:
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_column('lift_recorded_at')
        batch_op.drop_column('lifted_seq')
        batch_op.drop_column('lift_document')
        batch_op.drop_column('party')
        batch_op.drop_column('registered_by')

    with op.batch_alter_table('counsel_appearance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counsel_appearance_public_id'))
        batch_op.drop_index('ix_counsel_appearance_counsel_status')

    op.drop_table('counsel_appearance')
