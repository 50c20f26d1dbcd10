"""After an anonymous proposal closes, nothing stored links a ballot to the person who cast it.

The attacker holds a copy of the whole instance after close: every row of every table (ids
included, in storage order), the database's own files byte for byte (SQLite: the file and its
write-ahead log) and every file of the instance folder, and knows the app's secret key. Each
strategy below is one way to say whose each ballot was: by keys (re-deriving a voter key from any
key-like value found anywhere), by ids and storage order (with the vote-change history), by times
(the same moment, the same day), by the amendment (versions against who was told of it) and by
the timeline's events.

Six members each cast a different ballot (every reason is unique) in six anonymous proposals,
on the same schedule, with the ballots handed out in a rotation: in proposal j, voter i casts
ballot (i + j) mod 6. A strategy reads only the stored data, so if nothing links, it guesses the
same way in all six proposals and can be right about each voter in at most one of them: one
right answer per proposal, what a blind guess gets. Each strategy is also shown finding the link
where one exists (the same proposals while still open; an ordinary proposal with the names taken
out of its votes), so each check can fail.
"""
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect, select

from app.core.extensions import db
from app.decisions.ballots import voter_key
from app.decisions.models import Proposal, Vote
from tests.conftest import ON_POSTGRES
from tests.decisions.helpers import DecisionScene

N = 6
# (choice, reason): all different, so each ballot can be told apart by its reason.
BALLOTS = [
    ("consent", "Ballot 0: fine by me."),
    ("concern", "Ballot 1: where will it be parked?"),
    ("object", "Ballot 2: nobody has insured it yet."),
    ("consent", "Ballot 3: safe enough to try."),
    ("concern", "Ballot 4: the lock looks weak."),
    ("object", "Ballot 5: it blocks the fire exit."),
]
SETTLED = 2  # the holder of this objection marks it resolved on the last day
MARKER = re.compile(r"Ballot (\d)")


# ---------------------------------------------------------------- what the attacker holds


@dataclass
class Copy:
    """Everything stored: rows per table as stored, which columns point at people and at proposals,
    and the bytes of every file (the database's own and the instance folder's)."""

    tables: dict[str, list[dict]]
    to_users: dict[str, list[str]]
    to_proposals: dict[str, list[str]]
    files: dict[str, bytes]
    secret: str

    def rows(self, table) -> list[dict]:
        return self.tables.get(table, [])

    def ballots(self, pid) -> list[dict]:
        """The proposal's current ballots as stored; each carries its ballot number in `marker`."""
        return [dict(r, marker=int(MARKER.search(r["reason_md"]).group(1)))
                for r in self.rows("votes") if r["proposal_id"] == pid and r["is_current"]]

    def participants(self, pid) -> list[dict]:
        return [r for r in self.rows("participations") if r["proposal_id"] == pid]

    def without(self, table, column) -> "Copy":
        """This copy with one column of one table emptied (an ordinary proposal with its names taken out)."""
        tables = dict(self.tables, **{table: [dict(r, **{column: None}) for r in self.rows(table)]})
        return Copy(tables, self.to_users, self.to_proposals, self.files, self.secret)


def copy_of_instance(app) -> Copy:
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            inspector = inspect(conn)
            tables, to_users, to_proposals = {}, {}, {}
            for table in meta.sorted_tables:
                tables[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]  # as stored
                for fk in inspector.get_foreign_keys(table.name):
                    target = {"users": to_users, "proposals": to_proposals}.get(fk["referred_table"])
                    if target is not None:
                        target.setdefault(table.name, []).extend(fk["constrained_columns"])
        files = {}
        if db.engine.dialect.name == "sqlite":
            path = db.engine.url.database
            for name in (path, path + "-wal", path + "-journal"):
                if os.path.exists(name):
                    files[name] = Path(name).read_bytes()
        for root, _dirs, names in os.walk(app.instance_path):
            for name in names:
                files[os.path.join(root, name)] = Path(root, name).read_bytes()
        return Copy(tables, to_users, to_proposals, files, app.config["SECRET_KEY"])


