"""release, return, solitary, contact, deaths and integrity runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrity_run',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('recorded_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_integrity_run'))
    )
    with op.batch_alter_table('integrity_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_run_as_of'), ['as_of'], unique=False)

    op.create_table('contact',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('with_whom', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['public_id'], ['prisoner.public_id'], name=op.f('fk_contact_public_id_prisoner')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_contact'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_public_id'), ['public_id'], unique=False)

    op.create_table('death',
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('died_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('circumstances', sa.Text(), nullable=False),
    sa.Column('obligations', sa.JSON(), nullable=False),
    sa.Column('investigation_body', sa.String(length=300), nullable=True),
    sa.Column('investigation_ref', sa.String(length=100), nullable=True),
    sa.Column('investigation_opened_on', sa.Date(), nullable=True),
    sa.Column('investigation_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['public_id'], ['prisoner.public_id'], name=op.f('fk_death_public_id_prisoner')),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_death'))
    )
    op.create_table('solitary',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('started_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('authorised_by', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('ended_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('end_seq', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=200), nullable=True),
    sa.Column('review_outcome', sa.String(length=1000), nullable=True),
    sa.Column('review_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['public_id'], ['prisoner.public_id'], name=op.f('fk_solitary_public_id_prisoner')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_solitary'))
    )
    with op.batch_alter_table('solitary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solitary_public_id'), ['public_id'], unique=False)

    with op.batch_alter_table('manifest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=16), nullable=False,
                                      server_default='outbound'))

    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentence_expiry', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('release_working', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('release_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('term_renewed_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('return_hold_ref', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('return_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_at', habeas.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('left_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('last_family_contact', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.drop_column('last_family_contact')
        batch_op.drop_column('left_seq')
        batch_op.drop_column('left_at')
        batch_op.drop_column('return_deadline')
        batch_op.drop_column('return_hold_ref')
        batch_op.drop_column('term_renewed_until')
        batch_op.drop_column('release_seq')
        batch_op.drop_column('release_working')
        batch_op.drop_column('sentence_expiry')

    with op.batch_alter_table('manifest', schema=None) as batch_op:
        batch_op.drop_column('direction')

    with op.batch_alter_table('solitary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solitary_public_id'))

    op.drop_table('solitary')
    op.drop_table('death')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_public_id'))

    op.drop_table('contact')
    with op.batch_alter_table('integrity_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_run_as_of'))

    op.drop_table('integrity_run')
