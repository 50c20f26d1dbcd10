"""A scene: a group with one person in every role (the `Cast` that `make_cast` builds), plus
any members a test adds, and the ways a test acts in it.

Every feature's helpers extend `GroupScene` with their own verbs (`ArchiveScene.thread`,
`DecisionScene.propose`, …), so "a group with these people and roles" is built one way
everywhere. Each service call runs in a short request context of its own: no database session
outlives it and leaks into the requests the test client makes (a request reuses an app context
that is already pushed, and with it the session and the cached current user).
"""
import re
from contextlib import contextmanager

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups import services as groups
from app.groups.models import Group
from tests.conftest import PASSWORD, Auth


def without_csrf_tokens(html: str) -> str:
    """A page without its CSRF tokens (the form fields and htmx's header), which carry the second
    they were made: the same page a second later differs only there."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', html)


class GroupScene:
    def __init__(self, app, cast):
        self.app = app
        self.cast = cast
        self.group_id = cast.group.id
        self.slug = cast.group.slug
        self.extra: dict[str, int] = {}  # handle -> user id of members a test added

    @contextmanager
    def ctx(self):
        """A request context for service calls and checks; its session ends with it."""
        with self.app.test_request_context():
            yield

    def uid(self, who) -> int:
        """The id of a role name ("member"), an added member's handle, a user or an id."""
        if isinstance(who, int):
            return who
        if isinstance(who, str):
            return self.extra[who] if who in self.extra else self.cast.person(who).id
        return who.id

    def user(self, who) -> User:
        """That person, in the current session."""
        return db.session.get(User, self.uid(who))

    def group(self) -> Group:
        return db.session.get(Group, self.group_id)

    def get(self, model, id_, *attrs):
        """Attribute values of one row, read in a context of their own."""
        with self.ctx():
            row = db.session.get(model, id_)
            return tuple(getattr(row, a) for a in attrs) if len(attrs) != 1 else getattr(row, attrs[0])

    def join(self, who, role: str = "member", name: str | None = None, group_id: int | None = None) -> int:
        """Someone joins the group (or another one) through an invitation link: a new person by
        handle, or someone already registered (a user). Returns their id."""
        with self.ctx():
            if not isinstance(who, str) or who in self.extra:
                person = self.user(who)
            else:
                person = accounts.register(f"{who}@example.org", PASSWORD, name or who.title(), who, "en")
                self.extra[who] = person.id
            target = db.session.get(Group, group_id or self.group_id)
            admin = next(m.user for m in group_queries.current_members(target) if m.role == "admin")
            _, token = groups.create_invitation(admin, target, role, 7, 1)
            groups.accept_invitation(person, token)
            return person.id

    def crowd(self, n: int, prefix: str = "voter") -> list[str]:
        """`n` more members; their handles."""
        handles = [f"{prefix}{i}" for i in range(n)]
        for handle in handles:
            self.join(handle)
        return handles

    def client(self, who="member"):
        """A test client logged in as this role, added member or user; "anonymous" stays logged out."""
        client = self.app.test_client()
        if who != "anonymous":
            with self.ctx():
                email = self.user(who).email
            response = Auth(client).login(email)
            assert response.status_code == 302, "login failed"
        return client
