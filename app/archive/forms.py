from flask_babel import lazy_gettext as _l
from flask import current_app
from wtforms import (
    DateField, HiddenField, IntegerField, MultipleFileField, SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.archive.files import EXTENSIONS, human_size
from app.archive.models import FOLDER_MAX, REACTIONS, TAG_MAX
from app.core.forms import SubmitOnce, TextForm, UploadForm
from app.core.text import TITLE_MAX, TITLE_TOO_LONG

MAX_BODY = 50_000


def _body(label, required=True):
    checks = [Length(max=MAX_BODY, message=_l("That is too long: keep it under %(max)s characters.", max="50,000"))]
    if required:
        checks.insert(0, DataRequired(_l("Write something first.")))
    return TextAreaField(label, description=_l("Markdown works here. Mention people with @handle."), validators=checks)


def _title():
    return StringField(_l("Title"), validators=[DataRequired(_l("Give it a title.")),
                                                Length(max=TITLE_MAX, message=TITLE_TOO_LONG)])


class TagsField(StringField):
    """Tags as the text people type ("budget kitchen"), shown from an item's tag rows.

    On an edit form the item's tags are the field's starting value; a POST without the field
    keeps them, as text like any other, rather than handing the tag rows on.
    """

    def process_data(self, value):
        if value is not None and not isinstance(value, str):
            value = " ".join(tag.name for tag in value)
        super().process_data(value)


def _tags():
    return TagsField(
        _l("Tags"),
        description=_l("Separate tags with spaces or commas, e.g. budget kitchen."),
        validators=[Length(max=400, message=_l("That is too many tags."))],
    )


class _UploadLimit:
    """The configured size limit, read when the hint is shown (forms are made before the app)."""

    def __str__(self) -> str:
        number, unit = human_size(current_app.config["CANOE_UPLOAD_MAX_BYTES"])
        return f"{number} {unit}"


def _files():
    # Checked by the services (size, type, real images); the field only collects them.
    return MultipleFileField(
        _l("Attach files"),
        description=_l("Images, PDF, text and office files, up to %(size)s each.", size=_UploadLimit()),
        render_kw={"accept": ",".join("." + ext for ext in EXTENSIONS)},
    )


class ThreadForm(SubmitOnce, UploadForm):
    title = _title()
    body = _body(_l("What do you want to talk about?"))
    tags = _tags()
    files = _files()


class CommentForm(SubmitOnce, UploadForm):
    body = _body(_l("Your reply"))
    # Ids the database can hold (an INTEGER column); anything else is not a comment of this thread.
    parent_id = IntegerField(validators=[Optional(), NumberRange(
        min=1, max=2**31 - 1, message=_l("You can only reply to a comment in this thread."))])
    files = _files()


class CommentEditForm(TextForm):
    body = _body(_l("Your reply"))


class DocumentForm(SubmitOnce, UploadForm):
    title = _title()
    folder = StringField(
        _l("Folder"),
        description=_l("e.g. Minutes, Policies, Handbook. Leave empty for the top level."),
        validators=[Length(max=FOLDER_MAX, message=_l("A folder name is at most 80 characters."))],
    )
    body = _body(_l("Text"))
    tags = _tags()
    files = _files()


class ReactionForm(TextForm):
    kind = SelectField(choices=[SelectChoice(k, k) for k in REACTIONS])
    next = HiddenField()


class TimelineForm(TextForm):
    """The timeline's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("What"),
        choices=[
            SelectChoice("", _l("Everything")),
            SelectChoice("thread", _l("Threads")),
            SelectChoice("comment", _l("Replies")),
            SelectChoice("document", _l("Documents")),
            SelectChoice("member", _l("Members")),
            SelectChoice("group", _l("Group")),
            SelectChoice("invitation", _l("Invitations")),
            SelectChoice("care", _l("Care work")),
        ],
        validators=[Optional()],
    )
    person = SelectField(_l("Who"), coerce=lambda v: int(v) if v else None, validate_choice=False, validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=TAG_MAX)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
