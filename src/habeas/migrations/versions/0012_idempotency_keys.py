"""api: stored responses of POSTs sent with an Idempotency-Key (ADR 0019)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

`idempotency_key` holds, per authenticated principal and client key, the request's
fingerprint and the response it got, written in the same transaction as the request's
events. Operational, not a projection: replay does not rebuild it, and rows older than
24 hours are deleted as new ones are stored.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_key',
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=True),
    sa.Column('location', sa.String(length=500), nullable=True),
    sa.Column('created_at', habeas.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_key')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_key_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_key_created_at')

    op.drop_table('idempotency_key')
