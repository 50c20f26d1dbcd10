"""Whoever a caller names, a notification reaches only current members other than the actor."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.extensions import db
from app.notifications.kinds import KINDS
from app.notifications.services import notify

PEOPLE = ["admin", "facilitator", "member", "outsider", "leaver"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(named=st.lists(st.sampled_from(PEOPLE), max_size=8), actor=st.sampled_from(PEOPLE + [None]),
       kind=st.sampled_from(sorted(KINDS)), channel=st.sampled_from(["off", "app", "email"]))
def test_recipients_never_include_the_actor_outsiders_or_leavers(scene, named, actor, kind, channel):
    if "leaver" not in scene.extra:
        scene.join("leaver")
        scene.leave("leaver")
    members = {scene.uid(w) for w in ("admin", "facilitator", "member")}
    with scene.ctx():
        group = scene.group()
        person = scene.user(actor) if actor else None
        from app.notifications import preferences

        for who in ("admin", "facilitator", "member"):
            preferences.set_channel(scene.uid(who), group.id, kind, channel)
        made = notify([scene.uid(w) for w in named], kind, person, group, None, title="t")
        told = [n.user_id for n in made]
        emailed = [n.user_id for n in made if any(o.notification is n for o in db.session.new
                                                  if type(o).__name__ == "OutboxMessage")]
        db.session.rollback()
    assert len(told) == len(set(told))  # once each
    actor_id = scene.uid(actor) if actor else None
    assert set(told) <= members - {actor_id}
    expected = set() if channel == "off" else ({scene.uid(w) for w in named} & members) - {actor_id}
    assert set(told) == expected
    assert set(emailed) == (set(told) if channel == "email" else set())
