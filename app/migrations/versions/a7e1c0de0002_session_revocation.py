"""session revocation: one row per signed-in browser; stored time zones made canonical

Logging out now ends a sign-in on the server: each browser's session and remember cookies
carry the key of a `login_sessions` row, and deleting the row kills every copy of them.
This replaces the per-person `users.session_token` (everyone is logged out once by this upgrade).

Time zones saved before they were checked (`Factory`, `posix/Asia/Seoul`, …) broke every
page with a date: aliases become their canonical name, the rest the default.

Revision ID: a7e1c0de0002
Revises: a7e1c0de0001
Create Date: 2026-12-03 08:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0002'
down_revision = 'a7e1c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_login_sessions_key_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
    # recreate="never": SQLite (3.35+) drops the column in place. Rebuilding `users` instead
    # would fail on a database with people in it, whom every other table points at.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('session_token')
    _canonical_time_zones()


def _canonical_time_zones():
    from app.core.i18n import canonical_zone, usable_zone

    bind = op.get_bind()
    for table, fallback in (('users', None), ('groups', usable_zone())):
        zones = sa.table(table, sa.column('timezone', sa.String))
        for (stored,) in bind.execute(sa.select(zones.c.timezone).distinct()).all():
            fixed = canonical_zone(stored) or fallback
            if stored is not None and fixed != stored:
                bind.execute(sa.update(zones).where(zones.c.timezone == stored).values(timezone=fixed))


def downgrade():
    # Left nullable: making it NOT NULL would rebuild `users` (see upgrade); the old code always sets it.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(sa.update(users).where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(16)))
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
