"""The properties of the assignment rule and the ledger (docs/ROTA.md, "What the tests hold it to"), checked with hypothesis, exactly."""
import random
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.labour import ledger, rota

CAPACITIES = st.sampled_from([Fraction(n, 10) for n in range(1, 11)])


@st.composite
def groups(draw, restricted=True, absences=True):
    """A few members with capacities, some tasks, willingness and absences over several periods.

    The unrestricted case is also "normal": every slot can go to anyone (one person per task),
    since a task needing the whole group forces work on people whatever their share.
    """
    n = draw(st.integers(2, 8))
    members = list(range(1, n + 1))
    capacity = {m: draw(CAPACITIES) for m in members}
    most = 2 if restricted else 1
    tasks = [
        rota.Task(i, draw(st.integers(1, 5)), draw(st.sampled_from("abc")), draw(st.integers(1, most)))
        for i in range(1, draw(st.integers(1, 5)) + 1)
    ]
    willingness = {}
    if restricted:
        for m in members:
            for t in tasks:
                level = draw(st.sampled_from([rota.HAPPY, rota.HAPPY, rota.RATHER_NOT, rota.CANNOT]))
                if level != rota.HAPPY:
                    willingness[(m, t.id)] = level
    periods = []
    for p in range(draw(st.integers(1, 10))):
        away = set(draw(st.sets(st.sampled_from(members), max_size=n - 1))) if absences else set()
        periods.append(rota.Period(p, {m: (Fraction(0) if m in away else capacity[m]) for m in members}, tasks))
    return members, tasks, willingness, periods


def run(periods, willingness, seed="s"):
    state = rota.State()
    history = []
    for period in periods:
        before = dict(state.balances)
        picks = rota.assign_period(period, state, willingness, seed)
        history.append((period, picks, before, dict(state.balances)))
    return state, history


@given(groups())
def test_conservation_sum_of_balances_is_zero_after_every_period(g):
    _, _, willingness, periods = g
    _, history = run(periods, willingness)
    for _, _, _, after in history:
        assert sum(after.values(), Fraction(0)) == 0


@given(groups())
def test_absent_member_is_never_assigned_and_their_balance_does_not_move(g):
    _, _, willingness, periods = g
    _, history = run(periods, willingness)
    for period, picks, before, after in history:
        away = {m for m, c in period.capacities.items() if c == 0}
        assert not {p.member_id for p in picks} & away
        for m in away:
            assert after.get(m, Fraction(0)) == before.get(m, Fraction(0))


@given(groups())
def test_cannot_is_never_assigned(g):
    _, _, willingness, periods = g
    _, history = run(periods, willingness)
    for _, picks, _, _ in history:
        for pick in picks:
            assert willingness.get((pick.member_id, pick.task_id)) != rota.CANNOT


@given(groups())
def test_nobody_holds_two_slots_of_one_task_in_a_period(g):
    _, _, willingness, periods = g
    _, history = run(periods, willingness)
    for _, picks, _, _ in history:
        pairs = [(p.member_id, p.task_id) for p in picks]
        assert len(pairs) == len(set(pairs))


@settings(max_examples=300)
@given(groups(restricted=False, absences=False))
def test_unrestricted_balances_stay_within_one_task_at_every_boundary(g):
    _, tasks, willingness, periods = g
    w_max = max(t.effort for t in tasks)
    _, history = run(periods, willingness)
    for _, _, _, after in history:
        assert rota.unfairness(after) <= w_max


@given(groups(), st.randoms(use_true_random=False))
def test_same_inputs_in_any_order_give_the_same_rota(g, rnd):
    _, tasks, willingness, periods = g
    _, first = run(periods, willingness)
    shuffled = []
    for period in periods:
        items = list(period.capacities.items())
        rnd.shuffle(items)
        shuffled_tasks = list(period.tasks)
        rnd.shuffle(shuffled_tasks)
        shuffled.append(rota.Period(period.index, dict(items), shuffled_tasks))
    _, second = run(shuffled, dict(reversed(list(willingness.items()))))
    picks = lambda h: [(p.task_id, p.slot, p.member_id) for _, ps, _, _ in h for p in ps]  # noqa: E731
    assert picks(first) == picks(second)


