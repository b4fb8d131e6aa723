"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29

The event log and read audit are append-only: triggers refuse UPDATE and
DELETE on both engines, so even a bug cannot rewrite a recorded fact.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from habeas.migrations.append_only import allow_rewrites, forbid_rewrites

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('v', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('party', sa.String(length=3), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('facility', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('payload_sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_event')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_subject'), ['subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_type'), ['type'], unique=False)

    op.create_table('facility',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=300), nullable=False),
    sa.Column('signed_capacity', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_facility'))
    )
    op.create_table('log_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_head')),
    info={'kind': 'log'}
    )
    op.create_table('party',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_party'))
    )
    op.create_table('read_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('record_kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_read_audit')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('read_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_read_audit_record_id'), ['record_id'], unique=False)

    op.create_table('agreement',
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('sending_party', sa.String(length=3), nullable=False),
    sa.Column('receiving_party', sa.String(length=3), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('renewable', sa.Boolean(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.Column('citizens_included', sa.Boolean(), nullable=False),
    sa.Column('profile_name', sa.String(length=64), nullable=False),
    sa.Column('profile_description', sa.String(length=300), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('registered_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_agreement_facility_code_facility')),
    sa.ForeignKeyConstraint(['receiving_party'], ['party.code'], name=op.f('fk_agreement_receiving_party_party')),
    sa.ForeignKeyConstraint(['sending_party'], ['party.code'], name=op.f('fk_agreement_sending_party_party')),
    sa.PrimaryKeyConstraint('ref', name=op.f('pk_agreement'))
    )
    op.create_table('building',
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_building_facility_code_facility')),
    sa.PrimaryKeyConstraint('facility_code', 'code', name=op.f('pk_building'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'sending', 'receiving', 'counsel', 'monitor', name='role', native_enum=False, length=16), nullable=False),
    sa.Column('party_code', sa.String(length=3), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['party.code'], name=op.f('fk_user_account_party_code_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('secret_sha256', name=op.f('uq_api_token_secret_sha256'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('cell',
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('building_code', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('cna', sa.Integer(), nullable=False),
    sa.Column('working_capacity', sa.Integer(), nullable=False),
    sa.Column('max_capacity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['facility_code', 'building_code'], ['building.facility_code', 'building.code'], name=op.f('fk_cell_facility_code_building')),
    sa.PrimaryKeyConstraint('facility_code', 'building_code', 'code', name=op.f('pk_cell'))
    )
    op.create_table('fee_schedule',
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('annual_rate_minor', sa.BigInteger(), nullable=True),
    sa.Column('per_diem_minor', sa.BigInteger(), nullable=True),
    sa.Column('proration', sa.String(length=16), nullable=False),
    sa.Column('intake_fee_minor', sa.BigInteger(), nullable=False),
    sa.Column('medical_cap_minor', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_fee_schedule_agreement_ref_agreement')),
    sa.PrimaryKeyConstraint('agreement_ref', 'effective_from', name=op.f('pk_fee_schedule'))
    )
    op.create_table('web_session',
    sa.Column('id_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_web_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id_sha256', name=op.f('pk_web_session')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)


    op.execute(sa.text("INSERT INTO log_head (id, size) VALUES (1, 0)"))
    for table in APPEND_ONLY:
        forbid_rewrites(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        allow_rewrites(table)
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))

    op.drop_table('web_session')
    op.drop_table('fee_schedule')
    op.drop_table('cell')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    op.drop_table('building')
    op.drop_table('agreement')
    with op.batch_alter_table('read_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_read_audit_record_id'))

    op.drop_table('read_audit')
    op.drop_table('party')
    op.drop_table('log_head')
    op.drop_table('facility')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_type'))
        batch_op.drop_index(batch_op.f('ix_event_subject'))

    op.drop_table('event')


APPEND_ONLY = ("event", "read_audit")
