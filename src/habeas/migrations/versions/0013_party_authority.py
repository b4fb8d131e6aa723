"""authority: agreement change proposals and each side's part of a handover (DESIGN.md §12.1)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

`agreement_change` holds proposals to renew an agreement, change its fees or hold one
person past its term: in force only once the other party accepts. `handover_part`
holds each state's own part of a handover or handback; custody passes once both are
recorded. Both are projections, rebuilt by replay; a database that already holds events
gets them filled once the schema is at head (habeas.migrate runs
habeas.agreements.service.rebuild_authority, with head's code).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

import habeas.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

REBUILD = "habeas.agreements.service:rebuild_authority"


def upgrade() -> None:
    op.create_table('agreement_change',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=True),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('proposed_by', sa.String(length=200), nullable=False),
    sa.Column('proposed_party', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_party', sa.String(length=3), nullable=True),
    sa.Column('decided_seq', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_agreement_change_agreement_ref_agreement')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_agreement_change'))
    )
    with op.batch_alter_table('agreement_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_change_agreement_ref'), ['agreement_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_change_status'), ['status'], unique=False)

    op.create_table('handover_part',
    sa.Column('manifest_id', sa.String(length=16), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('officer', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('handed_over_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('biometric_reference_sha256', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifest.id'], name=op.f('fk_handover_part_manifest_id_manifest')),
    sa.PrimaryKeyConstraint('manifest_id', 'public_id', 'side', name=op.f('pk_handover_part'))
    )

    if op.get_bind().execute(sa.text("SELECT size FROM log_head WHERE id = 1")).scalar():
        # Existing events: their proposals and handover parts, once the schema is at head.
        context.config.attributes.setdefault("after_upgrade", []).append(REBUILD)


def downgrade() -> None:
    op.drop_table('handover_part')
    with op.batch_alter_table('agreement_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_change_status'))
        batch_op.drop_index(batch_op.f('ix_agreement_change_agreement_ref'))

    op.drop_table('agreement_change')
