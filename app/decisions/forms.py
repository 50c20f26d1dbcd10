from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import SubmitOnce, TextForm
from app.core.i18n import local_to_utc
from app.core.text import TITLE_MAX, TITLE_TOO_LONG

# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples (an error under pytest).
KIND_CHOICES = [
    SelectChoice("consent", _l("Consent — adopted unless someone objects")),
    SelectChoice("consensus", _l("Consensus — agree, abstain, disagree or block")),
    SelectChoice("advice", _l("Advice — members advise, the proposer decides")),
    SelectChoice("poll", _l("Poll — choose between options")),
]
CHOICE_LABELS = {
    "consent": _l("Consent"),
    "concern": _l("Concern"),
    "object": _l("Object"),
    "agree": _l("Agree"),
    "abstain": _l("Abstain"),
    "disagree": _l("Disagree"),
    "block": _l("Block"),
    "advice": _l("Give advice"),
    "option": _l("Vote"),
}
RESULT_LABELS = {
    "adopted": _l("Adopted"),
    "not_adopted": _l("Not adopted"),
    "no_quorum": _l("No quorum"),
    "chosen": _l("Chosen"),
    "no_votes": _l("No votes"),
    "advice": _l("Advice given"),
    "decided": _l("Decided"),
    "not_decided": _l("Not decided"),
}


def _days():
    return IntegerField(
        _l("Closes in (days)"),
        default=3,
        validators=[Optional(), NumberRange(1, 90, message=_l("Choose between 1 and %(days)s days.", days=90))],
    )


def _closes_at():
    return DateTimeLocalField(
        _l("Or close at an exact time"),
        description=_l("In your time zone. Leave empty to use the days above."),
        validators=[Optional()],
    )


def closing_time(field) -> datetime | None:
    """The exact closing time typed (in the viewer's zone) as UTC, or None when left empty.

    A time at the very edge of the calendar (year 1, year 9999) has no room for the zone's
    shift; it is kept at that edge, so the rules can say what is wrong with it ("in the past",
    "too far ahead") instead of the conversion overflowing.
    """
    try:
        return local_to_utc(field.data)
    except OverflowError:
        edge = datetime.max if field.data.year > 5000 else datetime.min
        return edge.replace(tzinfo=timezone.utc)


class ProposalForm(SubmitOnce, TextForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give it a title.")), Length(max=TITLE_MAX, message=TITLE_TOO_LONG)],
    )
    body = TextAreaField(
        _l("What we propose"),
        description=_l("Markdown works here. Say what, why, and how you'd know it worked."),
        validators=[DataRequired(_l("Write something first.")), Length(max=50_000)],
    )
    days = _days()
    kind = SelectField(_l("How we decide"), choices=KIND_CHOICES, default="consent")
    closes_at = _closes_at()
    quorum_percent = IntegerField(
        _l("Quorum (%)"),
        description=_l("The share of members who must take part; 0 means none."),
        default=0,
        validators=[Optional(), NumberRange(0, 100, message=_l("Quorum is between 0 and 100 percent."))],
    )
    options = TextAreaField(
        _l("Poll options"), description=_l("One per line, 2 to 20."), validators=[Optional(), Length(max=5000)]
    )
    multiple_choice = BooleanField(_l("Members may choose more than one option"))
    anonymous = BooleanField(
        _l("Anonymous — nobody sees who voted what, not even admins"),
        description=_l("Results and who took part are shown only after it closes. When it closes, the link "
                       "between each person and their ballot is erased for good, and it can't be reopened."),
    )
    hide_results = BooleanField(_l("Hide results until the proposal closes"))
    reason_required = BooleanField(_l("Ask for a reason with every vote"))
    draft = BooleanField(_l("Save as a draft (only you see it until you open it)"))


class VoteForm(SubmitOnce, TextForm):
    choice = RadioField(_l("Your answer"), validate_choice=False)
    option_ids = SelectMultipleField(_l("Options"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Your reason"), validators=[Length(max=50_000)])


class AmendForm(TextForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give it a title.")), Length(max=TITLE_MAX, message=TITLE_TOO_LONG)],
    )
    body = TextAreaField(_l("What we propose"), validators=[DataRequired(_l("Write something first.")), Length(max=50_000)])


class ClosingForm(TextForm):
    days = _days()
    closes_at = _closes_at()


class ActionForm(TextForm):
    class Meta:
        csrf = False

    description = StringField(_l("Action"), validators=[Optional(), Length(max=300)])
    owner_id = SelectField(_l("Who"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    due_on = DateField(_l("Due"), validators=[Optional()])


class OutcomeForm(SubmitOnce, TextForm):
    statement = TextAreaField(
        _l("What we decided"),
        description=_l("In plain words, for someone reading the register in a year."),
        validators=[DataRequired(_l("Write something first.")), Length(max=50_000)],
    )
    result = SelectField(_l("Result"), validate_choice=False)
    review_on = DateField(_l("Review on"), description=_l("Optional: when the group looks at this again."),
                          validators=[Optional()])
    actions = FieldList(FormField(ActionForm), min_entries=3, max_entries=10)


class RegisterFilterForm(TextForm):
    class Meta:
        csrf = False

    result = SelectField(_l("Result"), validators=[Optional()])
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(2000, 2100)])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=40)])
