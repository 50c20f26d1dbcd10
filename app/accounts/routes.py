from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import services
from app.accounts.forms import LanguageForm, LoginForm, PasswordChangeForm, ProfileForm, RegisterForm, SettingsForm
from app.core.errors import Refused, show_on_form
from app.core.extensions import limiter
from app.core.i18n import select_locale, usable_zone
from app.accounts.services import sign_in
from app.core.security import safe_next


bp = Blueprint("accounts", __name__)


def _home() -> str:
    return url_for("groups.mine")


def _next() -> str | None:
    """Where the visitor goes after logging in or registering (a path on this site, or None).
    The forms post it back in their address, so a failed attempt keeps it."""
    return safe_next(request.args.get("next"), None)


def _login_account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count against the limits; a successful login redirects.
    return response.status_code != 302


def _register_throttled(_limit):
    form = RegisterForm()
    form.form_errors.append(_("Too many sign-ups from your network in a short time. Please wait a while and try again."))
    return make_response(render_template("accounts/register.html", form=form, return_to=_next()), 429)


# Every attempt counts, not only failed ones: each success is a new account, and a failure
# may say an email is taken.
@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CANOE_REGISTER_LIMIT_PER_IP"], methods=["POST"], on_breach=_register_throttled)
def register():
    if current_user.is_authenticated:
        return redirect(_home())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(
                form.email.data, form.password.data, form.display_name.data, form.handle.data, select_locale()
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            sign_in(user)
            flash(_("Welcome to Canoe, %(name)s.", name=user.display_name), "success")
            return redirect(_next() or _home())
    return render_template("accounts/register.html", form=form, return_to=_next()), 200 if not form.errors else 422


def _throttled(_limit):
    return make_response(login_throttled())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["CANOE_LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed, on_breach=_throttled
)
@limiter.limit(
    lambda: current_app.config["CANOE_LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_throttled,
)
def login():
    if current_user.is_authenticated:
        return redirect(_next() or _home())
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(_next() or _home())
        form.form_errors.append(_("That email and password don't match an account."))
    return render_template("accounts/login.html", form=form, return_to=_next()), 200 if not form.errors else 422


def login_throttled():
    """The login page again, saying why it won't take another attempt just now."""
    form = LoginForm()
    form.form_errors.append(_("Too many login attempts. Please wait a few minutes and try again."))
    return render_template("accounts/login.html", form=form, return_to=_next()), 429


@bp.route("/logout", methods=["POST"])
def logout():
    """End this browser's sign-in on the server too: a copied cookie is no use afterwards."""
    flash(_("You are logged out."), "info")  # first: in the language of the person leaving
    if current_user.is_authenticated:
        services.end_session(current_user.get_id())
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.route("/settings/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every sign-in of this person: other browsers, remembered devices, and this one.

    A button like "Log out": CSRFProtect checks its token before we get here."""
    flash(_("You are logged out on every device."), "info")
    services.end_all_sessions(current_user)
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.handle.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), 200 if not form.errors else 422


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or select_locale()
        form.timezone.data = usable_zone(current_user.timezone)
    if form.validate_on_submit():
        try:
            services.update_settings(current_user, form.locale.data, form.timezone.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form), 200 if not form.errors else 422


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            # Every sign-in ended, this one too; this browser gets a fresh one. A device that was
            # remembered stays remembered, with a new cookie: the old one no longer works.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            sign_in(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/password.html", form=form), 200 if not form.errors else 422


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        user = current_user if current_user.is_authenticated else None
        services.set_language(user, form.lang.data)
        session["lang"] = form.lang.data
    return redirect(safe_next(request.form.get("next"), url_for("groups.index")))
