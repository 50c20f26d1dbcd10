"""One seeded world for the security tests: a private co-op holding every kind of thing Canoe
stores, each private text carrying a canary word, and a public group beside it.

Everything is made through the services, each call in its own short request context (as the
other test helpers do), so no database session outlives it. `World.ids` names the rows the
tests point URLs at; `CANARIES` names every kind of private content and the word it carries.
"""
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.accounts import services as accounts
from app.accounts.models import User
from app.archive import attachments as archive_attachments
from app.archive import comments as archive_comments
from app.archive import documents as archive_documents
from app.archive import reactions as archive_reactions
from app.archive import threads as archive_threads
from app.archive.models import Attachment, Comment, Thread
from app.decisions.closing import close
from app.decisions.outcomes import ActionDraft, record_outcome, result_choices
from app.decisions.proposals import Draft, propose
from app.decisions.votes import cast_vote
from app.decisions.models import Proposal
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group, Membership
from app.labour import assignments, availability, periods, planning, recognition, tasks
from app.labour.models import Assignment
from app.notifications.mail import settings_token
from app.notifications.models import Notification
from tests.conftest import PASSWORD

# One word per kind of private content: letters only, so markdown, HTML escaping and the search
# analyzer all leave it whole, and a case-insensitive "canary" finds any of them in a page.
CANARIES = {
    "group name": "CanaryGroupName",
    "group description": "CanaryGroupAbout",
    "thread title": "CanaryThreadTitle",
    "thread body": "CanaryThreadBody",
    "comment": "CanaryCommentBody",
    "reply": "CanaryReplyBody",
    "tag": "canarytag",
    "document title": "CanaryDocTitle",
    "document body": "CanaryDocBody",
    "document folder": "CanaryFolder",
    "attachment name": "CanaryFileName",
    "attachment content": "CanaryFileContent",
    "proposal title": "CanaryProposalTitle",
    "proposal body": "CanaryProposalBody",
    "poll option": "CanaryPollOption",
    "vote reason": "CanaryVoteReason",
    "anonymous proposal": "CanaryAnonTitle",
    "draft": "CanaryDraftTitle",
    "outcome": "CanaryOutcomeStatement",
    "action": "CanaryActionText",
    "care task": "CanaryCareTask",
    "override reason": "CanaryOverrideReason",
    "logged care": "CanaryLoggedCare",
    "thanks": "CanaryThanksMessage",
    "absence note": "CanaryAbsenceNote",
    "invitation note": "CanaryInviteNote",
    "working group name": "CanaryCircleName",
    "working group description": "CanaryCircleAbout",
    "working group thread": "CanaryCircleThread",
    "former member's words": "CanaryFormerWords",
}
# Any canary, even one a test forgot to list (and not a time zone such as "Atlantic/Canary").
ANY_CANARY = re.compile(r"canary[a-z]{3,}", re.IGNORECASE)

# People, by role; "former" joined the co-op, took part and then left.
HANDLES = {"admin": "sec_admin", "facilitator": "sec_fac", "member": "sec_member", "outsider": "sec_out",
           "former": "sec_former"}
PUBLIC_MARK = "OpenTownWords"  # in the public group's content: anyone may read it


@dataclass
class World:
    app: object
    slug: str = "coop"
    people: dict = field(default_factory=dict)  # role -> user id
    emails: dict = field(default_factory=dict)  # role -> email
    ids: dict = field(default_factory=dict)  # what -> id (or list of ids)
    tokens: dict = field(default_factory=dict)  # what -> a secret link's token

    @contextmanager
    def ctx(self):
        with self.app.test_request_context():
            yield

    def user(self, role) -> User:
        return db.session.get(User, self.people[role])

    def group(self, slug=None) -> Group:
        return db.session.scalar(select(Group).where(Group.slug == (slug or self.slug)))


def _register(world: World, role: str) -> None:
    handle = HANDLES[role]
    with world.ctx():
        user = accounts.register(f"{handle}@example.org", PASSWORD, f"Sec {role.title()}", handle, "en")
        world.people[role], world.emails[role] = user.id, user.email


def _invite(world: World, role: str, as_role: str, slug: str) -> None:
    with world.ctx():
        group = world.group(slug)
        _, token = groups.create_invitation(world.user("admin"), group, as_role, 7, None)
        groups.accept_invitation(world.user(role), token)


