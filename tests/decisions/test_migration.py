"""The sealed-ballots migration (a7e1c0de0001) brings stored votes into the new rules and back.

Going up, open anonymous proposals are re-keyed from the instance's secret to a key of their own,
closed ones are sealed (no key, time, version or history; ballots in the order of their content),
who took part is kept to the day, and the nameless objection events of anonymous proposals go.
"""
import hashlib
import hmac
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.decisions import ballots
from app.decisions.models import Proposal
from app.core.extensions import db
from tests.conftest import ON_POSTGRES
from tests.decisions.helpers import DecisionScene

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="rebuilds the schema; the PostgreSQL run shares one database")

BEFORE = "6a0f7c7f3919"


def _rows(app, sql, **params):
    with app.app_context():
        return [tuple(r) for r in db.session.execute(text(sql), params)]


def _run(app, sql, **params):
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()


def _old_key(app, pid, uid):
    return hmac.new(app.config["SECRET_KEY"].encode(), f"vote:{pid}:{uid}".encode(), hashlib.sha256).hexdigest()


def test_the_migration_rekeys_open_ballot_boxes_and_seals_closed_ones(app, make_cast):
    scene = DecisionScene(app, make_cast("coop", "private"))
    a, b, c = (scene.uid(h) for h in scene.crowd(3))
    still_open = scene.propose("facilitator", anonymous=True)
    was_closed = scene.propose("facilitator", anonymous=True)
    ordinary = scene.propose("facilitator")
    for pid in (still_open, was_closed, ordinary):
        scene.vote(pid, a, "object", "Zebra: nobody insured it.")
        scene.vote(pid, b, "consent", "")
        scene.vote(pid, c, "consent", "")
        scene.vote(pid, c, "concern", "Aardvark: where will it live?")  # a change: history
    with app.app_context():
        downgrade(revision=BEFORE)
    # As the old code left a closed anonymous proposal: keyed with the secret, times, a nameless event.
    assert {k for k, in _rows(app, "SELECT voter_key FROM votes WHERE proposal_id = :p AND is_current", p=was_closed)} \
        == {_old_key(app, was_closed, uid) for uid in (a, b, c)}
    _run(app, "UPDATE votes SET created_at = '2026-01-05 10:00:00.000000' WHERE created_at IS NULL")
    _run(app, "UPDATE proposals SET status = 'closed', result = 'not_adopted' WHERE id = :p", p=was_closed)
    _run(app, "INSERT INTO events (group_id, actor_id, kind, target_type, target_id, created_at, payload) "
              "VALUES (:g, NULL, 'proposal.objection_resolved', 'proposal', :p, '2026-01-05 11:00:00', '{}')",
         g=scene.group_id, p=was_closed)
    first_voted = _rows(app, "SELECT first_voted_at FROM participations WHERE proposal_id = :p", p=ordinary)
    assert all(isinstance(v, str) and ":" in v for v, in first_voted)

    with app.app_context():
        upgrade()

    with scene.ctx():
        proposal = db.session.get(Proposal, still_open)
        assert proposal.ballot_key
        votes = ballots.current_votes(proposal)
        mine = {uid: ballots.my_vote(scene.user(uid), proposal, votes).choice for uid in (a, b, c)}
        assert mine == {a: "object", b: "consent", c: "concern"}
    rows = _rows(app, "SELECT created_at, is_current FROM votes WHERE proposal_id = :p", p=still_open)
    assert len(rows) == 4 and {t for t, _ in rows} == {None}  # history kept while open, with no times

    sealed = _rows(app, "SELECT voter_key, created_at, proposal_version, user_id, is_current, choice, reason_md "
                        "FROM votes WHERE proposal_id = :p ORDER BY id", p=was_closed)
    assert [r[:5] for r in sealed] == [(None, None, None, None, 1)] * 3
    assert [r[5:] for r in sealed] == sorted([("concern", "Aardvark: where will it live?"), ("consent", ""),
                                              ("object", "Zebra: nobody insured it.")])
    assert _rows(app, "SELECT ballot_key FROM proposals WHERE id = :p", p=was_closed) == [(None,)]
    assert _rows(app, "SELECT user_id FROM participations WHERE proposal_id = :p ORDER BY id", p=was_closed) \
        == [(a,), (b,), (c,)]
    assert _rows(app, "SELECT count(*) FROM events WHERE kind LIKE 'proposal.objection%'") == [(0,)]

    with scene.ctx():
        proposal = db.session.get(Proposal, ordinary)
        votes = ballots.current_votes(proposal)
        assert ballots.my_vote(scene.user(c), proposal, votes).choice == "concern"
        assert all(v.user_id is not None and v.created_at is not None for v in votes)
    days = _rows(app, "SELECT first_voted_on FROM participations WHERE proposal_id = :p", p=ordinary)
    assert len(days) == 3 and all(isinstance(date.fromisoformat(d), date) for d, in days)
    assert not isinstance(days[0][0], datetime)
