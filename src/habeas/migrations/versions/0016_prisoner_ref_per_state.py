"""custody: a prisoner's local reference is unique per facility and legal custodian

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

A transferee's local reference is the sending state's external_ref, unique only within
that state (DESIGN.md §12.1): two agreements sending to one prison may each hold an "X".
The prison's own references (domestic prisoners) stay unique under its own state. The
prisoner table is a projection, so SQLite's batch copy of it rewrites no ledger row
(habeas.migrate turns SQLite's foreign keys off around it, as SQLite prescribes).
"""
from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.drop_constraint('uq_prisoner_facility_ref', type_='unique')
        batch_op.create_unique_constraint(
            'uq_prisoner_facility_ref', ['facility_code', 'legal_custodian', 'local_ref'])


def downgrade() -> None:
    with op.batch_alter_table('prisoner', schema=None) as batch_op:
        batch_op.drop_constraint('uq_prisoner_facility_ref', type_='unique')
        batch_op.create_unique_constraint(
            'uq_prisoner_facility_ref', ['facility_code', 'local_ref'])
