"""sealed ballots

Anonymous proposals get a ballot box that is sealed at close (issue 12):
- `proposals.ballot_key`: the random per-proposal key of an anonymous proposal's voter keys,
  kept only while it may still take votes (draft, open);
- `votes.voter_key`, `votes.created_at`, `votes.proposal_version` may be empty: an anonymous
  vote has no time, and a sealed ballot has no key, time or version;
- `participations.first_voted_at` (a moment) becomes `first_voted_on` (a day).

The data follows: open and draft anonymous proposals are re-keyed from the instance's secret key
to a key of their own; closed and withdrawn ones are sealed as services.seal does at close; the
nameless objection events of anonymous proposals are deleted (their times could be matched
against who voted when).

Revision ID: a7e1c0de0001
Revises: 6a0f7c7f3919
Create Date: 2026-12-03 08:00:00.000000

"""
import hashlib
import hmac
import json
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0001'
down_revision = '6a0f7c7f3919'
branch_labels = None
depends_on = None


proposals = sa.table(
    'proposals', sa.column('id', sa.Integer), sa.column('anonymous', sa.Boolean), sa.column('status', sa.String),
    sa.column('ballot_key', sa.String), sa.column('version', sa.Integer), sa.column('closed_at', sa.DateTime),
)
votes = sa.table(
    'votes', sa.column('id', sa.Integer), sa.column('proposal_id', sa.Integer), sa.column('voter_key', sa.String),
    sa.column('user_id', sa.Integer), sa.column('choice', sa.String), sa.column('option_ids', sa.JSON),
    sa.column('reason_md', sa.Text), sa.column('reason_html', sa.Text), sa.column('proposal_version', sa.Integer),
    sa.column('is_current', sa.Boolean), sa.column('objection_state', sa.String),
    sa.column('created_at', sa.DateTime),
)
participations = sa.table(
    'participations', sa.column('id', sa.Integer), sa.column('proposal_id', sa.Integer),
    sa.column('user_id', sa.Integer), sa.column('first_voted_on', sa.Date),
)
events = sa.table('events', sa.column('kind', sa.String), sa.column('target_type', sa.String),
                  sa.column('target_id', sa.Integer))


def _secret() -> bytes:
    from flask import current_app

    return current_app.config['SECRET_KEY'].encode()


def _old_key(secret: bytes, proposal_id: int, user_id: int) -> str:
    """The voter key before this revision: keyed with the instance's secret."""
    return hmac.new(secret, f'vote:{proposal_id}:{user_id}'.encode(), hashlib.sha256).hexdigest()


def _new_key(ballot_key: str, user_id: int) -> str:
    """The voter key from this revision on (services.voter_key): keyed with the proposal's own key."""
    return hmac.new(bytes.fromhex(ballot_key), f'ballot:{user_id}'.encode(), hashlib.sha256).hexdigest()


def _voters(conn, proposal_id: int) -> list[int]:
    return list(conn.scalars(sa.select(participations.c.user_id).where(participations.c.proposal_id == proposal_id)))


def _rekey(conn, proposal_id: int, ballot_key: str | None, to_new: bool) -> None:
    secret = _secret()
    for user_id in _voters(conn, proposal_id):
        old, new = _old_key(secret, proposal_id, user_id), _new_key(ballot_key, user_id)
        source, target = (old, new) if to_new else (new, old)
        conn.execute(votes.update().where(votes.c.proposal_id == proposal_id, votes.c.voter_key == source)
                     .values(voter_key=target))


def _content(row) -> tuple:
    return (row.choice, json.dumps(sorted(row.option_ids or [])), row.objection_state or '', row.reason_md or '')


def _seal(conn, proposal_id: int) -> None:
    """As services.seal: the current ballots again, in the order of their content, with no key, time
    or version; the earlier rows deleted; who took part written again in the order of their ids."""
    current = sorted(conn.execute(sa.select(votes).where(votes.c.proposal_id == proposal_id,
                                                         votes.c.is_current.is_(True))), key=_content)
    took_part = sorted(conn.execute(sa.select(participations.c.user_id, participations.c.first_voted_on)
                                    .where(participations.c.proposal_id == proposal_id)))
    conn.execute(votes.delete().where(votes.c.proposal_id == proposal_id))
    conn.execute(participations.delete().where(participations.c.proposal_id == proposal_id))
    for row in current:
        conn.execute(votes.insert().values(
            proposal_id=proposal_id, voter_key=None, user_id=None, choice=row.choice,
            option_ids=sorted(row.option_ids or []), reason_md=row.reason_md, reason_html=row.reason_html,
            proposal_version=None, is_current=True, objection_state=row.objection_state, created_at=None))
    for user_id, day in took_part:
        conn.execute(participations.insert().values(proposal_id=proposal_id, user_id=user_id, first_voted_on=day))


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('voter_key', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('proposal_version', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=True)
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_voted_on', sa.Date(), nullable=True))
    # date() is a function in SQLite and PostgreSQL alike.
    op.execute('UPDATE participations SET first_voted_on = date(first_voted_at)')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.alter_column('first_voted_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('first_voted_at')

    conn = op.get_bind()
    anonymous = conn.execute(sa.select(proposals.c.id, proposals.c.status).where(proposals.c.anonymous.is_(True))).all()
    for proposal_id, status in anonymous:
        if status in ('draft', 'open'):
            key = secrets.token_hex(32)
            conn.execute(proposals.update().where(proposals.c.id == proposal_id).values(ballot_key=key))
            _rekey(conn, proposal_id, key, to_new=True)
            conn.execute(votes.update().where(votes.c.proposal_id == proposal_id).values(created_at=None))
        else:
            _seal(conn, proposal_id)
    if anonymous:
        conn.execute(events.delete().where(events.c.kind.like('proposal.objection_%'),
                                           events.c.target_type == 'proposal',
                                           events.c.target_id.in_([p for p, _ in anonymous])))


def downgrade():
    conn = op.get_bind()
    # Votes get back a key, a time and a version; a sealed ballot gets a key of its own (nobody's).
    open_ones = conn.execute(sa.select(proposals.c.id, proposals.c.ballot_key).where(
        proposals.c.anonymous.is_(True), proposals.c.ballot_key.is_not(None))).all()
    for proposal_id, key in open_ones:
        _rekey(conn, proposal_id, key, to_new=False)
    conn.execute(votes.update().where(votes.c.voter_key.is_(None))
                 .values(voter_key=sa.literal('sealed:') + sa.cast(votes.c.id, sa.String)))
    conn.execute(votes.update().where(votes.c.proposal_version.is_(None)).values(proposal_version=1))
    closed_at = sa.select(proposals.c.closed_at).where(proposals.c.id == votes.c.proposal_id).scalar_subquery()
    conn.execute(votes.update().where(votes.c.created_at.is_(None))
                 .values(created_at=sa.func.coalesce(closed_at, sa.func.current_timestamp())))

    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_voted_at', sa.DateTime(), nullable=True))
    day = 'datetime(first_voted_on)' if conn.dialect.name == 'sqlite' else 'first_voted_on'
    op.execute(f'UPDATE participations SET first_voted_at = {day}')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.alter_column('first_voted_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column('first_voted_on')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('proposal_version', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('voter_key', existing_type=sa.String(length=64), nullable=False)
    # Not in batch mode: rebuilding `proposals` on SQLite would trip the foreign keys pointing at it;
    # SQLite drops a plain column in place (3.35 and later).
    op.drop_column('proposals', 'ballot_key')