# ---------------------------------------------------------------- linking strategies
# Each takes the copy, a proposal id and the voters' ids, and returns {voter id: ballot number}.


def _messages(pid, uid) -> list[bytes]:
    return [m.encode() for m in (f"ballot:{uid}", f"vote:{pid}:{uid}", f"{uid}", f"{pid}:{uid}", f"{uid}:{pid}")]


def _key_candidates(copy: Copy) -> set[bytes]:
    """Every key-like value anywhere: the secret key, the instance folder's files, every string in
    the database without spaces, and every run of 64 hex digits in the database's raw bytes."""
    texts = {copy.secret}
    for rows in copy.tables.values():
        texts |= {v for r in rows for v in r.values() if isinstance(v, str) and 16 <= len(v) <= 256 and " " not in v}
    for name, data in copy.files.items():
        texts |= {m.decode() for m in re.findall(rb"[0-9a-f]{64}", data)}
        if len(data) <= 4096:
            texts.add(data.decode("utf-8", "replace").strip())
    keys = set()
    for t in texts:
        keys.add(t.encode())
        if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", t):
            keys.add(bytes.fromhex(t))
    return keys


def by_keys(copy: Copy, pid, voters) -> dict:
    """Re-derive each voter's key with every key found, and look for it in the ballots."""
    held = {}
    for ballot in copy.ballots(pid):
        for value in ballot.values():
            if isinstance(value, str):
                held[value] = ballot["marker"]
    guess = {}
    for key in _key_candidates(copy):
        for uid in voters:
            for message in _messages(pid, uid):
                digest = hmac.new(key, message, hashlib.sha256).hexdigest()
                if digest in held:
                    guess[uid] = held[digest]
    return guess


def _first_rows(copy: Copy, pid, storage_order=False) -> list[int]:
    """The ballots in the order their voters first voted, as far as the rows tell: rows sharing a voter
    key are one voter's history (the current one names the ballot), ordered by their earliest row."""
    rows = [r for r in copy.rows("votes") if r["proposal_id"] == pid]
    position = {id(r): i for i, r in enumerate(rows)}
    chains: dict = {}
    for r in rows:
        chains.setdefault(r["voter_key"] or ("row", r["id"]), []).append(r)
    first = (lambda r: position[id(r)]) if storage_order else (lambda r: r["id"])
    ordered = sorted(chains.values(), key=lambda chain: min(first(r) for r in chain))
    return [int(MARKER.search(r["reason_md"]).group(1)) for chain in ordered for r in chain if r["is_current"]]


def _voter_orders(copy: Copy, pid) -> dict[str, list[int]]:
    took_part = copy.participants(pid)
    return {
        "participation ids": [r["user_id"] for r in sorted(took_part, key=lambda r: r["id"])],
        "participation days": [r["user_id"] for r in sorted(took_part, key=lambda r: (r["first_voted_on"], r["id"]))],
        "participation as stored": [r["user_id"] for r in took_part],
        "user ids": sorted(r["user_id"] for r in took_part),
    }


def _by_order(voter_order: str, storage_order=False, reverse=False):
    def strategy(copy: Copy, pid, voters) -> dict:
        ballots = _first_rows(copy, pid, storage_order)
        people = _voter_orders(copy, pid)[voter_order]
        if reverse:
            people = people[::-1]
        return dict(zip(people, ballots))

    strategy.__name__ = f"by_order({voter_order}, {'storage' if storage_order else 'ids'}{', reversed' if reverse else ''})"
    return strategy


def _times(row) -> list[date]:
    return [v for v in row.values() if isinstance(v, (date, datetime))]


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _voter_times(copy: Copy, voters) -> dict[int, list]:
    """Every time stored in a row that points at a voter (participation, notifications, events…)."""
    times = {uid: [] for uid in voters}
    for table, columns in copy.to_users.items():
        for row in copy.rows(table):
            for column in columns:
                if row.get(column) in times:
                    times[row[column]] += _times(row)
    return times