@given(groups())
def test_chosen_member_tops_their_own_reason(g):
    _, _, willingness, periods = g
    _, history = run(periods, willingness)
    for _, picks, _, _ in history:
        for pick in picks:
            assert pick.ranked[0].member_id == pick.member_id
            keys = [rota.rank_key(c)[:5] for c in pick.ranked]  # the rule's order, without the draw
            assert keys == sorted(keys)


def test_rather_not_only_breaks_ties_on_balance():
    period = rota.Period(0, {1: Fraction(1), 2: Fraction(1)}, [rota.Task(1, 2, "a")])
    state = rota.State(balances={1: Fraction(0), 2: Fraction(0)})
    picks = rota.assign_period(period, state, {(1, 1): rota.RATHER_NOT}, "s")
    assert picks[0].member_id == 2
    behind = rota.State(balances={1: Fraction(-3), 2: Fraction(3)})
    picks = rota.assign_period(period, behind, {(1, 1): rota.RATHER_NOT}, "s")
    assert picks[0].member_id == 1  # furthest behind takes it even if they'd rather not


def test_a_slot_nobody_can_fill_is_owed_by_nobody():
    period = rota.Period(0, {1: Fraction(1), 2: Fraction(1)}, [rota.Task(1, 3, "a")])
    state = rota.State()
    picks = rota.assign_period(period, state, {(1, 1): rota.CANNOT, (2, 1): rota.CANNOT}, "s")
    assert picks == [] and all(b == 0 for b in state.balances.values())


# ---------------------------------------------------------------- the ledger


@st.composite
def ledgers(draw):
    members = list(range(1, draw(st.integers(2, 6)) + 1))
    entries = [ledger.Entry("join", m, 0, capacity=draw(st.sampled_from([10, 50, 100]))) for m in members]
    left = set()
    for p in range(draw(st.integers(1, 8))):
        for m in members:
            if m in left:
                continue
            action = draw(st.sampled_from(["none", "none", "done", "done", "capacity", "absence", "leave"]))
            if action == "done":
                entries.append(ledger.Entry("done", m, p, effort=draw(st.integers(1, 5))))
            elif action == "capacity":
                entries.append(ledger.Entry("capacity", m, p + 1, capacity=draw(st.sampled_from([10, 30, 100]))))
            elif action == "absence":
                entries.append(ledger.Entry("absence", m, p, until=p + draw(st.integers(0, 2)), ref_id=len(entries)))
            elif action == "leave" and len(left) < len(members) - 1:
                entries.append(ledger.Entry("leave", m, p + 1))
                left.add(m)
    return entries


@given(ledgers())
def test_ledger_balances_always_sum_to_zero(entries):
    for snapshot in ledger.history(entries):
        assert sum(snapshot.balances.values(), Fraction(0)) == 0


@given(ledgers())
def test_leave_keeps_the_sum_at_zero_and_removes_the_member(entries):
    final = ledger.balances(entries)
    gone = {e.user_id for e in entries if e.kind == "leave"}
    assert not gone & set(final)
    assert sum(final.values(), Fraction(0)) == 0


@given(ledgers(), st.data())
def test_a_swap_moves_only_the_two_balances(entries, data):
    done = [i for i, e in enumerate(entries) if e.kind == "done"]
    if not done:
        return
    i = data.draw(st.sampled_from(done))
    original = entries[i]
    present = sorted(ledger.balances(entries, through=original.period))
    other = data.draw(st.sampled_from(present))
    swapped = entries[:i] + [ledger.Entry("done", other, original.period, effort=original.effort)] + entries[i + 1:]
    before, after = ledger.balances(entries, original.period), ledger.balances(swapped, original.period)
    moved = {m for m in before if before[m] != after.get(m)}
    assert moved <= {original.user_id, other}
    assert sum(after.values(), Fraction(0)) == 0


def test_join_starts_at_zero_with_no_back_dated_debt():
    entries = [ledger.Entry("join", 1, 0), ledger.Entry("join", 2, 0), ledger.Entry("done", 1, 0, effort=4),
               ledger.Entry("join", 3, 5)]
    assert ledger.balances(entries)[3] == 0


def test_absent_member_owes_nothing_for_work_done_while_away():
    entries = [ledger.Entry("join", 1, 0), ledger.Entry("join", 2, 0),
               ledger.Entry("absence", 2, 1, until=1, ref_id=1), ledger.Entry("done", 1, 1, effort=3)]
    assert ledger.balances(entries) == {1: 0, 2: 0}


