"""One Korean word per concept (docs/GLOSSARY.md).

- On one page, two different English strings never share a Korean translation: a reader who meets
  "결과" twice must be meeting one thing twice. Each main page of a built co-op is rendered in Korean
  while every translation it asks for is recorded (msgid → the Korean string, before its %(values)s
  are filled in); within a page that mapping must be one-to-one.
- Over the whole Korean catalog, two msgids with the same translation are either the same English
  word (a capital or a plural apart: "Member"/"members") or listed in SAME_CONCEPT with the reason.
"""
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from sqlalchemy import select

from app.accounts.models import User
from app.archive.models import Document, Thread
from app.core.database import utcnow
from app.core.extensions import db
from app.decisions import closing, outcomes, proposals, votes
from app.decisions.models import Proposal
from app.groups.models import Group
from app.web.demo import DEMO_PASSWORD, demo_command

ROOT = Path(__file__).resolve().parent.parent
KO = ROOT / "app" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"

# Different English strings that name one concept, so one Korean word is right for all of them.
SAME_CONCEPT = [
    ({"Task", "Tasks", "Care task", "Care tasks"}, "a task in Canoe is always a care task: 돌봄 일"),
    ({"No tasks yet.", "No care tasks yet."}, "the same empty state; a task is a care task"),
    ({"Me", "you"}, "both name the person reading the page: 나"),
    ({"the week of %(day)s", "week of %(day)s"}, "the same phrase with and without the article"),
    ({"Effort", "Effort (points)"}, "the Korean 노력 점수 already says it is counted in points"),
    ({"Changes", "What changed"}, "both head the differences between two versions: 바뀐 내용"),
    ({"Change password", "Change your password"}, "the page's heading and its button, one act"),
    ({"Digest", "Digest email"}, "the digest is always an email: 요약 메일"),
    ({"Propose", "Propose something"}, "the link that starts a proposal and the button that sends it, one act"),
    ({"Older", "Previous"}, "both lead to the earlier page of a list (never on one page together): 이전"),
]


def _key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}|{msgid}" if message.context else msgid


def _english(key: str) -> str:
    return key.split("|", 1)[-1]


def _same_word(a: str, b: str) -> bool:
    """The same English word or phrase, a capital letter or a plural -s apart."""
    a, b = _english(a).casefold(), _english(b).casefold()
    return a == b or a + "s" == b or b + "s" == a


def _justified(a: str, b: str) -> bool:
    if _same_word(a, b):
        return True
    return any({_english(a), _english(b)} <= group for group, _reason in SAME_CONCEPT)


def _clashes(translations: dict[str, str]) -> list[str]:
    """Pairs of msgids with one Korean translation and no reason to share it, as readable lines."""
    by_korean = defaultdict(set)
    for key, korean in translations.items():
        if korean:
            by_korean[korean].add(key)
    lines = []
    for korean, keys in sorted(by_korean.items()):
        keys = sorted(keys)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if not _justified(a, b):
                    lines.append(f"“{korean}” translates both {a!r} and {b!r}")
    return lines


def _korean_catalog() -> dict[str, str]:
    with KO.open("rb") as f:
        return {_key(m): (m.string if isinstance(m.string, str) else m.string[0]) for m in read_po(f) if m.id}


# ---------------------------------------------------------------- the whole catalog


def test_no_two_msgids_share_a_korean_translation_without_a_reason():
    clashes = _clashes(_korean_catalog())
    assert not clashes, ("one Korean word for two concepts (give one of them another word, see docs/GLOSSARY.md, "
                         "or justify the pair in SAME_CONCEPT):\n" + "\n".join(clashes))


def test_every_justified_pair_still_shares_its_translation():
    """The allow-list stays honest: a group whose strings no longer share a word, or are gone, is removed."""
    catalog = _korean_catalog()
    for group, reason in SAME_CONCEPT:
        assert group <= set(catalog), f"{sorted(group - set(catalog))} are not in the catalog ({reason})"
        assert len({catalog[m] for m in group}) == 1, f"{sorted(group)} no longer share a translation ({reason})"


