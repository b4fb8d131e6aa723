"""locator: the public locator's index and its search log (DESIGN.md §9)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

The index is derived from events. A database that already holds events gets it
filled after the schema reaches head: this migration asks habeas.migrate to run
habeas.locator.service.rebuild_index then (ADR 0015), so the step always runs with
the code and the schema of head, never with this revision's.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

import habeas.db
from habeas.migrations.append_only import allow_rewrites, forbid_rewrites

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

REBUILD = "habeas.locator.service:rebuild_index"


def upgrade() -> None:
    op.create_table('locator_search',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('searched_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('query_sha256', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locator_search')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('locator_search', schema=None) as batch_op:
        batch_op.create_index('ix_locator_search_client', ['client', 'searched_at'], unique=False)
    forbid_rewrites('locator_search')

    op.create_table('locator_entry',
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('family_name', sa.String(length=300), nullable=False),
    sa.Column('given_names', sa.String(length=300), nullable=False),
    sa.Column('family_key', sa.String(length=300), nullable=False),
    sa.Column('given_key', sa.String(length=300), nullable=False),
    sa.Column('birth_country', sa.String(length=3), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('external_ref_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('facility_code', sa.String(length=64), nullable=False),
    sa.Column('legal_custodian', sa.String(length=3), nullable=False),
    sa.Column('status_changed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['facility_code'], ['facility.code'], name=op.f('fk_locator_entry_facility_code_facility')),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_locator_entry'))
    )
    with op.batch_alter_table('locator_entry', schema=None) as batch_op:
        batch_op.create_index('ix_locator_entry_birth', ['birth_country', 'date_of_birth'], unique=False)
        batch_op.create_index('ix_locator_entry_name', ['birth_country', 'family_key', 'given_key'], unique=False)
        batch_op.create_index('ix_locator_entry_ref', ['external_ref_key'], unique=False)

    op.create_table('locator_document',
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('number_key', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['public_id'], ['locator_entry.public_id'], name=op.f('fk_locator_document_public_id_locator_entry')),
    sa.PrimaryKeyConstraint('public_id', 'number_key', name=op.f('pk_locator_document'))
    )
    with op.batch_alter_table('locator_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locator_document_number_key'), ['number_key'], unique=False)

    if op.get_bind().execute(sa.text("SELECT size FROM log_head WHERE id = 1")).scalar():
        # Existing events: fill the index once the schema is at head (habeas.migrate).
        context.config.attributes.setdefault("after_upgrade", []).append(REBUILD)


def downgrade() -> None:
    with op.batch_alter_table('locator_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locator_document_number_key'))

    op.drop_table('locator_document')
    with op.batch_alter_table('locator_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_locator_entry_ref')
        batch_op.drop_index('ix_locator_entry_name')
        batch_op.drop_index('ix_locator_entry_birth')

    op.drop_table('locator_entry')
    allow_rewrites('locator_search')
    with op.batch_alter_table('locator_search', schema=None) as batch_op:
        batch_op.drop_index('ix_locator_search_client')

    op.drop_table('locator_search')
