"""Care-work forms: parsing and field validation only. The rules live in the service modules, who may act in `policy`."""
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.forms import IdField, SubmitOnce, TextForm

CATEGORY_LABELS = {
    "meetings": _l("Meetings"),
    "welcome": _l("Welcoming"),
    "wellbeing": _l("Wellbeing"),
    "logistics": _l("Logistics"),
    "tidying": _l("Tidying"),
    "other": _l("Other"),
}
RECURRENCE_LABELS = {
    "every": _l("Every week"),
    "every_2nd": _l("Every other week"),
    "monthly": _l("Monthly (the week with the 1st)"),
    "once": _l("Once, this week"),
}
WILLINGNESS_LABELS = {
    "happy": _l("Happy to"),
    "rather_not": _l("Rather not"),
    "cannot": _l("Cannot"),
}
STATUS_LABELS = {
    "assigned": _l("to do"),
    "done": _l("done"),
    "missed": _l("missed"),
    "skipped": _l("skipped"),
}


def _weekday(value):
    """A weekday number 0–6, else None (not a choice): a huge number never reaches anything."""
    try:
        day = int(value)
    except (TypeError, ValueError):
        return None
    return day if 0 <= day <= 6 else None


def _or_empty(value):
    return value if value is not None else ""


class MemberIdField(IdField):
    """The id of a member, picked from a list of members. Anything that isn't an id (empty, huge,
    negative, not a number) gets the one message the list's reader understands; the service says
    the same when the id is no member of the group."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[InputRequired(_l("Choose another member of the group."))], **kwargs)

    def post_validate(self, form, validation_stopped):
        if self.errors:
            self.errors = [_l("Choose another member of the group.")]


def _effort(label=None):
    return IntegerField(
        label or _l("Effort (points)"),
        default=1,
        validators=[InputRequired(_l("Give it a number of points.")),
                    NumberRange(1, 20, message=_l("Effort is between 1 and 20 points."))],
    )


def _category():
    return SelectField(_l("Category"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
                       default="other")


class SetUpForm(SubmitOnce, TextForm):
    weekday = SelectField(_l("Weeks start on"), coerce=_weekday, default=0)
    periods_ahead = IntegerField(
        _l("Plan this many weeks ahead"),
        default=8,
        validators=[InputRequired(_l("Give a number of weeks.")),
                    NumberRange(1, 52, message=_l("Plan between 1 and 52 weeks ahead."))],
    )
    starter = BooleanField(_l("Add the starter tasks (host the meeting, take notes, welcome newcomers, "
                              "check in on members, tidy up)"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = get_day_names("wide", locale=get_locale())
        self.weekday.choices = [SelectChoice(day, names[day]) for day in range(7)]


class TaskForm(SubmitOnce, TextForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the task a name.")),
                    Length(max=120, message=_l("Give the task a name of at most 120 characters."))],
    )
    description = TextAreaField(
        _l("What it involves"), filters=[_or_empty],
        validators=[Length(max=2000, message=_l("Keep the description under 2,000 characters."))],
    )
    category = _category()
    effort = _effort()
    recurrence = SelectField(_l("How often"), choices=[SelectChoice(k, v) for k, v in RECURRENCE_LABELS.items()],
                             default="every")
    people_needed = IntegerField(
        _l("People needed"),
        default=1,
        validators=[InputRequired(_l("Give a number of people.")),
                    NumberRange(1, 20, message=_l("Between 1 and 20 people."))],
    )
    active = BooleanField(_l("Active: put it on the rota"), default=True)


class AbsenceForm(SubmitOnce, TextForm):
    starts_on = DateField(_l("Away from"), validators=[InputRequired(_l("Give the first day away."))])
    ends_on = DateField(_l("Back after"), description=_l("The last day away."),
                        validators=[InputRequired(_l("Give the last day away."))])
    note = StringField(_l("Note (optional)"), filters=[_or_empty],
                       validators=[Length(max=200, message=_l("Keep the note under 200 characters."))])


class WillingnessForm(TextForm):
    level = RadioField(_l("Willing?"), choices=[SelectChoice(k, v) for k, v in WILLINGNESS_LABELS.items()],
                       validators=[InputRequired(_l("Choose happy, rather not or cannot."))])


class WillingnessAllForm(TextForm):
    """Every task on one form, one save: a `level-<task id>` field per task, read by `levels`."""

    def levels(self, formdata) -> dict[str, str]:
        """The posted answers by task id as text (the service checks the ids and the levels)."""
        return {key.removeprefix("level-"): value for key, value in formdata.items() if key.startswith("level-")}


class RegenerateForm(TextForm):
    # The fingerprint of the dry run the facilitator saw; empty until they have seen one.
    confirmed = HiddenField(filters=[lambda value: (value or "").strip()[:64]])


class SwapForm(SubmitOnce, TextForm):
    # Any id is accepted here: the service says clearly when it isn't a member.
    to_user_id = MemberIdField(_l("Swap with"))


class OverrideForm(TextForm):
    to_user_id = MemberIdField(_l("Give it to"))
    reason = StringField(
        _l("Why"), filters=[_or_empty],
        validators=[DataRequired(_l("Say why: overrides are visible to everyone.")),
                    Length(max=300, message=_l("Keep the reason under 300 characters."))],
    )


class LogCareForm(SubmitOnce, TextForm):
    description = StringField(
        _l("What did you do?"),
        validators=[DataRequired(_l("Describe it in 1–300 characters.")),
                    Length(max=300, message=_l("Describe it in 1–300 characters."))],
    )
    category = _category()
    effort = _effort()
    done_on = DateField(_l("When"), validators=[InputRequired(_l("Give the day you did it."))])


class ThanksForm(TextForm):
    to_user_id = IdField(validators=[InputRequired()])
    assignment_id = IdField(validators=[Optional()])
    care_id = IdField(validators=[Optional()])
    message = StringField(_l("A word of thanks (optional)"), filters=[_or_empty],
                          validators=[Length(max=500, message=_l("Keep it under 500 characters."))])
