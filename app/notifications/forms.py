from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice

DIGEST_LABELS = {"off": _l("No digest"), "daily": _l("Daily"), "weekly": _l("Weekly (Monday morning)")}
THREAD_LABELS = {
    "follow": _l("Follow: tell me about every new comment"),
    "normal": _l("Normal: tell me when someone replies to me or mentions me"),
    "mute": _l("Mute: no replies or comments from this thread (mentions still come)"),
}


class MailSettingsForm(FlaskForm):
    digest = RadioField(_l("Digest email"), choices=[SelectChoice(k, v) for k, v in DIGEST_LABELS.items()],
                        description=_l("New threads, open proposals, outcomes and your care tasks, in one email, "
                                       "in your own time zone."))
    email_off = BooleanField(_l("Send me no email at all"))


class ThreadStateForm(FlaskForm):
    state = RadioField(_l("This thread"), choices=[SelectChoice(k, v) for k, v in THREAD_LABELS.items()])
