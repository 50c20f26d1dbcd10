from flask import Blueprint

bp = Blueprint("notifications", __name__)
# Preferences and the email link: a blueprint of their own, with their own permission table.
settings_bp = Blueprint("notification_settings", __name__)

from app.notifications import routes, settings  # noqa: E402,F401
