"""The base forms every feature's forms build on: what a POST may hand to validators."""
from flask import request
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