def by_same_moment(copy: Copy, pid, voters) -> dict:
    """A ballot stored with a time is matched to the voter with a stored time within two seconds of it."""
    people = _voter_times(copy, voters)
    guess = {}
    for ballot in copy.ballots(pid):
        for t in (t for t in _times(ballot) if isinstance(t, datetime)):
            near = [uid for uid, ts in people.items()
                    if any(isinstance(u, datetime) and abs((u - t).total_seconds()) <= 2 for u in ts)]
            if near:
                guess[min(near)] = ballot["marker"]
    return guess


def by_same_day(copy: Copy, pid, voters) -> dict:
    """A ballot stored with a time is matched to the voter who took part on that day."""
    took_part = {r["user_id"]: _day(r["first_voted_on"]) for r in copy.participants(pid)}
    guess = {}
    for ballot in copy.ballots(pid):
        for t in _times(ballot):
            same = sorted(uid for uid, day in took_part.items() if day == _day(t))
            if same:
                guess[same[0]] = ballot["marker"]
    return guess


def by_amendment(copy: Copy, pid, voters) -> dict:
    """Ballots still on an earlier version belong to those told of the amendment; the rest to the others."""
    version = next(r["version"] for r in copy.rows("proposals") if r["id"] == pid)
    told = sorted({r["user_id"] for r in copy.rows("notifications")
                   if r["kind"] == "amended" and r["target_type"] == "proposal" and r["target_id"] == pid})
    others = [uid for uid in _voter_orders(copy, pid)["participation ids"] if uid not in told]
    guess = {}
    for ballot in sorted(copy.ballots(pid), key=lambda b: b["id"]):
        if ballot["proposal_version"] is None:
            continue
        pool = told if ballot["proposal_version"] < version else others
        free = [uid for uid in pool if uid not in guess]
        if free:
            guess[free[0]] = ballot["marker"]
    return guess


def by_events(copy: Copy, pid, voters) -> dict:
    """A settled objection belongs to the actor of the event that settled it — or, with no actor, to the
    last to take part before that event's day."""
    took_part = sorted(copy.participants(pid), key=lambda r: (r["first_voted_on"], r["id"]))
    settled = [b for b in copy.ballots(pid) if b["objection_state"] in ("resolved", "withdrawn")]
    guess = {}
    for event in copy.rows("events"):
        if event["target_type"] == "proposal" and event["target_id"] == pid and event["kind"].startswith(
                "proposal.objection_") and settled:
            before = [r["user_id"] for r in took_part if _day(r["first_voted_on"]) <= _day(event["created_at"])]
            who = event["actor_id"] or (before[-1] if before else None)
            if who is not None:
                guess[who] = settled[0]["marker"]
    return guess


STRATEGIES = [by_keys, by_same_moment, by_same_day, by_amendment, by_events] + [
    _by_order(order, storage, reverse)
    for order in ("participation ids", "participation days", "participation as stored", "user ids")
    for storage in (False, True) for reverse in (False, True)
]


def right(guess: dict, truth: dict) -> int:
    return sum(1 for uid, ballot in guess.items() if truth.get(uid) == ballot)


# ---------------------------------------------------------------- the instance


@dataclass
class World:
    scene: DecisionScene
    voters: list[int]
    sealed: list[int]  # the anonymous proposals
    truth: dict[int, dict[int, int]] = field(default_factory=dict)  # proposal -> voter -> ballot number
    ordinary: int = 0  # a proposal that isn't anonymous, on the same schedule
    open_copy: Copy | None = None
    open_keys: set[str] = field(default_factory=set)  # ballot and voter keys while open
    closed_copy: Copy | None = None


def _cast(scene, pid, uid, ballot):
    choice, reason = BALLOTS[ballot]
    scene.vote(pid, uid, choice, reason)


