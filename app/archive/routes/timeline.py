"""The group's timeline page, filtered."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.archive import timeline
from app.archive.forms import TimelineForm
from app.archive.routes.common import bp, group_of_page
from app.core.forms import day_start
from app.groups import policy as group_policy
from app.groups import queries as group_queries

PER_TIMELINE_PAGE = 40

# The timeline partial (archive/_timeline.html) tells loaded events through these, wherever it is
# shown: this page, and the group home (app.web.pages), which passes it the newest events.
bp.add_app_template_global(timeline.collapse, "timeline_entries")
bp.add_app_template_global(timeline.home_timeline, "home_timeline")


@bp.route("/g/<slug>/timeline", endpoint="timeline")
def show_timeline(slug):
    group = group_of_page(slug)
    form = TimelineForm(request.args)
    people = group_queries.current_members(group)
    form.person.choices = [SelectChoice("", _("Anyone"))] + [SelectChoice(m.user_id, m.user.display_name) for m in people]
    where = timeline.TimelineFilter()
    if form.validate():
        since = day_start(form.since) if form.since.data else None
        until = day_start(form.until, 1) if form.until.data else None
        if not form.errors:
            where = timeline.TimelineFilter(
                category=form.kind.data or None,
                person_id=form.person.data,
                tag=(form.tag.data or "").strip().lstrip("#") or None,
                since=since,
                until=until,
            )
    before = request.args.get("before", type=int)
    readable = set(group_policy.readable_among(current_user, group.working_groups))
    where.hidden_groups = tuple(wg.id for wg in group.working_groups if wg not in readable)
    events = timeline.timeline([group.id], limit=PER_TIMELINE_PAGE + 1, before_id=before, where=where)
    more = len(events) > PER_TIMELINE_PAGE
    events = events[:PER_TIMELINE_PAGE]
    older = None
    if more:
        args = request.args.to_dict()
        args["before"] = events[-1].id
        older = url_for("archive.timeline", slug=group.slug, **args)
    return render_template("archive/timeline.html", group=group, form=form, events=events, older=older,
                           can_admin=group_policy.can_admin(current_user, group)), 200 if not form.errors else 422
