"""auth: the login-attempt audit, admin unlock, idle session expiry (ADR 0018)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

`login_attempt` is an append-only log (one row per password check on /login): the
throttle and the lockout are computed from it. `user_account.unlocked_at` is where an
admin's `user.unlocked` event lets a locked account start afresh. `web_session.last_seen_at`
carries the idle timeout; sessions opened before this revision count from creation.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import habeas.db
from habeas.migrations.append_only import allow_rewrites, forbid_rewrites

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    info={'kind': 'log'}
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_client', ['client_key', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_username', ['username', 'at'], unique=False)
    forbid_rewrites('login_attempt')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlocked_at', habeas.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', habeas.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('unlocked_at')

    allow_rewrites('login_attempt')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_username')
        batch_op.drop_index('ix_login_attempt_client')

    op.drop_table('login_attempt')
