"""The base forms every feature's forms build on: what a POST may hand to validators."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import get_timezone
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict


class TextForm(FlaskForm):
    """A form that reads only the url-encoded fields of a POST.

    Flask-WTF would also take JSON bodies and file parts, handing validators numbers, lists
    or files (a 500); our text forms only ever post text.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata
            return request.form if form.is_submitted() and request.form else None


class UploadForm(FlaskForm):
    """A form with file fields: the posted fields and files, never a JSON body."""

    class Meta:
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
