"""`flask decisions close-due`: what cron runs every minute."""
from app.decisions.models import Proposal
from tests.decisions.helpers import REASON


def close_due(runner):
    result = runner.invoke(args=["decisions", "close-due"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_close_due_closes_every_proposal_whose_time_has_passed_and_says_how_many(scene, runner):
    due = [scene.propose("facilitator", title=f"Due {i}") for i in range(2)]
    later = scene.propose("facilitator", title="Later")
    draft = scene.propose("member", title="Draft", draft=True)
    for pid in due + [draft]:
        scene.expire(pid)
    assert close_due(runner) == "Closed 2 proposal(s)."
    assert [scene.get(Proposal, pid, "status") for pid in (*due, later, draft)] == ["closed", "closed", "open", "draft"]


def test_close_due_run_twice_closes_once(scene, runner):
    pid = scene.propose("facilitator")
    scene.expire(pid)
    assert close_due(runner) == "Closed 1 proposal(s)."
    closed_at = scene.get(Proposal, pid, "closed_at")
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert scene.get(Proposal, pid, "closed_at") == closed_at
    assert scene.events("proposal.closed") == [("proposal.closed", None)]


def test_close_due_computes_the_result_by_the_rule(scene, runner):
    objected = scene.propose("facilitator", title="Objected")
    scene.vote(objected, "member", "object", REASON)
    agreed = scene.propose("facilitator", title="Agreed", quorum_percent=50)
    scene.vote(agreed, "member", "consent")
    scene.vote(agreed, "admin", "concern", "Fine, but mind the stairs.")
    for pid in (objected, agreed):
        scene.expire(pid)
    close_due(runner)
    assert scene.get(Proposal, objected, "result") == "not_adopted"
    assert scene.get(Proposal, agreed, "result", "eligible_count") == ("adopted", 3)
    assert scene.get(Proposal, agreed, "result_detail")["counts"] == {"consent": 1, "concern": 1, "object": 0}


def test_close_due_leaves_withdrawn_and_already_closed_proposals_alone(scene, runner):
    withdrawn = scene.propose("member")
    scene.withdraw(withdrawn, "member")
    closed = scene.propose("member")
    scene.close(closed)
    for pid in (withdrawn, closed):
        scene.expire(pid)
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert scene.get(Proposal, withdrawn, "status") == "withdrawn"
    assert len(scene.events("proposal.closed")) == 1


def test_close_due_with_nothing_due_closes_nothing(scene, runner):
    scene.propose("facilitator")
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert scene.events("proposal.closed") == []
