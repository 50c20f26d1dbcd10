"""`flask decisions close-due`: what cron runs every minute."""
from app.decisions.models import Proposal
from tests.decisions.helpers import REASON


def close_due(runner):
    result = runner.invoke(args=["decisions", "close-due"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_close_due_closes_every_proposal_whose_time_has_passed_and_says_how_many(board, runner):
    due = [board.propose("facilitator", title=f"Due {i}") for i in range(2)]
    later = board.propose("facilitator", title="Later")
    draft = board.propose("member", title="Draft", draft=True)
    for pid in due + [draft]:
        board.expire(pid)
    assert close_due(runner) == "Closed 2 proposal(s)."
    assert [board.get(Proposal, pid, "status") for pid in (*due, later, draft)] == ["closed", "closed", "open", "draft"]


def test_close_due_run_twice_closes_once(board, runner):
    pid = board.propose("facilitator")
    board.expire(pid)
    assert close_due(runner) == "Closed 1 proposal(s)."
    closed_at = board.get(Proposal, pid, "closed_at")
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert board.get(Proposal, pid, "closed_at") == closed_at
    assert board.events("proposal.closed") == [("proposal.closed", None)]


def test_close_due_computes_the_result_by_the_rule(board, runner):
    objected = board.propose("facilitator", title="Objected")
    board.vote(objected, "member", "object", REASON)
    agreed = board.propose("facilitator", title="Agreed", quorum_percent=50)
    board.vote(agreed, "member", "consent")
    board.vote(agreed, "admin", "concern", "Fine, but mind the stairs.")
    for pid in (objected, agreed):
        board.expire(pid)
    close_due(runner)
    assert board.get(Proposal, objected, "result") == "not_adopted"
    assert board.get(Proposal, agreed, "result", "eligible_count") == ("adopted", 3)
    assert board.get(Proposal, agreed, "result_detail")["counts"] == {"consent": 1, "concern": 1, "object": 0}


def test_close_due_leaves_withdrawn_and_already_closed_proposals_alone(board, runner):
    withdrawn = board.propose("member")
    board.withdraw(withdrawn, "member")
    closed = board.propose("member")
    board.close(closed)
    for pid in (withdrawn, closed):
        board.expire(pid)
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert board.get(Proposal, withdrawn, "status") == "withdrawn"
    assert len(board.events("proposal.closed")) == 1


def test_close_due_with_nothing_due_closes_nothing(board, runner):
    board.propose("facilitator")
    assert close_due(runner) == "Closed 0 proposal(s)."
    assert board.events("proposal.closed") == []
