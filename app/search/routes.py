"""The search page: a plain GET form that htmx turns into results as you type (the `results`
block of the page, built by `results_context`)."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from wtforms import SelectChoice

from app.accounts.models import User
from app.accounts.services import user_by_handle
from app.core.errors import Missing
from app.core.extensions import db, htmx
from app.core.forms import day_start
from app.groups import services as groups
from app.groups.models import Group
from app.search import service
from app.search.forms import SearchForm
from app.search.results import SearchPage


bp = Blueprint("search", __name__)


@bp.route("/search")
def search():
    form = SearchForm(request.args)
    form.group.choices = [SelectChoice("", _("Everywhere I can read"))] + [
        SelectChoice(group.slug, group.name) for group, _role in groups.my_groups(current_user)
    ] if current_user.is_authenticated else [SelectChoice("", _("Everywhere I can read"))]
    found = SearchPage()
    if form.validate() and form.q.data:
        options = _options(form)
        if not form.errors:
            found = service.search(current_user, form.q.data, page=form.page.data or 1, **options)
            _attach_names(found)
    status = 422 if form.errors else 200
    if htmx and htmx.target == "search-results":
        return render_block("search/search.html", "results", **results_context(form, found)), status
    return render_template("search/search.html", **results_context(form, found)), status


def results_context(form, found: SearchPage) -> dict:
    """What the `results` block shows: the hits, the words searched, and whether a filter was refused.
    The page around it needs only the form, which is already here."""
    return {"form": form, "found": found, "query": form.q.data or ""}


def _options(form) -> dict:
    """The form's filters as search arguments; a bad one becomes that field's error."""
    options = {"kinds": (form.kind.data,) if form.kind.data else (), "by_date": form.sort.data == "date"}
    if form.group.data:
        try:
            group = groups.group_for(current_user, form.group.data)
        except Missing:
            form.group.errors.append(_("There is no such group, or you can't read it."))
        else:
            options["group_ids"] = [group.id]
            if all(choice.value != group.slug for choice in form.group.choices):
                form.group.choices.append(SelectChoice(group.slug, group.name))  # a public group, not mine
    if form.author.data:
        author = user_by_handle(form.author.data.strip().lstrip("@"))
        if author is None:
            form.author.errors.append(_("No one has that handle."))
        else:
            options["author_id"] = author.id
    options["date_from"] = day_start(form.since) if form.since.data else None
    options["date_to"] = day_start(form.until, 1) if form.until.data else None
    if options["date_from"] and options["date_to"] and options["date_from"] >= options["date_to"]:
        form.until.errors.append(_("The end date is before the start date."))
    return options


def _attach_names(found: SearchPage) -> None:
    """Each hit's group and author, in two queries however many hits there are."""
    group_ids = {h.group_id for h in found.hits}
    author_ids = {h.author_id for h in found.hits if h.author_id}
    names = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))} if group_ids else {}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    for hit in found.hits:
        hit.group = names.get(hit.group_id)
        hit.author = people.get(hit.author_id)