# ---------------------------------------------------------------- page by page


class Recorder:
    """Every translation asked for while it is on: (context|)msgid → the Korean string."""

    def __init__(self):
        self.seen: dict[str, str] | None = None

    def wrap(self, original, with_context: bool, plural: bool):
        recorder = self

        def recorded(translations, *args):
            result = original(translations, *args)
            if recorder.seen is not None:
                context = args[0] if with_context else None
                msgid = args[1] if with_context else args[0]
                recorder.seen[f"{context}|{msgid}" if context else msgid] = str(result)
            return result

        return recorded

    def page(self, client, path: str) -> dict[str, str]:
        self.seen = {}
        try:
            response = client.get(path)
        finally:
            seen, self.seen = self.seen, None
        assert response.status_code == 200, (path, response.status_code)
        assert '<html lang="ko">' in response.get_data(as_text=True), path
        return seen


@pytest.fixture
def recorder(monkeypatch):
    recorder = Recorder()
    for name, with_context, plural in (("ugettext", False, False), ("ungettext", False, True),
                                       ("upgettext", True, False), ("unpgettext", True, True)):
        monkeypatch.setattr(Translations, name, recorder.wrap(getattr(Translations, name), with_context, plural))
    return recorder


def _more_proposals(coop: Group, people: dict[str, User]) -> dict[str, int]:
    """Beside the demo's open and closed consent proposals: consensus, poll and anonymous ones, open
    and closed, with blocks, objections and outcomes, so every word of a proposal page is shown."""
    minji, sam, jiho, hana, alex = (people[h] for h in ("minji", "sam", "jiho", "hana", "alex"))
    made = {}
    consensus = proposals.propose(sam, coop, proposals.Draft("공동 창고 쓰기 · Share a storeroom", "창고를 함께 써요.", 3,
                                                             kind="consensus", quorum_percent=50))
    votes.cast_vote(jiho, consensus, "agree")
    votes.cast_vote(hana, consensus, "block", "열쇠 관리가 어렵습니다.")
    votes.cast_vote(alex, consensus, "disagree", "Too far away.")
    votes.cast_vote(minji, consensus, "abstain")
    closing.close(sam, consensus)
    outcomes.record_outcome(sam, consensus, "창고는 쓰지 않습니다.", "not_adopted", utcnow().date() + timedelta(days=1),
                            [outcomes.ActionDraft("열쇠 돌려주기", minji.id, utcnow().date() + timedelta(days=3))])
    made["consensus closed"] = consensus.id
    open_consensus = proposals.propose(alex, coop, proposals.Draft("Buy a kettle · 주전자 사기", "A big one.", 3,
                                                                   kind="consensus"))
    votes.cast_vote(sam, open_consensus, "agree")
    made["consensus open"] = open_consensus.id
    poll = proposals.propose(jiho, coop, proposals.Draft("점심 메뉴 · Lunch", "무엇을 먹을까요?", 3, kind="poll",
                                                         options=("비빔밥", "김밥", "Soup")))
    votes.cast_vote(sam, poll, "option", "", [poll.options[0].id])
    made["poll open"] = poll.id
    closed_poll = proposals.propose(jiho, coop, proposals.Draft("회의 장소 · Where we meet", "어디서 만날까요?", 3,
                                                                kind="poll", options=("부엌", "Library")))
    votes.cast_vote(hana, closed_poll, "option", "", [closed_poll.options[1].id])
    closing.close(sam, closed_poll)
    made["poll closed"] = closed_poll.id
    sealed = proposals.propose(hana, coop, proposals.Draft("회비 올리기 · Raise the fee", "조금 올려요.", 3, anonymous=True))
    votes.cast_vote(jiho, sealed, "object", "지금은 어렵습니다.")
    votes.cast_vote(alex, sealed, "consent")
    made["anonymous open"] = sealed.id
    sealed_closed = proposals.propose(hana, coop, proposals.Draft("새 간판 · A new sign", "간판을 바꿔요.", 3,
                                                                  anonymous=True))
    votes.cast_vote(jiho, sealed_closed, "concern", "색이 걱정됩니다.")
    votes.cast_vote(minji, sealed_closed, "consent")
    closing.close(sam, sealed_closed)
    made["anonymous closed"] = sealed_closed.id
    return made


