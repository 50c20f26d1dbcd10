"""My calendar link: the settings page, a new link, and the feed itself (reached by its secret address)."""
from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.labour import calendar
from app.labour.routes.common import bp, group_for, me, roles


@bp.route("/g/<slug>/care/calendar")
@login_required
def calendar_settings(slug):
    group = group_for(slug)
    token = calendar.calendar_token(me())
    feed_url = url_for("labour.feed", token=token, _external=True) if token else None
    response = Response(render_template("labour/calendar.html", group=group, feed_url=feed_url, **roles(group)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/g/<slug>/care/calendar/reset", methods=["POST"])
@login_required
def reset_calendar(slug):
    group = group_for(slug)
    had = calendar.calendar_token(me()) is not None
    calendar.reset_token(me())
    flash(_("A new link is made; the old one no longer works.") if had else
          _("Your calendar link is ready. Add it to your calendar app as a subscription."), "success")
    return redirect(url_for("labour.calendar_settings", slug=group.slug))


@bp.route("/care/calendar/<token>.ics")
def feed(token):
    user = calendar.owner_of(token)
    response = Response(calendar.feed(user), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="care-work.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