def test_capacity_halves_the_share_owed():
    entries = [ledger.Entry("join", 1, 0, capacity=100), ledger.Entry("join", 2, 0, capacity=50),
               ledger.Entry("done", 1, 0, effort=3)]
    b = ledger.balances(entries)
    assert b == {1: Fraction(1), 2: Fraction(-1)}


def test_cancelled_absence_counts_the_member_again():
    entries = [ledger.Entry("join", 1, 0), ledger.Entry("join", 2, 0),
               ledger.Entry("absence", 2, 1, until=1, ref_id=7), ledger.Entry("absence_cancelled", 2, 1, ref_id=7),
               ledger.Entry("done", 1, 1, effort=2)]
    assert ledger.balances(entries) == {1: 1, 2: -1}


def test_generation_of_a_year_is_exact_and_deterministic():
    rnd = random.Random(3)
    tasks = [rota.Task(i, rnd.randint(1, 5), rnd.choice("abcde"), rnd.choice([1, 2])) for i in range(1, 21)]
    periods = [rota.Period(p, {m: Fraction(1) for m in range(1, 51)}, tasks) for p in range(52)]
    a, b = rota.State(), rota.State()
    first, second = rota.generate(periods, a, {}, "x"), rota.generate(list(reversed(periods)), b, {}, "x")
    assert [(p.task_id, p.member_id) for p in first] == [(p.task_id, p.member_id) for p in second]
    assert sum(a.balances.values()) == 0


# ---------------------------------------------------------------- slots already agreed or settled


@st.composite
def periods_with_agreements(draw):
    """Periods where some slots were agreed by hand (kept) or settled another way (done, missed, open
    to anyone) — at any slot number, even past what the task now needs, and by anyone."""
    members, tasks, willingness, periods = draw(groups())
    slot = st.integers(0, 3)
    marked = []
    for period in periods:
        pairs = st.tuples(st.sampled_from(tasks), slot, st.sampled_from(members))
        kept = draw(st.lists(pairs, max_size=3, unique_by=lambda x: (x[0].id, x[1])))
        settled = [(t.id, n, m if keep else None)
                   for t, n, m, keep in draw(st.lists(st.tuples(st.sampled_from(tasks), slot,
                                                                st.sampled_from(members), st.booleans()),
                                                      max_size=2, unique_by=lambda x: (x[0].id, x[1])))
                   if (t.id, n) not in {(k.id, kn) for k, kn, _ in kept}]
        marked.append(rota.Period(period.index, period.capacities, period.tasks,
                                  tuple((t.id, n, m) for t, n, m in kept), tuple(settled)))
    return willingness, marked


@given(periods_with_agreements())
def test_agreed_and_settled_slots_are_never_handed_out_again_and_never_break_the_rules(g):
    willingness, periods = g
    state = rota.State()
    for period in periods:
        picks = rota.assign_period(period, state, willingness, "s")  # never fails, whatever was agreed
        assert sum(state.balances.values(), Fraction(0)) == 0
        available = {m for m, c in period.capacities.items() if c > 0}
        # A kept slot whose holder is away is planned again; every other agreed or settled slot is not.
        taken = {(t, n) for t, n, m in period.kept if m in available} | {(t, n) for t, n, _ in period.settled}
        held = {(m, t) for t, _, m in period.kept if m in available} | {(m, t) for t, _, m in period.settled if m}
        for pick in picks:
            assert (pick.task_id, pick.slot) not in taken
            assert pick.member_id in available
            assert willingness.get((pick.member_id, pick.task_id)) != rota.CANNOT
            assert (pick.member_id, pick.task_id) not in held  # nobody holds two slots of one task
            held.add((pick.member_id, pick.task_id))


def test_a_slot_is_not_handed_out_when_the_only_one_able_already_holds_that_task():
    # Two were needed when Minji agreed to slot 1; now one is, and only she can do it: nothing more to plan.
    period = rota.Period(0, {1: Fraction(1), 2: Fraction(1)}, [rota.Task(1, 3, "a", 1)], kept=((1, 1, 1),))
    state = rota.State()
    assert rota.assign_period(period, state, {(2, 1): rota.CANNOT}, "s") == []
    assert state.balances == {1: Fraction(3, 2), 2: Fraction(-3, 2)} and sum(state.balances.values()) == 0
