"""custody ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

The Merkle log over the events (stored hashes, checkpoints, cosignatures,
witness keys). Events recorded before this revision get their stored hashes
here, so every existing database gains a complete log.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from habeas.migrations.append_only import allow_rewrites, forbid_rewrites

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkpoint',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_checkpoint')),
    info={'kind': 'log'}
    )
    op.create_table('ledger_hash',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_ledger_hash')),
    info={'kind': 'log'}
    )
    op.create_table('cosignature',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('checkpoint_size', sa.BigInteger(), nullable=False),
    sa.Column('witness_name', sa.String(length=200), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_size'], ['checkpoint.size'], name=op.f('fk_cosignature_checkpoint_size_checkpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cosignature')),
    sa.UniqueConstraint('checkpoint_size', 'witness_name', name='uq_cosignature_witness'),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('cosignature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cosignature_checkpoint_size'), ['checkpoint_size'], unique=False)

    op.create_table('witness',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('vkey', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('registered_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_witness_user_id_user_account')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_witness'))
    )
    _backfill_ledger_hashes()
    for table in APPEND_ONLY:
        forbid_rewrites(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        allow_rewrites(table)
    op.drop_table('witness')
    with op.batch_alter_table('cosignature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cosignature_checkpoint_size'))

    op.drop_table('cosignature')
    op.drop_table('ledger_hash')
    op.drop_table('checkpoint')


APPEND_ONLY = ("ledger_hash", "checkpoint", "cosignature")


def _backfill_ledger_hashes() -> None:
    # Leaves are the envelope version 1 (a stable, published format), so the
    # migration may use the same functions that record new events.
    from sqlalchemy.orm import Session

    from habeas.ledger import merkle, store
    from habeas.ledger.leaf import leaf_bytes
    from habeas.ledger.models import Event

    session = Session(bind=op.get_bind())
    # Only the columns this revision knows: later revisions add columns (0015's
    # late_reason) that the table does not have yet here; the leaf reads them only
    # when present.
    known = [c for c in Event.__table__.columns if c.name != "late_reason"]
    leaves = [merkle.leaf_hash(leaf_bytes(e))
              for e in session.execute(sa.select(*known).order_by(Event.seq))]
    store.append_leaves(session, 0, leaves)
    session.flush()
