"""The decisions pages. Each route loads what it is about (Missing if the viewer can't see it),
asks `policy` once, then hands over to a service; htmx gets the `votes` block of the proposal page."""
import io

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from wtforms import SelectChoice

from app.core import spreadsheet
from app.core.database import utcnow
from app.decisions import ballots, closing, outcomes, policy, proposals, queries, threads, votes
from app.decisions.forms import (
    CHOICE_LABELS,
    RESULT_LABELS,
    AmendForm,
    ClosingForm,
    OutcomeForm,
    ProposalForm,
    RegisterFilterForm,
    VoteForm,
    closing_time,
)
from app.decisions.models import CHOICES
from app.core.errors import Missing, Refused, require, show_on_form
from app.core.extensions import htmx
from app.core.forms import MAX_ROW_ID
from app.core.revisions import show_history
from app.groups import policy as group_policy
from app.groups import queries as group_queries
from app.groups import services as groups
from app.core.security import safe_next
from app.core.submissions import discreet, once


bp = Blueprint("decisions", __name__)


def _group(slug):
    g.group = groups.group_for(current_user, slug)
    return g.group


def _proposal(proposal_id):
    proposal = queries.proposal_for(current_user, proposal_id)
    g.group = proposal.group
    return proposal


def _status(form) -> int:
    return 422 if form.errors else 200


@bp.record_once
def _labels(state):
    # Globals, not context: imported macros (decisions/_parts.html) see them too.
    state.app.jinja_env.globals.update(CHOICE_LABELS=CHOICE_LABELS, RESULT_LABELS=RESULT_LABELS)


@bp.route("/g/<slug>/decisions")
def index(slug):
    group = _group(slug)
    return render_template(
        "decisions/index.html", group=group, lists=queries.group_proposals(current_user, group),
        can_propose=policy.can_propose(current_user, group), can_admin=group_policy.can_admin(current_user, group),
    )


@bp.route("/g/<slug>/decisions/new", methods=["GET", "POST"])
@login_required
@once
def new(slug):
    group = _group(slug)
    require(policy.can_propose(current_user, group))
    thread = _thread(group)
    form = ProposalForm()
    if request.method == "GET" and thread is not None:
        form.title.data = thread.title
    if form.validate_on_submit():
        draft = proposals.Draft(
            title=form.title.data, body=form.body.data, days=form.days.data, kind=form.kind.data,
            closes_at=closing_time(form.closes_at), quorum_percent=form.quorum_percent.data or 0,
            anonymous=form.anonymous.data, hide_results=form.hide_results.data,
            reason_required=form.reason_required.data, draft=form.draft.data,
            options=tuple((form.options.data or "").splitlines()), multiple_choice=form.multiple_choice.data,
        )
        try:
            proposal = proposals.propose(current_user, group, draft, thread)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(url_for("decisions.show", proposal_id=proposal.id))
    return render_template("decisions/new.html", group=group, form=form, thread=thread), _status(form)


def _thread(group):
    """The thread a new proposal goes in (`thread` in the query or the form), if any. One this person
    can't read, of another group, or with an id no row can have, is not found."""
    thread_id = request.values.get("thread", type=int)
    if not thread_id:
        return None
    if not 1 <= thread_id <= MAX_ROW_ID:
        raise Missing()
    thread = threads.readable(current_user, thread_id)
    if thread.group_id != group.id:
        raise Missing()
    return thread


def votes_context(proposal, user, vote_form=None) -> dict:
    """What the `votes` block shows (the page, or the block alone for htmx), in a fixed number of queries.

    What may not be shown yet is not handed to the template at all: no votes (counts, reasons)
    while results are hidden, no tally on an open anonymous proposal, no list of who took part
    while an anonymous proposal is open.
    """
    current = ballots.current_votes(proposal)
    mine = ballots.my_vote(user, proposal, current)
    can_see_results = ballots.results_visible(proposal)
    show_people = ballots.participation_visible(proposal)
    took_part = ballots.participants(proposal) if show_people else []
    voter_ids = {p.user_id for p in took_part}
    members = group_queries.current_members(proposal.group) if show_people and proposal.status == "open" else []
    if vote_form is None:
        vote_form = VoteForm(formdata=None)
        if mine is not None:  # "Change my vote" starts from what I said: choice, options and reason
            vote_form.choice.data, vote_form.option_ids.data = mine.choice, list(mine.option_ids or [])
            vote_form.reason.data = mine.reason_md
    sealed_open = proposal.anonymous and not can_see_results
    return dict(
        proposal=proposal, votes=current if can_see_results else [], mine=mine, vote_form=vote_form,
        result=None if sealed_open else queries.live_result(proposal, current),
        took_part=took_part, not_yet=[m for m in members if m.user_id not in voter_ids],
        can_see_results=can_see_results, choices=CHOICES[proposal.kind],
        can_vote=policy.can_vote(user, proposal), options={o.id: o for o in proposal.options},
    )


