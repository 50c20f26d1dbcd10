"""search outbox: a backlog row is written with every change, in its transaction

`changes` counts the commits that touched an item since its row was written: the process
that indexes the item deletes the row only if no later commit touched it meanwhile.

Revision ID: a7e1c0de0006
Revises: a7e1c0de0005
Create Date: 2026-12-03 15:00:02.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0006'
down_revision = 'a7e1c0de0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_backlog', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_search_backlog_queued_at'), ['queued_at'], unique=False)


def downgrade():
    with op.batch_alter_table('search_backlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_backlog_queued_at'))
        batch_op.drop_column('changes')
