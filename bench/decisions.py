"""`python -m bench.decisions`: the proposal, register and needs-me pages as decisions pile up.

Builds a group of 50 members with 20 open proposals and either 10 (`small`) or 1,000
(`large`) closed ones, each with votes and a recorded outcome (some with a review date,
some with follow-up actions), then measures with the Flask test client, logged in as a
plain member, the SQL queries one view runs and the median server time over 30 requests
after a warm-up:

    {"bench": "decisions", "metric": "queries_<page>_<size>", "value": N, "unit": "queries"}
    {"bench": "decisions", "metric": "ms_<page>_<size>_p50", "value": N, "unit": "ms"}

for page in proposal (an open proposal with about 40 votes), register (/g/<slug>/register)
and needs_me (/needs-me), and size in small and large.

Exits 1 if a page runs more queries with 1,000 closed proposals than with 10.
"""
import argparse
import random
import sys
from datetime import timedelta

from sqlalchemy import func, insert, select

from app.archive.models import Thread
from app.core.database import utcnow
from app.decisions import rules
from app.decisions.ballots import voter_key
from app.decisions.closing import close
from app.decisions.outcomes import ActionDraft, record_outcome
from app.decisions.proposals import Draft, amend, propose
from app.decisions.votes import cast_vote, settle_objection
from app.decisions.models import CHOICES, NEEDS_REASON, STOPPING, Action, Outcome, Participation, Proposal, Vote
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Membership
from app.core.markdown import render
from bench import bench_app, emit, login, make_users, measure, note

SIZES = {"small": 10, "large": 1000}
OPEN = 20
MEMBERS = 50
VIEWER = "member07"  # a plain member: votes, owns some actions, reads the register
PAGES = ("proposal", "register", "needs_me")

TOPICS = [
    "Move the Saturday market to the community hall", "Buy a second chest freezer", "Try a four-day rota",
    "Raise the monthly dues by 2,000 won", "Adopt the new cleaning checklist", "Open the kitchen on Sundays",
    "Switch to the cooperative bank", "Start a seed library", "Pay facilitators a small stipend",
    "주간 회의를 격주로 바꾸기", "새 회원 안내서 채택", "공동 텃밭 구역 나누기",
]
STATEMENTS = [
    "We adopt this for a trial of three months; the care circle reports back at the next general meeting.",
    "Agreed as proposed. **Minji** updates the handbook and tells the suppliers by the end of the month.",
    "Not adopted for now: the objection about the evening shifts stands. We will bring a new version.",
    "We go ahead, with the concern about cost recorded: spending is capped at 300,000 won.",
    "세 달 동안 시범 운영하고 다음 총회에서 다시 논의합니다.",
]
REASONS = [
    "It would leave the evening shift with only one person, which isn't safe.",
    "The cost hasn't been checked with the treasurer yet.",
    "I worry this pushes more care work onto the same three people.",
    "저녁 당번이 한 명만 남게 되어 안전하지 않습니다.",
]


def _choice(rng: random.Random, kind: str) -> str:
    if kind == "consent":
        return rng.choices(CHOICES["consent"], weights=(78, 14, 8))[0]
    if kind == "consensus":
        return rng.choices(CHOICES["consensus"], weights=(65, 15, 15, 5))[0]
    return "advice"


def _votes_for(rng, proposal, kind: str, voters: list, version: int, closed: bool, when):
    """Vote and participation rows (as dicts) for one proposal; objections mostly settled."""
    proposal_id = proposal.id
    votes, took_part = [], []
    for user in voters:
        choice = _choice(rng, kind)
        state = None
        if choice in STOPPING:
            state = rng.choices(("open", "resolved", "withdrawn"), weights=(3, 5, 2) if closed else (6, 3, 1))[0]
        reason = rng.choice(REASONS) if choice in NEEDS_REASON or kind == "advice" or rng.random() < 0.1 else ""
        votes.append(dict(
            proposal_id=proposal_id, voter_key=voter_key(proposal, user.id), user_id=user.id,
            choice=choice, option_ids=[], reason_md=reason, reason_html=str(render(reason)) if reason else "",
            proposal_version=version, is_current=True, objection_state=state, created_at=when,
        ))
        took_part.append(dict(proposal_id=proposal_id, user_id=user.id, first_voted_on=when.date()))
    return votes, took_part


