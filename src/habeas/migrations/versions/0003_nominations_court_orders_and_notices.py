"""nominations, court orders and notices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hold',
    sa.Column('hold_ref', sa.String(length=100), nullable=False),
    sa.Column('court', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('issued', sa.Date(), nullable=False),
    sa.Column('expires', sa.Date(), nullable=True),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('bars_removal_to', sa.JSON(), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('lift_reason', sa.String(length=500), nullable=True),
    sa.Column('registered_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('hold_ref', name=op.f('pk_hold'))
    )
    op.create_table('nomination',
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('sending_party', sa.String(length=3), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=False),
    sa.Column('family_name', sa.String(length=300), nullable=False),
    sa.Column('given_names', sa.String(length=300), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('nationalities', sa.JSON(), nullable=False),
    sa.Column('nationality_codes', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('data_sha256', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('failed_rules', sa.String(length=300), nullable=False),
    sa.Column('screened_as_of', sa.Date(), nullable=True),
    sa.Column('received_seq', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_nomination_agreement_ref_agreement')),
    sa.ForeignKeyConstraint(['sending_party'], ['party.code'], name=op.f('fk_nomination_sending_party_party')),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_nomination')),
    sa.UniqueConstraint('sending_party', 'external_ref', name='uq_nomination_party_ref')
    )
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nomination_agreement_ref'), ['agreement_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_nomination_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_nomination_status'), ['status'], unique=False)

    op.create_table('notice',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('acknowledged', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['public_id'], ['nomination.public_id'], name=op.f('fk_notice_public_id_nomination')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_public_id'), ['public_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_public_id'))

    op.drop_table('notice')
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nomination_status'))
        batch_op.drop_index(batch_op.f('ix_nomination_decision'))
        batch_op.drop_index(batch_op.f('ix_nomination_agreement_ref'))

    op.drop_table('nomination')
    op.drop_table('hold')
