"""The base forms every feature's forms build on: what a POST may hand to validators."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import get_timezone
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict
from wtforms import HiddenField, IntegerField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from app.core import submissions

# The largest id a database id column holds (PostgreSQL `integer`); the URL converter uses it too.
MAX_ROW_ID = 2**31 - 1


class IdField(IntegerField):
    """A posted row id: a whole number an id column can hold, else the field's own error.

    Python's int has no upper bound, so `to_user_id=99999999999999999999` would reach the
    database and overflow there (a 500); here it is simply not an id.
    """

    def pre_validate(self, form):
        if self.data is not None and not 1 <= self.data <= MAX_ROW_ID:
            self.data = None
            raise ValidationError(self.gettext("Not a valid integer value."))


class SubmissionKeyField(HiddenField):
    """The one-time key of a create form (`app.core.submissions`): a fresh one each time the
    field is drawn, or the key it was posted with, so a form shown again with its errors is
    sent again with the same key. Never an error of its own: a bad key just counts as none."""

    def __call__(self, **kwargs):
        return submissions.submission_key_field(self.data)


class SubmitOnce:
    """Mixin for a form that creates something: `class ThreadForm(SubmitOnce, UploadForm)`.

    Its view is wrapped in `@once` (`app.core.submissions`); `hidden_tag()` draws the key.
    """

    submission_key = SubmissionKeyField()


def without_nul(value):
    """Text without NUL characters: PostgreSQL can't store one (a 500 there), and nobody types it."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class _HiddenWithoutId(HiddenInput):
    """A hidden input drawn without an id: nothing points at a CSRF token, and a page with two
    forms would otherwise carry two elements with the id `csrf_token` (invalid HTML)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(field, **kwargs)


class _NoNul:
    """Form Meta: every text field of the form drops NUL characters, before any validator runs;
    the CSRF token is drawn without an id."""

    def bind_field(self, form, unbound_field, options):
        if issubclass(unbound_field.field_class, CSRFTokenField):
            return unbound_field.bind(form=form, widget=_HiddenWithoutId(), **options)
        if issubclass(unbound_field.field_class, StringField):
            filters = [without_nul, *(unbound_field.kwargs.get("filters") or ())]
            return unbound_field.bind(form=form, filters=filters, **options)
        return unbound_field.bind(form=form, **options)


class TextForm(FlaskForm):
    """A form that reads only the url-encoded fields of a POST.

    Flask-WTF would also take JSON bodies and file parts, handing validators numbers, lists
    or files (a 500); our text forms only ever post text.
    """

    class Meta(_NoNul):
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata
            return request.form if form.is_submitted() and request.form else None


class UploadForm(FlaskForm):
    """A form with file fields: the posted fields and files, never a JSON body."""

    class Meta(_NoNul):
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata
            if not form.is_submitted():
                return None
            return CombinedMultiDict((request.files, request.form))


def day_start(field, days_after: int = 0) -> datetime | None:
    """Midnight at the start of a date field's day (plus `days_after`) in the viewer's zone,
    as UTC; or None with the field's own error for a day at the very edge of the calendar
    (year 1, year 9999), where the time zone shift has no room."""
    try:
        zone = ZoneInfo(str(get_timezone()))
        return datetime.combine(field.data + timedelta(days=days_after), time(), zone).astimezone(timezone.utc)
    except OverflowError:
        field.errors.append(field.gettext("Not a valid date value."))
        return None