def page_context(proposal, user, vote_form=None) -> dict:
    """Everything the proposal page shows: the votes block and what surrounds it."""
    actions = proposal.outcome.actions if proposal.outcome else []
    return dict(
        votes_context(proposal, user, vote_form), group=proposal.group,
        can_amend=policy.can_amend(user, proposal), can_facilitate=policy.can_facilitate(user, proposal),
        can_withdraw=policy.can_withdraw(user, proposal), closing_form=ClosingForm(formdata=None),
        can_mark_done={a.id for a in actions if policy.can_mark_done(user, a)},
    )


@bp.route("/p/<int:proposal_id>")
def show(proposal_id):
    proposal = _proposal(proposal_id)
    return render_template("decisions/show.html", **page_context(proposal, current_user))


@bp.route("/p/<int:proposal_id>/history")
def history(proposal_id):
    proposal = _proposal(proposal_id)
    return show_history(proposal, proposal.group, url_for("decisions.show", proposal_id=proposal.id), proposal.title)


@bp.route("/p/<int:proposal_id>/vote", methods=["POST"])
@login_required
@once
def vote(proposal_id):
    proposal = _proposal(proposal_id)
    require(policy.can_take_part(current_user, proposal))
    if proposal.anonymous:
        discreet()  # the key must not tie this person to this proposal's ballots
    form = VoteForm()
    status = 200
    if form.validate_on_submit():
        try:
            votes.cast_vote(current_user, proposal, form.choice.data or "", form.reason.data,
                            form.option_ids.data or [])
        except Refused as refusal:
            show_on_form(form, refusal)
            status = 422
        else:
            # Said the same with htmx: app.core.announce sends it with the votes block.
            flash(_("Your vote is recorded. You can change it until the proposal closes."), "success")
            if not htmx:
                return redirect(url_for("decisions.show", proposal_id=proposal.id, _anchor="votes"))
            form = None
    else:
        status = 422
    if htmx:
        return render_block("decisions/show.html", "votes", **votes_context(proposal, current_user, form)), status
    return render_template("decisions/show.html", **page_context(proposal, current_user, form)), status


@bp.route("/p/<int:proposal_id>/objection", methods=["POST"])
@login_required
def objection(proposal_id):
    proposal = _proposal(proposal_id)
    require(policy.can_take_part(current_user, proposal))
    try:
        votes.settle_objection(current_user, proposal, request.form.get("state", ""))
    except Refused as refusal:
        flash(str(refusal.message), "error")
    else:
        flash(_("Thank you. Your objection is marked as settled."), "success")
    return redirect(url_for("decisions.show", proposal_id=proposal.id, _anchor="votes"))


@bp.route("/p/<int:proposal_id>/amend", methods=["GET", "POST"])
@login_required
def amend(proposal_id):
    proposal = _proposal(proposal_id)
    require(policy.can_amend(current_user, proposal))
    form = AmendForm(obj=proposal)
    if request.method == "GET":
        form.body.data = proposal.body_md
    if form.validate_on_submit():
        try:
            proposals.amend(current_user, proposal, form.title.data, form.body.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("The proposal is amended. Everyone who voted has been told."), "success")
            return redirect(url_for("decisions.show", proposal_id=proposal.id))
    return render_template("decisions/amend.html", proposal=proposal, group=proposal.group, form=form), _status(form)


def _change(proposal_id, allowed, change, done_message, new_closing_time=False):
    """Run one lifecycle change if `allowed`; a refusal becomes a flashed message. Back to the proposal either way."""
    proposal = _proposal(proposal_id)
    require(allowed(current_user, proposal))
    try:
        if new_closing_time:
            form = ClosingForm()
            if not form.validate_on_submit():
                errors = [e for field_errors in form.errors.values() for e in field_errors]
                raise Refused(errors[0] if errors else _("Choose between 1 and %(days)s days.", days=closing.MAX_DAYS))
            change(proposal, days=form.days.data, closes_at=closing_time(form.closes_at))
        else:
            change(proposal)
    except Refused as refusal:
        flash(str(refusal.message), "error")
    else:
        flash(done_message, "success")
    return redirect(url_for("decisions.show", proposal_id=proposal.id))


