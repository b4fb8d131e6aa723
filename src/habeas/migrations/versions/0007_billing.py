"""billing: invoices, credit notes, payments and disputes (DESIGN.md §8)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoice',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('agreement_ref', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('credited_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_ref'], ['agreement.ref'], name=op.f('fk_invoice_agreement_ref_agreement')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_invoice')),
    sa.UniqueConstraint('agreement_ref', 'period', name='uq_invoice_agreement_period'),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_agreement_ref'), ['agreement_ref'], unique=False)

    op.create_table('credit_note',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('invoice_seq', sa.BigInteger(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('dispute_seq', sa.BigInteger(), nullable=True),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['invoice_seq'], ['invoice.seq'], name=op.f('fk_credit_note_invoice_seq_invoice')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_credit_note')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_note_number'))
    )
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_invoice_seq'), ['invoice_seq'], unique=False)

    op.create_table('dispute',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('invoice_seq', sa.BigInteger(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_reason', sa.String(length=1000), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('credit_note_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_seq'], ['invoice.seq'], name=op.f('fk_dispute_invoice_seq_invoice')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_dispute'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_invoice_seq'), ['invoice_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_status'), ['status'], unique=False)

    op.create_table('payment',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('invoice_seq', sa.BigInteger(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['invoice_seq'], ['invoice.seq'], name=op.f('fk_payment_invoice_seq_invoice')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoice_seq'), ['invoice_seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoice_seq'))

    op.drop_table('payment')
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_status'))
        batch_op.drop_index(batch_op.f('ix_dispute_invoice_seq'))

    op.drop_table('dispute')
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_invoice_seq'))

    op.drop_table('credit_note')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_agreement_ref'))

    op.drop_table('invoice')