def build(size: str):
    """The group, its decisions, and the id of the open proposal the proposal page shows."""
    rng = random.Random(1955)
    now = utcnow()
    people = make_users([f"member{i:02d}" for i in range(MEMBERS)])
    db.session.commit()
    admin, facilitators = people[0], people[1:3]
    viewer = next(p for p in people if p.handle == VIEWER)
    group = groups.create_group(admin, "Riverside Food Co-op", "riverside", "We run the market together.", "private")
    db.session.add_all(
        Membership(group_id=group.id, user_id=p.id, role="facilitator" if p in facilitators else "member",
                   joined_at=now - timedelta(days=1500))
        for p in people[1:]
    )
    db.session.commit()

    # Representative ones through the services: an open consent proposal that about 40 members
    # voted on (two objections, one resolved after an amendment) — the page measured — and one
    # closed with its outcome recorded, with actions.
    target = propose(people[3], group, Draft(
        title="Share the Saturday set-up between two teams",
        body="From next month **two teams** alternate the Saturday set-up.\n\n- Team A: 1st and 3rd\n"
             "- Team B: 2nd and 4th\n\nWe review it after three months.",
        days=5,
    ))
    voters = [viewer] + [p for p in people if p not in (people[3], viewer)][:39]
    objectors = {voters[5].id, voters[11].id}
    for i, person in enumerate(voters):
        if person.id in objectors:
            cast_vote(person, target, "object", rng.choice(REASONS))
        elif i % 9 == 4:
            cast_vote(person, target, "concern", rng.choice(REASONS))
        else:
            cast_vote(person, target, "consent", "" if i % 4 else "Safe enough to try.")
    amend(people[3], target, target.title, target.body_md + "\n\nEach team has at least one key-holder.")
    settle_objection(voters[5], target, "resolved")

    done = propose(people[4], group, Draft(title="Adopt the new cleaning checklist",
                                           body="Use the checklist from the handbook.", days=3))
    for person in people[5:30]:
        cast_vote(person, done, "consent")
    close(facilitators[0], done)
    record_outcome(facilitators[0], done, STATEMENTS[0], "adopted", (now + timedelta(days=60)).date(), [
        ActionDraft("Print the checklist for the kitchen", viewer.id, (now + timedelta(days=7)).date()),
        ActionDraft("Tell the Saturday volunteers", people[9].id, None),
    ])

    # The rest in bulk, in one transaction: threads, proposals, votes, participations, outcomes, actions.
    closed_count, open_count = SIZES[size] - 1, OPEN - 1
    html = {s: str(render(s)) for s in STATEMENTS}
    threads = [
        Thread(group_id=group.id, author_id=rng.choice(people).id, title=f"{rng.choice(TOPICS)} ({i + 1})",
               body_md="Let's decide this.", body_html="<p>Let's decide this.</p>",
               created_at=now - timedelta(days=1400), last_activity_at=now - timedelta(days=1400))
        for i in range(closed_count + open_count)
    ]
    db.session.add_all(threads)
    db.session.flush()
    proposals = []
    for i, thread in enumerate(threads):
        is_open = i >= closed_count
        kind = "consent" if is_open else rng.choices(("consent", "consensus", "advice"), weights=(75, 20, 5))[0]
        closed_at = now - timedelta(days=1400 * (closed_count - i) / max(closed_count, 1), hours=rng.randint(0, 20))
        opened_at = (now - timedelta(days=rng.randint(0, 2))) if is_open else closed_at - timedelta(days=3)
        proposals.append(Proposal(
            group_id=group.id, thread_id=thread.id, author_id=thread.author_id, title=thread.title,
            body_md="We propose to try this for three months.", body_html="<p>We propose to try this for three months.</p>",
            kind=kind, status="open" if is_open else "closed", quorum_percent=rng.choice((0, 0, 30, 50)),
            created_at=opened_at, opened_at=opened_at,
            closes_at=now + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 23)) if is_open else closed_at,
            closed_at=None if is_open else closed_at, eligible_count=None if is_open else MEMBERS,
        ))
    db.session.add_all(proposals)
    db.session.flush()
    vote_rows, participation_rows, outcomes = [], [], []
    others = [p for p in people if p is not viewer]
    for proposal in proposals:
        closed = proposal.status == "closed"
        count = rng.randint(12, 45) if closed else rng.randint(2, 15)
        voters = rng.sample(others, count)
        # The viewer took part in many closed proposals but only a few of the open ones.
        if rng.random() < (0.6 if closed else 0.25):
            voters[0] = viewer
        when = proposal.opened_at + timedelta(hours=rng.randint(1, 60) if closed else 1)
        votes, took_part = _votes_for(rng, proposal, proposal.kind, voters, 1, closed, when)
        vote_rows += votes
        participation_rows += took_part
        if not closed:
            continue
        ballots = [rules.Ballot(v["choice"], (), v["choice"] in STOPPING and v["objection_state"] == "open") for v in votes]
        result = rules.decide(proposal.kind, ballots, MEMBERS, proposal.quorum_percent)
        proposal.result, proposal.result_detail = result.outcome, result.as_dict()
        statement = rng.choice(STATEMENTS)
        review = rng.random()
        outcome = Outcome(
            proposal_id=proposal.id, group_id=group.id, statement_md=statement, statement_html=html[statement],
            result="decided" if proposal.kind == "advice" else result.outcome,
            review_on=(proposal.closed_at + timedelta(days=rng.choice((90, 180, 365)))).date() if review < 0.3 else None,
            recorded_by_id=rng.choice(facilitators).id, recorded_at=proposal.closed_at + timedelta(days=1),
        )
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 2)):
                owner = viewer if rng.random() < 0.05 else rng.choice(people)
                due = (proposal.closed_at + timedelta(days=rng.randint(7, 60))).date()
                outcome.actions.append(Action(
                    description=rng.choice(("Tell the suppliers", "Update the handbook", "Book the hall",
                                            "Ask the treasurer", "회의록에 기록하기")),
                    owner_id=owner.id, due_on=due,
                    done_at=proposal.closed_at + timedelta(days=5) if rng.random() < 0.7 else None,
                ))
        outcomes.append(outcome)
    db.session.add_all(outcomes)
    db.session.execute(insert(Vote), vote_rows)
    db.session.execute(insert(Participation), participation_rows)
    db.session.commit()
    note(f"{size}: {len(proposals) + 2} proposals ({closed_count + 1} closed with outcomes, {open_count + 1} open), "
         f"{db.session.scalar(select(func.count()).select_from(Vote))} votes, "
         f"{db.session.scalar(select(func.count()).select_from(Action))} actions")
    return target.id


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    results = {}
    for size in SIZES:
        with bench_app() as app:
            with app.app_context():
                target_id = build(size)
            client = login(app, f"{VIEWER}@example.org")
            urls = {"proposal": f"/p/{target_id}", "register": "/g/riverside/register", "needs_me": "/needs-me"}
            for page, url in urls.items():
                results[page, size] = m = measure(app, client, url)
                note(f"{page}_{size}: CPU time per request p50 {m.cpu_p50} ms")
                if not m.steady:
                    note(f"warning: {page}_{size} ran a varying number of queries: {m.queries_each}")
    for page in PAGES:
        for size in SIZES:
            emit("decisions", f"queries_{page}_{size}", results[page, size].queries, "queries")
        for size in SIZES:
            emit("decisions", f"ms_{page}_{size}_p50", results[page, size].p50, "ms")
    grown = [page for page in PAGES if results[page, "large"].queries > results[page, "small"].queries]
    for page in grown:
        note(f"FAIL: the {page} page runs {results[page, 'small'].queries} queries with {SIZES['small']} closed "
             f"proposals but {results[page, 'large'].queries} with {SIZES['large']}: it must not grow.")
    return 1 if grown else 0


if __name__ == "__main__":
    sys.exit(main())