def _file(name: str, content: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def seed_world(app) -> World:
    """The private co-op "coop" with everything in it, its private working group, and the public "town"."""
    world = World(app)
    for role in HANDLES:
        _register(world, role)
    c = CANARIES
    with world.ctx():
        group = groups.create_group(world.user("admin"), f"Coop {c['group name']}", "coop",
                                    f"We share the work. {c['group description']}", "private")
        world.ids["group"] = group.id
    for role in ("facilitator", "member", "former"):
        _invite(world, role, "facilitator" if role == "facilitator" else "member", "coop")
    _seed_archive(world)
    _seed_decisions(world)
    _seed_care(world)
    _seed_groups(world)
    _former_leaves(world)
    _seed_public(world)
    with world.ctx():
        world.ids["notification"] = db.session.scalar(
            select(Notification.id).where(Notification.user_id == world.people["member"]).order_by(Notification.id))
        world.tokens["mail"] = settings_token(world.people["member"], world.ids["group"], "digest")
    return world


def _seed_archive(world: World) -> None:
    c, ids = CANARIES, world.ids
    with world.ctx():
        thread = archive_attachments.start_thread_with_files(
            world.user("member"), world.group(), f"Kitchen {c['thread title']}",
            f"Who cleans? {c['thread body']} @{HANDLES['facilitator']}", [c["tag"], "kitchen"],
            [_file(f"{c['attachment name']}.txt", f"notes {c['attachment content']}".encode())],
        )
        ids["thread"] = thread.id
        ids["thread_attachment"] = db.session.scalar(select(Attachment.id).where(Attachment.target_id == thread.id,
                                                                                 Attachment.target_type == "thread"))
    with world.ctx():
        thread = db.session.get(Thread, ids["thread"])
        ids["comment"] = archive_comments.add_comment(world.user("facilitator"), thread, f"Monday. {c['comment']}").id
    with world.ctx():
        thread = db.session.get(Thread, ids["thread"])
        ids["reply"] = archive_comments.add_comment(world.user("member"), thread, f"Tuesday. {c['reply']}", ids["comment"]).id
    with world.ctx():
        archive_reactions.toggle_reaction(world.user("admin"), db.session.get(Comment, ids["comment"]), "thanks")
    with world.ctx():
        ids["closed_thread"] = archive_threads.start_thread(world.user("member"), world.group(), "Old business",
                                                    "Settled.", ["kitchen"]).id
    with world.ctx():
        archive_threads.set_closed(world.user("facilitator"), db.session.get(Thread, ids["closed_thread"]), True)
    with world.ctx():
        document = archive_attachments.write_document_with_files(
            world.user("member"), world.group(), f"Handbook {c['document title']}",
            f"# How we work\n\n{c['document body']}", c["document folder"], [c["tag"], "policy"],
            [_file("scan.pdf", f"%PDF-1.4 {c['attachment content']}".encode())],
        )
        ids["document"] = document.id
        ids["document_attachment"] = db.session.scalar(
            select(Attachment.id).where(Attachment.target_id == document.id, Attachment.target_type == "document"))
    with world.ctx():
        from app.archive.models import Document

        archive_documents.edit_document(world.user("facilitator"), db.session.get(Document, ids["document"]),
                              f"Handbook {c['document title']}", f"# How we work, v2\n\n{c['document body']}",
                              c["document folder"], [c["tag"], "policy"])


def _propose(world: World, title: str, author="member", **options) -> int:
    with world.ctx():
        draft = Draft(title=title, body=f"Because. {CANARIES['proposal body']}", **options)
        return propose(world.user(author), world.group(), draft).id


def _vote(world: World, proposal_id: int, role: str, choice: str, reason: str = "", options=()) -> None:
    with world.ctx():
        cast_vote(world.user(role), db.session.get(Proposal, proposal_id), choice, reason, list(options))


def _close(world: World, proposal_id: int) -> None:
    with world.ctx():
        close(world.user("facilitator"), db.session.get(Proposal, proposal_id))


def _seed_decisions(world: World) -> None:
    c, ids = CANARIES, world.ids
    reason = f"Too dear. {c['vote reason']}"
    proposals = {}
    for kind in ("consent", "consensus", "advice", "poll"):
        extra = {"options": (f"Bike {c['poll option']}", "Trailer")} if kind == "poll" else {}
        for state in ("open", "closed"):
            pid = _propose(world, f"{kind.title()} {state} {c['proposal title']}", kind=kind, **extra)
            proposals[f"{kind}_{state}"] = pid
            first_option = _option_ids(world, pid)[:1]
            choice = {"consent": "concern", "consensus": "agree", "advice": "advice", "poll": "option"}[kind]
            _vote(world, pid, "member", choice, reason, first_option)
            _vote(world, pid, "former", choice, reason, first_option)
            if state == "closed":
                _close(world, pid)
    for state in ("open", "closed"):
        pid = _propose(world, f"Secret ballot {state} {c['anonymous proposal']}", anonymous=True)
        proposals[f"anonymous_{state}"] = pid
        _vote(world, pid, "member", "concern", reason)
        _vote(world, pid, "former", "consent")
        if state == "closed":
            _close(world, pid)
    proposals["draft"] = _propose(world, f"Half an idea {c['draft']}", author="member", draft=True)
    ids.update({f"proposal_{k}": v for k, v in proposals.items()})
    ids["proposals"] = list(proposals.values())
    with world.ctx():
        proposal = db.session.get(Proposal, proposals["consent_closed"])
        due = periods.today_in(proposal.group) + timedelta(days=7)
        outcome = record_outcome(
            world.user("facilitator"), proposal, f"We did it. {c['outcome']}", result_choices(proposal)[0],
            None, [ActionDraft(f"Buy it {c['action']}", world.people["member"], due)],
        )
        ids["action"] = outcome.actions[0].id


def _option_ids(world: World, proposal_id: int) -> list[int]:
    with world.ctx():
        return [o.id for o in db.session.get(Proposal, proposal_id).options]


def _seed_care(world: World) -> None:
    c, ids = CANARIES, world.ids
    with world.ctx():
        group = world.group()
        today = periods.today_in(group)
        planning.set_up(world.user("facilitator"), group, today - timedelta(days=today.weekday()), 4, True)
    with world.ctx():
        task = tasks.save_task(world.user("facilitator"), world.group(),
                                tasks.TaskDraft(c["care task"], f"Water the plants. {c['care task']}", effort=2,
                                                 people_needed=2))
        ids["task"] = task.id
    with world.ctx():
        availability.set_willingness(world.user("member"), world.group(), ids["task"], "happy")
    now = _period(world)
    # A slot this week for each of member, facilitator and admin: their own if the rota gave them
    # one; the admin's always by a facilitator's override, which says why (with a canary).
    slots = {}
    for role in ("member", "facilitator", "admin"):
        with world.ctx():
            open_slots = _slots(world, now, exclude=set(slots.values()))
            mine = [a for a in open_slots if a.user_id == world.people[role]]
            others = [a for a in open_slots if a.user_id != world.people[role]]
            chosen = mine[0] if mine and role != "admin" else others[0]
            if chosen.user_id != world.people[role]:
                assignments.override(world.user("facilitator"), chosen, world.people[role],
                                f"Covering. {c['override reason']}")
            slots[role] = chosen.id
    ids["slot_member"], ids["slot_facilitator"], ids["slot_admin"] = slots["member"], slots["facilitator"], slots["admin"]
    with world.ctx():  # the facilitator's slot is done, so it can be thanked for
        assignments.mark_done(world.user("facilitator"), db.session.get(Assignment, slots["facilitator"]))
    with world.ctx():  # the member asks the admin to swap; the admin offers theirs to anyone
        ids["swap"] = assignments.request_swap(world.user("member"), db.session.get(Assignment, slots["member"]),
                                          world.people["admin"]).id
    with world.ctx():
        ids["offer"] = assignments.request_swap(world.user("admin"), db.session.get(Assignment, slots["admin"]), None).id
    with world.ctx():
        group = world.group()
        ids["care_confirmed"] = recognition.log_care(world.user("member"), group, f"Fixed the door {c['logged care']}", 2,
                                                periods.today_in(group), "logistics").id
    with world.ctx():
        recognition.confirm_care(world.user("facilitator"), world.group(), ids["care_confirmed"])
    with world.ctx():
        group = world.group()
        ids["care"] = recognition.log_care(world.user("member"), group, f"Cooked {c['logged care']}", 1,
                                      periods.today_in(group), "other").id
    with world.ctx():
        recognition.thank(world.user("member"), world.group(), world.people["facilitator"],
                     f"Thank you! {c['thanks']}", assignment_id=slots["facilitator"])
    with world.ctx():
        group = world.group()
        start = periods.today_in(group) + timedelta(days=14)
        ids["absence"] = availability.add_absence(world.user("member"), group, start, start + timedelta(days=3),
                                            f"Away {c['absence note']}").id


def _period(world: World) -> int:
    with world.ctx():
        group = world.group()
        return periods.current_period(periods.rota_of(group), group)


def _slots(world: World, period: int, exclude=()) -> list[Assignment]:
    return [a for a in db.session.scalars(
        select(Assignment).where(Assignment.group_id == world.ids["group"], Assignment.period == period,
                                 Assignment.status == "assigned").order_by(Assignment.id))
            if a.id not in exclude]


def _seed_groups(world: World) -> None:
    c, ids = CANARIES, world.ids
    with world.ctx():
        invitation, token = groups.create_invitation(world.user("admin"), world.group(), "member", 7, 5,
                                                     f"For Sam {c['invitation note']}")
        ids["invitation"], world.tokens["invitation"] = invitation.id, token
    with world.ctx():
        circle = groups.create_group(world.user("admin"), f"Garden {c['working group name']}", "coop-garden",
                                     f"Plants. {c['working group description']}", "private", parent=world.group())
        ids["circle"] = circle.id
    with world.ctx():
        groups.add_to_working_group(world.user("admin"), world.group("coop-garden"), world.people["member"])
    with world.ctx():
        ids["circle_thread"] = archive_threads.start_thread(world.user("member"), world.group("coop-garden"),
                                                    f"Seeds {c['working group thread']}", "Order them.", []).id
    with world.ctx():  # a public working group a co-op member may join by themselves
        groups.create_group(world.user("admin"), "Open Kitchen", "coop-kitchen", "Anyone in the co-op.", "public",
                            parent=world.group())
    with world.ctx():
        memberships = {m.user_id: m.id for m in db.session.scalars(
            select(Membership).where(Membership.group_id == ids["group"], Membership.left_at.is_(None)))}
        ids["membership_member"] = memberships[world.people["member"]]
        ids["membership_facilitator"] = memberships[world.people["facilitator"]]


def _former_leaves(world: World) -> None:
    """The former member writes something, hears of things, then leaves."""
    with world.ctx():
        thread = db.session.get(Thread, world.ids["thread"])
        words = CANARIES["former member's words"]
        archive_comments.add_comment(world.user("former"), thread, f"Count me in. {words}")
    with world.ctx():
        groups.leave(world.user("former"), world.group())


def _seed_public(world: World) -> None:
    """The public group "town": anyone may read it; its words carry PUBLIC_MARK."""
    ids = world.ids
    with world.ctx():
        town = groups.create_group(world.user("admin"), "Town Commons", "town", f"Open to all. {PUBLIC_MARK}",
                                   "public")
        ids["town"] = town.id
    _invite(world, "member", "member", "town")
    with world.ctx():
        town = world.group("town")
        ids["town_thread"] = archive_threads.start_thread(world.user("member"), town, f"Market day {PUBLIC_MARK}",
                                                  f"Stalls at nine. {PUBLIC_MARK}", ["market"]).id
    with world.ctx():
        thread = db.session.get(Thread, ids["town_thread"])
        archive_comments.add_comment(world.user("admin"), thread, f"I bring tables. {PUBLIC_MARK}")
    with world.ctx():
        ids["town_document"] = archive_documents.write_document(world.user("member"), world.group("town"),
                                                      f"Charter {PUBLIC_MARK}", f"Be kind. {PUBLIC_MARK}", "", []).id
    with world.ctx():
        draft = Draft(title=f"Bigger market {PUBLIC_MARK}", body=f"More stalls. {PUBLIC_MARK}")
        ids["town_proposal"] = propose(world.user("member"), world.group("town"), draft).id


