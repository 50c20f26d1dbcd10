"""`flask demo`: a small bilingual co-op to explore Canoe with."""
import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import User
from app.extensions import db
from app.groups import services

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
    services.set_capacity(hana, coop, services.policy.membership(hana, coop).id, 50)
    click.echo("Demo co-op ready: 햇살 협동조합 · Sunshine Co-op (/g/sunshine)")
    click.echo(f"Log in as any of these, password: {DEMO_PASSWORD}")
    for email, name, _, lang in PEOPLE:
        click.echo(f"  {email:<20} {name} ({lang})")
