from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.core.forms import SubmitOnce, TextForm
from app.core.i18n import TimezoneField

# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples (an error under pytest).
VISIBILITY_CHOICES = [
    SelectChoice("private", _l("Private — only members see anything")),
    SelectChoice("public", _l("Public — anyone can read; only members write")),
]
ROLE_CHOICES = [
    SelectChoice("member", _l("Member")),
    SelectChoice("facilitator", _l("Facilitator")),
    SelectChoice("admin", _l("Admin")),
]
LOCALE_CHOICES = [SelectChoice("ko", "한국어"), SelectChoice("en", "English")]


def _name():
    return StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the group a name.")), Length(max=120, message=_l("A name is at most 120 characters."))],
    )


def _or_empty(value):
    # A form posted without the field at all gives None; the group's description is text.
    return value if value is not None else ""


def _description():
    return TextAreaField(
        _l("What is this group for?"),
        description=_l("Markdown works here."),
        filters=[_or_empty],
        validators=[Length(max=10_000, message=_l("Keep the description under 10,000 characters."))],
    )


def _address(value):
    # "Mapo-Dolbom " is what was meant by "mapo-dolbom": say no only to what can't be read as one.
    return value.strip().lower() if isinstance(value, str) else value


class GroupForm(SubmitOnce, TextForm):
    name = _name()
    # Optional: left empty, the service makes one from the name (`services.suggest_slug`).
    slug = StringField(
        _l("Web address"),
        filters=[_address],
        validators=[
            Optional(),
            Length(min=2, max=60, message=_l("An address is 2–60 characters.")),
            Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
                   message=_l("An address uses only Latin letters a–z, digits and single hyphens.")),
        ],
    )
    description = _description()
    visibility = RadioField(_l("Who can see it"), choices=VISIBILITY_CHOICES, default="private")


class GroupSettingsForm(TextForm):
    name = _name()
    description = _description()
    visibility = RadioField(_l("Who can see it"), choices=VISIBILITY_CHOICES)
    timezone = TimezoneField(_l("Time zone"))
    locale = SelectField(_l("Group language"), choices=LOCALE_CHOICES)


class InvitationForm(SubmitOnce, TextForm):
    role = SelectField(_l("Joins as"), choices=ROLE_CHOICES, default="member")
    days = IntegerField(
        _l("Valid for (days)"),
        default=14,
        validators=[
            DataRequired(_l("How many days should the link work?")),
            NumberRange(1, 365, message=_l("An invitation lasts 1 to 365 days.")),
        ],
    )
    max_uses = IntegerField(
        _l("How many people can use it"),
        description=_l("Leave empty for no limit."),
        validators=[Optional(), NumberRange(1, 1000, message=_l("Allow 1 to 1000 uses, or leave it empty for no limit."))],
    )
    note = StringField(_l("Note for yourself"), validators=[Length(max=120, message=_l("Keep the note under 120 characters."))])


class RoleForm(TextForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class CapacityForm(TextForm):
    capacity_percent = IntegerField(
        _l("Care-work capacity (%)"),
        description=_l("Your share of a full care-work load: 100 for full, 50 for half."),
        validators=[
            DataRequired(_l("Enter a capacity between 10 and 100.")),
            # No "%" here: NumberRange %-formats its message, and "10% a" would raise (a 500).
            NumberRange(10, 100, message=_l("Enter a capacity between 10 and 100.")),
        ],
    )


class AddMemberForm(SubmitOnce, TextForm):
    user_id = SelectField(_l("Member of the co-op"), coerce=int, validate_choice=False)


class ConfirmForm(TextForm):
    """A button that changes something: nothing to fill in but the CSRF token."""
