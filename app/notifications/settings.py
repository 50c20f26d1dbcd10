"""The pages where a member says what they want to hear, and the no-login link in every email.

Their own blueprint (`notification_settings`), with its own permission table in tests/notifications.
Each route loads the group or thread (Missing if the viewer can't read it) and asks `policy` once;
htmx gets the `preferences` block of the group page, built by `preferences_context`.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from app.accounts.models import User
from app.accounts.services import masked_email
from app.core.errors import Missing, Refused, require, show_on_form
from app.core.extensions import csrf, db, htmx
from app.groups.models import Group
from app.archive import threads as archive
from app.groups import services as groups
from app.notifications import kinds, mail, policy, preferences
from app.notifications.forms import MailSettingsForm, ThreadStateForm
from app.notifications.models import CHANNELS

bp = Blueprint("notification_settings", __name__)


# ---------------------------------------------------------------- settings


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    """Email rhythm across all my groups, and the way to each group's own settings."""
    current = preferences.mail_settings(current_user)
    form = MailSettingsForm(data={"digest": current.digest, "email_off": current.email_off})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                preferences.set_mail_settings(current_user.id, form.digest.data, bool(form.email_off.data))
            except Refused as refusal:
                show_on_form(form, refusal)
                status = 422
            else:
                flash(_("Your email settings are saved."), "success")
                return redirect(url_for("notification_settings.settings"))
        else:
            status = 422
    return render_template("notifications/settings.html", form=form, groups=groups.my_groups(current_user)), status


def _wanted_channels() -> dict[str, str]:
    return {kind: request.form.get(f"kind-{kind}", "") for kind in kinds.KINDS if f"kind-{kind}" in request.form}


@bp.route("/g/<slug>/notifications", methods=["GET", "POST"])
@login_required
def group_settings(slug):
    """Kind by kind, how I hear of this group: off, in Canoe, or also by email."""
    group = groups.group_for(current_user, slug)
    require(policy.can_choose(current_user, group))
    chosen = preferences.group_preferences(current_user, group)
    error, status = None, 200
    if request.method == "POST":
        wanted = _wanted_channels()
        try:
            if not wanted:
                raise Refused(_("Choose how you want to hear about at least one thing."))
            preferences.set_group_preferences(current_user, group, wanted)
        except Refused as refusal:
            db.session.rollback()
            error, status = str(refusal.message), 422
            chosen = {**chosen, **{k: v for k, v in wanted.items() if v in CHANNELS and k in chosen}}
        else:
            if not htmx:
                flash(_("Your notification settings for %(group)s are saved.", group=group.name), "success")
                return redirect(url_for("notification_settings.group_settings", slug=group.slug))
            chosen = preferences.group_preferences(current_user, group)
    context = preferences_context(group, chosen, error, saved=request.method == "POST" and not error)
    if htmx and request.method == "POST":
        return render_block("notifications/group_settings.html", "preferences", **context), status
    return render_template("notifications/group_settings.html", **context,
                           threads=preferences.my_thread_states(current_user, group)), status


def preferences_context(group, chosen: dict[str, str], error: str | None = None, saved: bool = False) -> dict:
    """What the `preferences` block (the form of kinds and channels) shows."""
    return dict(group=group, chosen=chosen, kinds=kinds, channels=CHANNELS, error=error, saved=saved)


@bp.route("/t/<int:thread_id>/notifications", methods=["GET", "POST"])
@login_required
def thread_settings(thread_id):
    """Follow, normal or mute, for one thread."""
    thread = archive.thread_for(current_user, thread_id)
    if not policy.can_see_thread(current_user, thread):
        raise Missing()
    require(policy.can_follow(current_user, thread))
    form = ThreadStateForm(data={"state": preferences.thread_state(current_user, thread)})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                preferences.set_thread_state(current_user, thread, form.state.data)
            except Refused as refusal:
                show_on_form(form, refusal)
                status = 422
            else:
                flash(_("Saved: you will hear about this thread as you chose."), "success")
                return redirect(url_for("archive.thread", thread_id=thread.id))
        else:
            status = 422
    return render_template("notifications/thread_settings.html", thread=thread, form=form), status


# ---------------------------------------------------------------- the link in every email (no login)


@bp.route("/mail/settings/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; RFC 8058 one-click posts come from mail providers, without a form
def mail_link(token):
    """Stop one kind of email (or the digest, or all email) with the link from an email, no login needed.

    GET shows what the link would do; only POST changes anything (RFC 8058 one-click posts
    `List-Unsubscribe=One-Click` here)."""
    try:
        user_id, group_id, kind = mail.read_token(token)
    except mail.BadLink as bad:
        message = (_("This link has expired. Log in to change your email settings.") if bad.expired
                   else _("This link is not valid. Log in to change your email settings."))
        return render_template("notifications/mail_link.html", problem=message), 400
    person = db.session.get(User, user_id)
    group = db.session.get(Group, group_id) if group_id else None
    if person is None or (group_id and group is None) or (kind not in kinds.KINDS and kind != "digest"):
        return render_template("notifications/mail_link.html",
                               problem=_("This link is not valid. Log in to change your email settings.")), 400
    done = None
    if request.method == "POST":
        what = request.form.get("stop", "this")
        if what == "all":
            preferences.set_mail_settings(person.id, email_off=True, commit=False)
            done = _("Done: Canoe will send you no more email.")
        elif kind == "digest":
            preferences.set_mail_settings(person.id, digest="off", commit=False)
            done = _("Done: no more digest emails.")
        else:
            preferences.set_channel(person.id, group_id, kind, "app")
            done = _("Done: no more emails about this. You will still see it in Canoe.")
        db.session.commit()
    # The link works for 30 days from an email that may be forwarded or left open: it shows
    # only enough of the address for its owner to recognise it (and no-store keeps it out of caches).
    return render_template("notifications/mail_link.html", address=masked_email(person.email), group=group,
                           kind=kind, kind_label=_("Digest") if kind == "digest" else kinds.label(kind), done=done,
                           token=token)
