from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.archive.models import REACTIONS

MAX_BODY = 50_000


def _body(label, required=True):
    checks = [Length(max=MAX_BODY, message=_l("That is too long: keep it under %(max)s characters.", max="50,000"))]
    if required:
        checks.insert(0, DataRequired(_l("Write something first.")))
    return TextAreaField(label, description=_l("Markdown works here. Mention people with @handle."), validators=checks)


def _title():
    return StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give it a title.")), Length(max=200, message=_l("A title is at most 200 characters."))],
    )


def _tags():
    return StringField(
        _l("Tags"),
        description=_l("Separate tags with spaces or commas, e.g. budget kitchen."),
        validators=[Length(max=400, message=_l("That is too many tags."))],
    )


class ThreadForm(FlaskForm):
    title = _title()
    body = _body(_l("What do you want to talk about?"))
    tags = _tags()


class CommentForm(FlaskForm):
    body = _body(_l("Your reply"))
    parent_id = IntegerField(validators=[Optional()])


class CommentEditForm(FlaskForm):
    body = _body(_l("Your reply"))


class DocumentForm(FlaskForm):
    title = _title()
    folder = StringField(
        _l("Folder"),
        description=_l("e.g. Minutes, Policies, Handbook. Leave empty for the top level."),
        validators=[Length(max=80, message=_l("A folder name is at most 80 characters."))],
    )
    body = _body(_l("Text"))
    tags = _tags()


class ReactionForm(FlaskForm):
    kind = SelectField(choices=[(k, k) for k in REACTIONS])
    next = HiddenField()


class TimelineForm(FlaskForm):
    """The timeline's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("What"),
        choices=[
            ("", _l("Everything")),
            ("thread", _l("Threads")),
            ("comment", _l("Replies")),
            ("document", _l("Documents")),
            ("member", _l("Members")),
            ("group", _l("Group")),
            ("invitation", _l("Invitations")),
        ],
        validators=[Optional()],
    )
    person = SelectField(_l("Who"), coerce=lambda v: int(v) if v else None, validate_choice=False, validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
