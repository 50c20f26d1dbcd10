from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from app.core.forms import TextForm
from app.core.i18n import TimezoneField

HANDLE_PATTERN = r"^[A-Za-z0-9가-힣]+\Z"  # \Z, not $: "$" would let "a\n" through
# Shape only (we never mail-check at sign-up); WTForms' Email() needs email_validator, not installed.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+\Z"
# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples (an error under pytest).
LANGUAGE_CHOICES = [SelectChoice("ko", "한국어"), SelectChoice("en", "English")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _handle_field():
    return StringField(
        _l("Handle"),
        description=_l("For @mentions: letters, digits or Hangul, 2–30 characters."),
        validators=[
            DataRequired(_l("Choose a handle.")),
            Length(min=2, max=30, message=_l("A handle is 2–30 characters.")),
            Regexp(HANDLE_PATTERN, message=_l("Use only letters, digits or Hangul in a handle.")),
        ],
    )


def _name_field():
    return StringField(
        _l("Display name"),
        validators=[DataRequired(_l("Tell us your name.")), Length(max=80, message=_l("A name is at most 80 characters."))],
    )


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=8, max=200, message=_l("A password is 8–200 characters.")),
        ],
    )


class RegisterForm(TextForm):
    email = EmailField(
        _l("Email"),
        filters=[_strip],  # phones add a space after an autocompleted address
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("That email address is too long.")),
            Regexp(EMAIL_PATTERN, message=_l("That doesn't look like an email address.")),
        ],
    )
    display_name = _name_field()
    handle = _handle_field()
    password = _new_password_field(_l("Password"))
    confirm = PasswordField(
        _l("Password again"), validators=[EqualTo("password", message=_l("The two passwords differ."))]
    )


class LoginForm(TextForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ProfileForm(TextForm):
    display_name = _name_field()
    handle = _handle_field()


class SettingsForm(TextForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = TimezoneField(_l("Time zone"))


class PasswordChangeForm(TextForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))])
    password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"), validators=[EqualTo("password", message=_l("The two passwords differ."))]
    )


class LanguageForm(TextForm):
    lang = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