@pytest.fixture
def world(app, make_cast, clock):
    scene = DecisionScene(app, make_cast("coop", "private"))
    voters = [scene.uid(h) for h in scene.crowd(N)]
    sealed = [scene.propose("facilitator", title="Buy a shared cargo bike", anonymous=True, days=30)
              for _ in range(N)]
    ordinary = scene.propose("facilitator", title="Buy a shared cargo bike", days=30)
    world = World(scene, voters, sealed, ordinary=ordinary)
    world.truth = {pid: {uid: (i + j) % N for i, uid in enumerate(voters)} for j, pid in enumerate(sealed)}
    everyone = sealed + [ordinary]
    truth = {**world.truth, ordinary: {uid: i for i, uid in enumerate(voters)}}

    def round_(*indexes):
        clock.advance(days=1)
        for i in indexes:
            for pid in everyone:
                _cast(scene, pid, voters[i], truth[pid][voters[i]])

    round_(0)
    round_(1)
    for pid in everyone:
        scene.amend(pid, "facilitator", body="A used one, with a good lock.")
    clock.advance(days=1)
    for pid in everyone:
        _cast(scene, pid, voters[2], truth[pid][voters[2]])
        scene.vote(pid, voters[3], "consent", "A first thought, soon changed.")
    round_(3, 4)  # voter 3 changes their vote
    round_(5)
    for pid in everyone:  # whoever holds the objection that gets settled settles it
        holder = next(uid for uid, ballot in truth[pid].items() if ballot == SETTLED)
        scene.settle(pid, holder, "resolved")

    world.open_copy = copy_of_instance(app)
    with scene.ctx():
        for pid in sealed:
            world.open_keys.add(db.session.get(Proposal, pid).ballot_key)
            world.open_keys |= set(db.session.scalars(select(Vote.voter_key).where(Vote.proposal_id == pid)))
            assert voter_key(db.session.get(Proposal, pid), voters[0]) in world.open_keys
    clock.advance(hours=1)
    for pid in everyone:
        scene.close(pid)
    world.closed_copy = copy_of_instance(app)
    return world


# ---------------------------------------------------------------- the tests


def test_after_close_no_strategy_links_ballots_to_voters_better_than_chance(world):
    for strategy in STRATEGIES:
        hits = sum(right(strategy(world.closed_copy, pid, world.voters), world.truth[pid]) for pid in world.sealed)
        # A blind guess names one voter of six right per proposal, on average.
        assert hits <= len(world.sealed), f"{strategy.__name__} linked {hits} ballots to their voters"


def test_the_strategies_do_find_the_link_where_one_is_stored(world):
    """So the test above can fail: while open, the keys and the order of the rows give every voter away;
    in an ordinary proposal with the names taken out of its votes, so do the times and the events."""
    open_copy, everyone = world.open_copy, len(world.sealed) * N
    for strategy in (by_keys, _by_order("participation ids")):
        assert sum(right(strategy(open_copy, pid, world.voters), world.truth[pid]) for pid in world.sealed) == everyone
    assert sum(right(by_amendment(open_copy, pid, world.voters), world.truth[pid]) for pid in world.sealed) > len(world.sealed)

    # An ordinary proposal, its votes stripped of names: still linked by times, order and events…
    nameless = world.closed_copy.without("votes", "user_id")
    truth = {uid: i for i, uid in enumerate(world.voters)}
    assert right(_by_order("participation ids")(nameless, world.ordinary, world.voters), truth) == N
    assert right(by_same_day(nameless, world.ordinary, world.voters), truth) > 1
    assert right(by_events(nameless, world.ordinary, world.voters), truth) == 1
    # …and, as stored before ballots were sealed (participation to the millisecond), by the moment.
    assert right(by_same_moment(_timed_participation(world.closed_copy, world.ordinary), world.ordinary,
                                world.voters), truth) > 1


