"""submission keys: a form that creates something is answered once per key

Every create form carries a one-time key; the first POST that commits with it records the
key (in the same transaction as what it created) and where its result is, so a repeated POST
— a retry after a dropped connection, a second press of "send" — is shown that result
instead of creating a second copy.

Revision ID: a7e1c0de0004
Revises: a7e1c0de0003
Create Date: 2026-12-03 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0004'
down_revision = 'a7e1c0de0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('key', name=op.f('uq_submission_keys_key'))
    )
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_keys_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_keys_created_at'))
    op.drop_table('submission_keys')
