from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.core.forms import TextForm

KIND_CHOICES = [
    SelectChoice("", _l("Everything")),
    SelectChoice("thread", _l("Threads")),
    SelectChoice("comment", _l("Replies")),
    SelectChoice("document", _l("Documents")),
    SelectChoice("proposal", _l("Decisions")),
    SelectChoice("care_task", _l("Care tasks")),
]


def _without_nul(value: str | None) -> str | None:
    """A NUL can't be stored or compared in PostgreSQL text; it is never part of a word."""
    return value.replace("\x00", "") if value else value


class SearchForm(TextForm):
    """Read from the query string (a search changes nothing), so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)], filters=[_without_nul])
    group = SelectField(_l("Group"), validate_choice=False, validators=[Optional()], filters=[_without_nul])
    kind = SelectField(_l("What"), choices=KIND_CHOICES, validators=[Optional()])
    author = StringField(_l("Written by"), validators=[Optional(), Length(max=40)], filters=[_without_nul],
                         description=_l("Their @handle"))
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    sort = SelectField(_l("Order"), choices=[SelectChoice("relevance", _l("Best match")),
                                            SelectChoice("date", _l("Newest first"))], validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=1000)])