def _timed_participation(copy: Copy, pid) -> Copy:
    """The copy as the old design stored it: who took part with the moment of their first vote, and
    votes without names."""
    first = {}
    for vote in sorted(copy.rows("votes"), key=lambda r: r["id"]):
        if vote["proposal_id"] == pid:
            first.setdefault(vote["user_id"], vote["created_at"])
    participations = [dict(r, first_voted_at=first.get(r["user_id"])) if r["proposal_id"] == pid else r
                      for r in copy.rows("participations")]
    return Copy(dict(copy.tables, participations=participations), copy.to_users, copy.to_proposals, copy.files,
                copy.secret).without("votes", "user_id")


def _stored_about(copy: Copy, pid) -> dict[str, list]:
    """What is stored about one proposal, table by table, without its own id: rows that point at it,
    in storage order. Votes and participations whole (ids as offsets from the first), times included;
    other rows (events, notifications…) without their ids and times, which differ between proposals
    made a moment apart — the time strategies look at those."""
    stored = {}
    for table, columns in copy.to_proposals.items():
        rows = [r for r in copy.rows(table) if any(r.get(c) == pid for c in columns)]
        stored[table] = _relative(rows, columns, keep_times=table in ("votes", "participations"))
    for table, rows in copy.tables.items():
        if rows and "target_type" in rows[0]:
            mine = [r for r in rows if r["target_type"] == "proposal" and r["target_id"] == pid]
            stored[table] = _relative(mine, ["target_id"], keep_times=False)
    return stored


def _relative(rows, own_columns, keep_times) -> list:
    start = min((r["id"] for r in rows), default=0)

    def value(k, v):
        if k == "id":
            return v - start
        if isinstance(v, dict):  # an event's payload names the proposal's own thread
            return {pk: pv for pk, pv in v.items() if not pk.endswith("_id")}
        return v

    return [
        {k: value(k, v) for k, v in r.items()
         if k not in own_columns and (keep_times or not isinstance(v, (date, datetime))) and (keep_times or k != "id")}
        for r in rows
    ]


def test_the_sealed_ballot_boxes_are_the_same_whoever_cast_which_ballot(world):
    """Six proposals where the same people cast the same ballots, handed out differently: after close
    every row about them (ids, order, times, versions, keys) is the same. While open, it was not."""
    closed = [_stored_about(world.closed_copy, pid) for pid in world.sealed]
    assert closed[0]["votes"] and closed[0]["participations"]
    for stored in closed[1:]:
        for table in closed[0]:
            assert stored[table] == closed[0][table], table
    assert not any(v["voter_key"] or v["created_at"] or v["proposal_version"] or v["user_id"] for v in closed[0]["votes"])
    assert {p["ballot_key"] for p in world.closed_copy.rows("proposals") if p["id"] in world.sealed} == {None}
    assert len(closed[0]["votes"]) == N  # no earlier versions, no changes kept

    opened = [_stored_about(world.open_copy, pid) for pid in world.sealed]
    assert any(stored["votes"] != opened[0]["votes"] for stored in opened[1:])


def test_who_took_part_is_kept_to_the_day(world):
    for pid in world.sealed:
        took_part = world.closed_copy.participants(pid)
        assert sorted(r["user_id"] for r in took_part) == sorted(world.voters)
        assert all(type(r["first_voted_on"]) is date for r in took_part)


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL keeps dead rows until VACUUM (see the README)")
def test_no_erased_key_is_left_in_the_database_files_or_the_instance_folder(world):
    """SQLite zeroes deleted rows (secure_delete) and the log is emptied after sealing: the keys that tied
    ballots to people while voting was open are in none of the files after close. (While open they were.)"""
    keys = {k.encode() for k in world.open_keys if k}
    assert len(keys) > N
    assert all(any(k in data for data in world.open_copy.files.values()) for k in keys)
    for name, data in world.closed_copy.files.items():
        assert not [k for k in keys if k in data], name
