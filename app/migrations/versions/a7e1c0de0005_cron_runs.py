"""cron runs: the last run of each scheduled command, for `flask doctor`

One row per command (`decisions close-due`, `notify due`, `mail send-queued`, `mail digest`,
`search retry`): when it last started and finished, whether it succeeded, how many runs.

Revision ID: a7e1c0de0005
Revises: a7e1c0de0004
Create Date: 2026-12-03 15:00:01.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0005'
down_revision = 'a7e1c0de0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cron_runs',
    sa.Column('command', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('command', name=op.f('pk_cron_runs'))
    )


def downgrade():
    op.drop_table('cron_runs')