@bp.route("/p/<int:proposal_id>/open", methods=["POST"])
@login_required
def open_draft(proposal_id):
    return _change(proposal_id, policy.can_open, lambda p, **when: proposals.open_draft(current_user, p, **when),
                   _("The proposal is open for votes."), new_closing_time=True)


@bp.route("/p/<int:proposal_id>/close", methods=["POST"])
@login_required
def close(proposal_id):
    return _change(proposal_id, policy.can_facilitate, lambda p: closing.close(current_user, p),
                   _("The proposal is closed."))


@bp.route("/p/<int:proposal_id>/reopen", methods=["POST"])
@login_required
def reopen(proposal_id):
    return _change(proposal_id, policy.can_facilitate, lambda p, **when: closing.reopen(current_user, p, **when),
                   _("The proposal is open again."), new_closing_time=True)


@bp.route("/p/<int:proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id):
    proposal = _proposal(proposal_id)
    require(policy.can_withdraw(current_user, proposal))
    closing.withdraw(current_user, proposal)
    flash(_("The proposal is withdrawn."), "success")
    return redirect(url_for("decisions.show", proposal_id=proposal.id))


@bp.route("/p/<int:proposal_id>/outcome", methods=["GET", "POST"])
@login_required
@once
def outcome(proposal_id):
    proposal = _proposal(proposal_id)
    require(policy.can_facilitate(current_user, proposal))
    form = OutcomeForm()
    members = group_queries.current_members(proposal.group)
    allowed = outcomes.result_choices(proposal)
    form.result.choices = [SelectChoice(r, RESULT_LABELS[r]) for r in allowed]
    for entry in form.actions:
        entry.form.owner_id.choices = [SelectChoice("", _("Nobody yet"))] + [
            SelectChoice(m.user_id, m.user.display_name) for m in members]
    if request.method == "GET":
        form.result.data = proposal.result if proposal.result in allowed else None
    if form.validate_on_submit():
        actions = [
            outcomes.ActionDraft(a.description.data or "", a.owner_id.data, a.due_on.data)
            for a in (entry.form for entry in form.actions) if (a.description.data or "").strip()
        ]
        try:
            outcomes.record_outcome(current_user, proposal, form.statement.data, form.result.data,
                                    form.review_on.data, actions)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("The outcome is recorded in the decision register."), "success")
            return redirect(url_for("decisions.show", proposal_id=proposal.id, _anchor="outcome"))
    return render_template("decisions/outcome.html", proposal=proposal, group=proposal.group,
                           form=form), _status(form)


@bp.route("/actions/<int:action_id>/done", methods=["POST"])
@login_required
def action_done(action_id):
    action = queries.action_for(current_user, action_id)
    require(policy.can_mark_done(current_user, action))
    outcomes.set_action_done(current_user, action, request.form.get("done") == "1")
    return redirect(safe_next(request.form.get("next"),
                              url_for("decisions.show", proposal_id=action.outcome.proposal_id, _anchor="outcome")))


def _register_filter(group):
    form = RegisterFilterForm(request.args)
    form.result.choices = [SelectChoice("", _("Any result"))] + [SelectChoice(k, v) for k, v in RESULT_LABELS.items()]
    where = queries.RegisterFilter()
    if form.validate():
        where = queries.RegisterFilter(result=form.result.data or None, year=form.year.data,
                                        tag=(form.tag.data or "").strip().lstrip("#") or None)
    return form, where


@bp.route("/g/<slug>/register")
def register(slug):
    group = _group(slug)
    form, where = _register_filter(group)
    outcomes = queries.register(group, where, viewer=current_user)
    return render_template("decisions/register.html", group=group, form=form, outcomes=outcomes,
                           today=utcnow().date(),
                           can_admin=group_policy.can_admin(current_user, group)), _status(form)


@bp.route("/g/<slug>/register.csv")
def register_csv(slug):
    group = _group(slug)
    _form, where = _register_filter(group)
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["decided_on", "group", "proposal", "kind", "result", "statement", "review_on",
                     "open_actions", "url"])
    for o in queries.register(group, where, viewer=current_user):
        writer.writerow([
            o.recorded_at.date().isoformat(), o.group.name, o.proposal.title, o.proposal.kind, o.result,
            o.statement_md, o.review_on.isoformat() if o.review_on else "",
            sum(1 for a in o.actions if a.done_at is None),
            url_for("decisions.show", proposal_id=o.proposal_id, _external=True),
        ])
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{group.slug}-decision-register.csv"'},
    )
