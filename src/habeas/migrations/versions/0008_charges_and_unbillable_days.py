"""billing: pass-through charges, fee conventions and caps, unbillable stays (DESIGN.md §8)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('charge',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_charge_agreement_ref_agreement')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_charge'))
    )
    with op.batch_alter_table('charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charge_agreement_ref'), ['agreement_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_charge_incurred_on'), ['incurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_charge_public_id'), ['public_id'], unique=False)

    with op.batch_alter_table('fee_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repatriation_cap_minor', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('convention', sa.String(length=32), server_default='arrival_not_departure', nullable=False))

    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_flagged_at', habeas.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('return_flagged_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('erroneous_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('erroneous_reason', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.drop_column('erroneous_reason')
        batch_op.drop_column('erroneous_seq')
        batch_op.drop_column('return_flagged_seq')
        batch_op.drop_column('return_flagged_at')

    with op.batch_alter_table('fee_schedule', schema=None) as batch_op:
        batch_op.drop_column('convention')
        batch_op.drop_column('repatriation_cap_minor')

    with op.batch_alter_table('charge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charge_public_id'))
        batch_op.drop_index(batch_op.f('ix_charge_incurred_on'))
        batch_op.drop_index(batch_op.f('ix_charge_agreement_ref'))

    op.drop_table('charge')
