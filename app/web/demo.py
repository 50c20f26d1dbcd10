"""`flask demo`: a small bilingual co-op to explore Canoe with.

It fills every feature (groups, archive, decisions, care work), so it lives with the wiring.
"""
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import User
from app.archive import comments, documents, threads
from app.core.database import utcnow
from app.core.extensions import db
from app.decisions import closing, outcomes, proposals, votes
from app.groups import policy, services
from app.labour import assignments, periods, planning, recognition
from app.labour.models import Assignment
from app.search import service as search

DEMO_PASSWORD = "canoe-demo-2026"
PEOPLE = [
    # email, display name, handle, language
    ("minji@demo.canoe", "김민지", "minji", "ko"),
    ("sam@demo.canoe", "Sam Taylor", "sam", "en"),
    ("jiho@demo.canoe", "이지호", "jiho", "ko"),
    ("hana@demo.canoe", "박하나", "hana", "ko"),
    ("alex@demo.canoe", "Alex Kim", "alex", "en"),
]
DESCRIPTION = """햇살 협동조합은 동네 부엌과 돌봄 모임을 함께 꾸리는 작은 협동조합입니다.
Sunshine Co-op runs a neighbourhood kitchen and a care circle together.

- 회의는 매주 월요일 저녁 7시 · We meet on Monday evenings at 7
- 모든 일은 공평하게 나눕니다 · All work is shared fairly
"""


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Create the demo co-op, its members and a working group."""
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database already has people in it; no demo data added.")
        return
    if accounts.user_by_email(PEOPLE[0][0]):
        click.echo("The demo co-op is already here.")
        return
    if not search.backend_ready():
        search.rebuild()  # a new site's (empty) index, so every demo item is indexed as it is made
    people = [accounts.register(email, DEMO_PASSWORD, name, handle, lang) for email, name, handle, lang in PEOPLE]
    minji, sam, jiho, hana, alex = people
    coop = services.create_group(minji, "햇살 협동조합 · Sunshine Co-op", "sunshine", DESCRIPTION, "private")
    for person, role in ((sam, "facilitator"), (jiho, "member"), (hana, "member"), (alex, "member")):
        _, token = services.create_invitation(minji, coop, role, 14, 1)
        services.accept_invitation(person, token)
    circle = services.create_group(
        sam, "돌봄 모임 · Care circle", "care-circle",
        "Checking in on each other, welcoming newcomers. 서로 안부를 묻고 새 조합원을 맞이합니다.", "private", coop,
    )
    for person in (hana, alex):
        services.add_to_working_group(sam, circle, person.id)
    services.set_capacity(hana, coop, policy.membership(hana, coop).id, 50)
    _conversations(coop, minji, sam, jiho, hana, alex)
    _care_work(coop, sam, minji)
    click.echo("Demo co-op ready: 햇살 협동조합 · Sunshine Co-op (/g/sunshine)")
    click.echo(f"Log in as any of these, password: {DEMO_PASSWORD}")
    for email, name, _, lang in PEOPLE:
        click.echo(f"  {email:<20} {name} ({lang})")


def _conversations(coop, minji, sam, jiho, hana, alex) -> None:
    """A few threads, a document and two proposals, so the archive has something in it."""
    kitchen = threads.start_thread(
        minji, coop, "11월 동네 부엌 준비 · Preparing the November kitchen",
        "이번 달 동네 부엌은 토요일 점심입니다. 장보기와 요리, 정리를 나눠 맡아요.\n\n"
        "This month's kitchen is a Saturday lunch. Let's share shopping, cooking and tidying. @sam",
        ["kitchen"],
    )
    first = comments.add_comment(sam, kitchen, "I can do the shopping on Friday evening. 금요일 저녁에 장을 볼게요.")
    comments.add_comment(jiho, kitchen, "저는 요리를 맡을게요. 채식 메뉴로 해도 될까요?", first.id)
    comments.add_comment(hana, kitchen, "좋아요! 정리는 제가 할게요.")
    threads.start_thread(alex, coop, "Welcome notes for new members",
                         "Could we write a short welcome note for people who join? A few lines on how we meet "
                         "and decide.", ["welcome"])
    documents.write_document(
        minji, coop, "2026년 11월 정기 회의록 · November meeting minutes",
        "## 참석 · Present\n김민지, Sam Taylor, 이지호, 박하나\n\n## 결정 · Decided\n"
        "- 동네 부엌은 매달 셋째 토요일 · The kitchen runs every third Saturday\n",
        "회의록 · Minutes", ["minutes"],
    )
    open_one = proposals.propose(sam, coop, proposals.Draft(
        "부엌에 새 냄비 사기 · Buy new pots for the kitchen",
        "큰 냄비 두 개를 조합 예산에서 사면 좋겠습니다 (약 8만 원).\n\n"
        "I propose we buy two large pots from the co-op budget (about ₩80,000).", 5), thread=None)
    votes.cast_vote(minji, open_one, "consent")
    votes.cast_vote(hana, open_one, "concern", "예산이 빠듯하니 중고도 알아봐요.")
    earlier = proposals.propose(minji, coop, proposals.Draft(
        "회의를 월요일 저녁 7시로 · Meet on Monday evenings at 7", "Move our regular meeting to Mondays, 7pm.", 3))
    for person in (sam, jiho, hana, alex):
        votes.cast_vote(person, earlier, "consent")
    closing.close(minji, earlier)
    outcomes.record_outcome(
        minji, earlier, "정기 회의는 매주 월요일 저녁 7시에 합니다. We meet on Mondays at 7pm.", "adopted",
        utcnow().date() + timedelta(days=90),
        [outcomes.ActionDraft("Update the calendar · 달력 고치기", sam.id, utcnow().date() + timedelta(days=7))],
    )


def _care_work(coop, facilitator, confirmer) -> None:
    """The care rota started with the starter tasks and planned ahead."""
    today = periods.today_in(coop)
    planning.set_up(facilitator, coop, today - timedelta(days=today.weekday()), 8, starter=True)
    planning.generate(facilitator, coop)
    this_week = db.session.scalars(select(Assignment).where(
        Assignment.group_id == coop.id, Assignment.period == periods.current_period(periods.rota_of(coop), coop))
        .order_by(Assignment.id)).all()
    for slot in this_week[:2]:
        doer = db.session.get(User, slot.user_id)
        assignments.mark_done(doer, slot)
        if doer.id != facilitator.id:
            recognition.thank(facilitator, coop, doer.id, "고마워요 · Thank you!", assignment_id=slot.id)
    logged = recognition.log_care(facilitator, coop, "Fixed the kitchen tap · 부엌 수도꼭지 고침", 1, today)
    recognition.confirm_care(confirmer, coop, logged.id)
