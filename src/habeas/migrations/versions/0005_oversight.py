"""oversight: inspections, findings and grievances

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspection',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('announced', sa.Boolean(), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('inspectors', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', habeas.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_inspection_facility_code_facility')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_inspection'))
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_facility_code'), ['facility_code'], unique=False)

    op.create_table('finding',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('inspection_seq', sa.BigInteger(), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('response_due', sa.Date(), nullable=False),
    sa.Column('people_concerned', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=True),
    sa.Column('responded_on', sa.Date(), nullable=True),
    sa.Column('responded_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_finding_facility_code_facility')),
    sa.ForeignKeyConstraint(['inspection_seq'], ['inspection.seq'], name=op.f('fk_finding_inspection_seq_inspection')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_facility_code'), ['facility_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_inspection_seq'), ['inspection_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_status'), ['status'], unique=False)

    op.create_table('grievance',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('filed_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('filed_by_role', sa.String(length=32), nullable=False),
    sa.Column('filed_by_name', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('alleges_ill_treatment', sa.Boolean(), nullable=False),
    sa.Column('concerns_staff', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('responded_by', sa.String(length=200), nullable=True),
    sa.Column('responded_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('closed_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('close_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_grievance_facility_code_facility')),
    sa.ForeignKeyConstraint(['public_id'], ['prisoner.public_id'], name=op.f('fk_grievance_public_id_prisoner')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_grievance'))
    )
    with op.batch_alter_table('grievance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievance_facility_code'), ['facility_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievance_public_id'), ['public_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievance_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('grievance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievance_status'))
        batch_op.drop_index(batch_op.f('ix_grievance_public_id'))
        batch_op.drop_index(batch_op.f('ix_grievance_facility_code'))

    op.drop_table('grievance')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_status'))
        batch_op.drop_index(batch_op.f('ix_finding_inspection_seq'))
        batch_op.drop_index(batch_op.f('ix_finding_facility_code'))

    op.drop_table('finding')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_facility_code'))

    op.drop_table('inspection')
