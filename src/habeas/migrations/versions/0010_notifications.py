"""notify: the notification outbox, subscriptions, the consulate directory (DESIGN.md §9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

The outbox is derived from events (ADR 0016). A database that already holds events gets
the notifications those events owed once the schema reaches head: this migration asks
habeas.migrate to run habeas.notify.service.rebuild_outbox then, with head's code. The
intake record gains the person's requests not to notify (Mandela Rules 68-69; VCCR
art. 36(1)(b)); earlier intakes made none.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

import habeas.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

REBUILD = "habeas.notify.service:rebuild_outbox"


def upgrade() -> None:
    op.create_table('consulate',
    sa.Column('nationality', sa.String(length=3), nullable=False),
    sa.Column('host_country', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('nationality', 'host_country', name=op.f('pk_consulate'))
    )
    op.create_table('subscription',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('client_key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('confirmed_seq', sa.BigInteger(), nullable=True),
    sa.Column('revoked_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription'))
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_client', ['client_key', 'requested_at'], unique=False)
        batch_op.create_index('ix_subscription_person', ['public_id', 'status'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('recipient_name', sa.String(length=300), nullable=True),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subscription_id', sa.String(length=16), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', habeas.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('last_attempt_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('delivered_at', habeas.db.UTCDateTime(), nullable=True),
    sa.Column('outcome_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_notification_subscription_id_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_notification_idempotency_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_seq'), ['seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_subject'), ['subject'], unique=False)

    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.add_column(sa.Column('do_not_notify', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('do_not_notify_consulate', sa.Boolean(), server_default=sa.false(), nullable=False))

    if op.get_bind().execute(sa.text("SELECT size FROM log_head WHERE id = 1")).scalar():
        # Existing events: owe their notifications once the schema is at head (habeas.migrate).
        context.config.attributes.setdefault("after_upgrade", []).append(REBUILD)


def downgrade() -> None:
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_column('do_not_notify_consulate')
        batch_op.drop_column('do_not_notify')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_subject'))
        batch_op.drop_index(batch_op.f('ix_notification_seq'))
        batch_op.drop_index('ix_notification_due')

    op.drop_table('notification')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_person')
        batch_op.drop_index('ix_subscription_client')

    op.drop_table('subscription')
    op.drop_table('consulate')