@pytest.fixture
def built_coop(app):
    """The demo co-op (threads, a document, decisions, a rota with done and thanked work), plus
    proposals of every kind; its ids by name."""
    result = app.test_cli_runner().invoke(demo_command)
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        people = {u.handle: u for u in db.session.scalars(select(User))}
        coop = db.session.scalar(select(Group).where(Group.slug == "sunshine"))
        ids = _more_proposals(coop, people)
        ids["consent open"], ids["consent closed"] = (
            db.session.scalars(select(Proposal.id).where(Proposal.group_id == coop.id, Proposal.kind == "consent",
                                                         Proposal.anonymous.is_(False)).order_by(Proposal.id)).all())
        ids["thread"] = db.session.scalar(select(Thread.id).where(Thread.group_id == coop.id).order_by(Thread.id))
        ids["document"] = db.session.scalar(select(Document.id).where(Document.group_id == coop.id))
        db.session.commit()
    return ids


def _client(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def _pages(ids: dict[str, int], admin: bool) -> list[str]:
    g = "/g/sunshine"
    proposal_pages = [f"/p/{ids[name]}" for name in (
        "consent open", "consent closed", "consensus open", "consensus closed", "poll open", "poll closed",
        "anonymous open", "anonymous closed")]
    return [
        "/groups", g, f"{g}/threads", f"/t/{ids['thread']}", f"{g}/docs", f"/d/{ids['document']}",
        f"{g}/decisions", f"{g}/decisions/new", *proposal_pages,
        f"/p/{ids['consent open']}/history", f"{g}/register", f"{g}/care", f"{g}/care/rota", f"{g}/care/fairness",
        f"{g}/care/tasks", "/needs-me", "/notifications", "/settings", "/settings/notifications",
        f"{g}/notifications", f"{g}/members", f"{g}/timeline", "/profile", "/search?q=부엌",
        *([f"{g}/settings", f"{g}/invitations"] if admin else []),
    ]


def test_no_page_shows_one_korean_word_for_two_concepts(app, built_coop, recorder):
    clashes = []
    # Minji is the admin (every control shows); Jiho a member who voted; Sam facilitates (outcome form).
    for email in ("minji@demo.canoe", "jiho@demo.canoe"):
        client = _client(app, email)
        for path in _pages(built_coop, admin=email.startswith("minji")):
            clashes += [f"{path} ({email.split('@')[0]}): {line}" for line in _clashes(recorder.page(client, path))]
    with app.test_request_context():
        db.session.execute(db.update(User).where(User.handle == "sam").values(locale="ko"))
        db.session.commit()
    sam = _client(app, "sam@demo.canoe")
    for path in (f"/p/{built_coop['consent open']}", f"/p/{built_coop['consent open']}/amend",
                 f"/p/{built_coop['poll closed']}/outcome"):
        clashes += [f"{path} (sam): {line}" for line in _clashes(recorder.page(sam, path))]
    assert not clashes, "one Korean word for two concepts on one page:\n" + "\n".join(clashes)


def test_the_recorder_sees_what_a_page_translates(app, built_coop, recorder):
    """The check above can fail: a closed proposal's page asks for its headings, here in Korean."""
    seen = recorder.page(_client(app, "minji@demo.canoe"), f"/p/{built_coop['consensus closed']}")
    assert seen["Result"] == "투표 결과" and seen["Outcome"] == "결론"
    assert seen["proposal state|Closed"] == "마감됨"
    assert _clashes({"Result": "결과", "Outcome": "결과"}) == ["“결과” translates both 'Outcome' and 'Result'"]
