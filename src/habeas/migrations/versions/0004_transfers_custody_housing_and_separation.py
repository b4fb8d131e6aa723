"""transfers, custody, housing and separation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('party', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=True),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('raised_at', habeas.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_party'), ['party'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_seq'), ['seq'], unique=False)

    op.create_table('non_association',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('person_a', sa.String(length=16), nullable=False),
    sa.Column('role_a', sa.String(length=100), nullable=False),
    sa.Column('person_b', sa.String(length=16), nullable=False),
    sa.Column('role_b', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_non_association'))
    )
    with op.batch_alter_table('non_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_non_association_person_a'), ['person_a'], unique=False)
        batch_op.create_index(batch_op.f('ix_non_association_person_b'), ['person_b'], unique=False)

    op.create_table('capacity_change',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('previous_capacity', sa.Integer(), nullable=False),
    sa.Column('requested_capacity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_capacity_change_facility_code_facility')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_capacity_change'))
    )
    with op.batch_alter_table('capacity_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_change_facility_code'), ['facility_code'], unique=False)

    op.create_table('prisoner',
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('local_ref', sa.String(length=64), nullable=False),
    sa.Column('family_name', sa.String(length=300), nullable=False),
    sa.Column('given_names', sa.String(length=300), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('legal_status', sa.String(length=16), nullable=False),
    sa.Column('affiliation_group', sa.String(length=100), nullable=True),
    sa.Column('affiliation_basis', sa.String(length=16), nullable=False),
    sa.Column('affiliation_source', sa.String(length=300), nullable=True),
    sa.Column('security_level', sa.String(length=16), nullable=True),
    sa.Column('legal_custodian', sa.String(length=3), nullable=False),
    sa.Column('physical_custodian', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('building_code', sa.String(length=64), nullable=True),
    sa.Column('cell_code', sa.String(length=64), nullable=True),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('admitted_seq', sa.BigInteger(), nullable=False),
    sa.Column('intake_seq', sa.BigInteger(), nullable=True),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_prisoner_facility_code_facility')),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_prisoner')),
    sa.UniqueConstraint('facility_code', 'local_ref', name='uq_prisoner_facility_ref')
    )
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.create_index('ix_prisoner_cell', ['facility_code', 'building_code', 'cell_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_prisoner_facility_code'), ['facility_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_prisoner_status'), ['status'], unique=False)

    op.create_table('intake',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('officer', sa.String(length=200), nullable=False),
    sa.Column('document_checked', sa.String(length=200), nullable=False),
    sa.Column('biometric_match', sa.Boolean(), nullable=True),
    sa.Column('visible_injuries', sa.Text(), nullable=False),
    sa.Column('ill_treatment_complaint', sa.Text(), nullable=False),
    sa.Column('property_items', sa.JSON(), nullable=False),
    sa.Column('contacts', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('medical_flags', sa.JSON(), nullable=False),
    sa.Column('security_level', sa.String(length=16), nullable=False),
    sa.Column('affiliation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['public_id'], ['prisoner.public_id'], name=op.f('fk_intake_public_id_prisoner')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_intake'))
    )
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_public_id'), ['public_id'], unique=False)

    op.create_table('manifest',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('departure_date', sa.Date(), nullable=False),
    sa.Column('legs', sa.JSON(), nullable=False),
    sa.Column('planned_by', sa.String(length=200), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=True),
    sa.Column('departed_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('arrived_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_manifest_agreement_ref_agreement')),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_manifest_facility_code_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest'))
    )
    with op.batch_alter_table('manifest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manifest_agreement_ref'), ['agreement_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_status'), ['status'], unique=False)

    op.create_table('manifest_person',
    sa.Column('manifest_id', sa.String(length=16), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('gates', sa.JSON(), nullable=False),
    sa.Column('handed_over_seq', sa.BigInteger(), nullable=True),
    sa.Column('handed_over_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('sending_officer', sa.String(length=200), nullable=True),
    sa.Column('receiving_officer', sa.String(length=200), nullable=True),
    sa.Column('biometric_reference_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifest.id'], name=op.f('fk_manifest_person_manifest_id_manifest')),
    sa.ForeignKeyConstraint(['public_id'], ['nomination.public_id'], name=op.f('fk_manifest_person_public_id_nomination')),
    sa.PrimaryKeyConstraint('manifest_id', 'public_id', name=op.f('pk_manifest_person'))
    )
    with op.batch_alter_table('manifest_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manifest_person_public_id'), ['public_id'], unique=False)

    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('cell', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.add_column(sa.Column('separation', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('separation')

    with op.batch_alter_table('cell', schema=None) as batch_op:
        batch_op.drop_column('attributes')

    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_column('attributes')
        batch_op.drop_column('sex')

    with op.batch_alter_table('manifest_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manifest_person_public_id'))

    op.drop_table('manifest_person')
    with op.batch_alter_table('manifest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manifest_status'))
        batch_op.drop_index(batch_op.f('ix_manifest_agreement_ref'))

    op.drop_table('manifest')
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_public_id'))

    op.drop_table('intake')
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prisoner_status'))
        batch_op.drop_index(batch_op.f('ix_prisoner_facility_code'))
        batch_op.drop_index('ix_prisoner_cell')

    op.drop_table('prisoner')
    with op.batch_alter_table('capacity_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capacity_change_facility_code'))

    op.drop_table('capacity_change')
    with op.batch_alter_table('non_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_non_association_person_b'))
        batch_op.drop_index(batch_op.f('ix_non_association_person_a'))

    op.drop_table('non_association')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_seq'))
        batch_op.drop_index(batch_op.f('ix_alert_party'))

    op.drop_table('alert')
